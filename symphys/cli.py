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
    arm = sub.add_parser("arm", help="the 4-DOF arm: fixed-target reaching, backprop vs CMA-ES")
    arm.add_argument("task", choices=["reach"], help="reach: fixed target (0.5, 0.5, 0.5) m")
    arm.add_argument("--evaluations", type=int, default=150)
    arm.add_argument("--learning-rate", type=float, default=3e-3)
    arm.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "arm":
        from models import arm as arm_model

        task = arm_model.FixedTargetTask(seed=args.seed)
        print(f"compiled in {task.compile_seconds:.1f} s; {task.net.n_parameters} controller weights")
        result, _ = arm_model.train_backprop(task, args.evaluations, args.learning_rate)
        print(f"backprop: {result.evaluations} rollouts, {result.wall_seconds:.1f} s, mean distance "
              f"{result.mean_distance:.4f} m, final distance {result.final_distance:.4f} m")
        return 0 if result.final_distance < 0.01 else 1
    if args.command == "ball":
        from models import ball as experiment

        results = experiment.run(args.out, args.backend, args.seed, not args.no_progress)
        return 0 if results[0].converged else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
