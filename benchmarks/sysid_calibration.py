"""Calibration of the sysid posterior: on datasets simulated by symphys itself with known parameters,
how often does the 94% HDI cover the truth?  Target: >= 8 of 10 for each unknown.

The truths are drawn uniformly from friction 0.3-0.6, restitution 0.55-0.8 and mass 1.5-2.5 kg: the
20 N push then moves the box (F / m > mu g), and the ball's second bounce (at ~0.44 + 0.88 e s) falls
after the 0.9 s observed, as in the experiment (symphys_models/sysid.py, DURATION).

    PYTHONPATH=. python benchmarks/sysid_calibration.py --datasets 10 --draws 500 --tune 500 --chains 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from tqdm.auto import tqdm

from symphys_models import sysid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--sampler", default=None, choices=["pymc", "nutpie"], help="default: nutpie if installed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-tree-depth", type=int, default=6,
                        help="nutpie's tree depth limit (its default is 10): bounds a badly adapted chain's cost")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    scene = sysid.Scene(jacobian=False)
    covered = {n: 0 for n in sysid.NAMES}
    start = time.perf_counter()
    for k in tqdm(range(args.datasets), desc="datasets"):
        truth = {"friction": rng.uniform(0.3, 0.6), "restitution": rng.uniform(0.55, 0.8),
                 "mass": rng.uniform(1.5, 2.5)}
        observations = sysid.symphys_observations(scene, truth, seed=args.seed + 100 + k)
        posterior, wall = sysid.sample(sysid.pymc_model(scene.model, observations), args.draws, args.tune,
                                       args.chains, args.seed + k, args.sampler,
                                       max_tree_depth=args.max_tree_depth)
        rows = sysid.summary(posterior, truth)
        line = []
        for r in rows[:3]:
            inside = r["low"] <= r["truth"] <= r["high"]
            covered[r["name"]] += inside
            verdict = "yes" if inside else "NO"
            line.append(f"{r['name']} {r['truth']:.3f} in [{r['low']:.3f}, {r['high']:.3f}] {verdict}")
        tqdm.write(f"dataset {k}: " + "; ".join(line) + f"; R-hat max {max(r['rhat'] for r in rows):.3f}, "
                   f"divergences {sysid.divergences(posterior)}, {wall:.0f} s")
    print(f"94% HDI coverage over {args.datasets} datasets: "
          + ", ".join(f"{n} {c}/{args.datasets}" for n, c in covered.items())
          + f" ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
