"""The ``symphys`` command."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="symphys", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ball = sub.add_parser("ball", help="the paper's ball experiment: gradients vs CMA-ES")
    ball.add_argument("--out", default="out/ball", help="folder for the plot")
    ball.add_argument("--backend", default="jax", choices=["jax", "c", "numba"])
    ball.add_argument("--seed", type=int, default=0, help="CMA-ES seed")
    ball.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "ball":
        from models import ball as experiment

        results = experiment.run(args.out, args.backend, args.seed, not args.no_progress)
        return 0 if results[0].converged else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
