"""What the solver's sweeps cost on the timing quadruped: forward time against the number of sweeps.

    python benchmarks/sweep_cost.py [--method gauss_seidel] [--sweeps 1 2 5 10]

The timing table's function (``timing_table.build_function``: small controller, batch 1, float32,
JAX, forward only, 1,000 steps = 10 s) with ``load_mjcf(..., iterations=k)``, best of 5 calls.  The
slope is the cost of one sweep, the intercept that of everything else in a step (RESULTS.md,
"Newton per connected component; what a Gauss-Seidel step costs").  Prints one JSON line per point.
"""

from __future__ import annotations

import argparse
import json

import common
import numpy as np
import timing_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="gauss_seidel")
    parser.add_argument("--sweeps", nargs="+", type=int, default=[1, 2, 5, 10])
    args = parser.parse_args()
    sizes = common.CONTROLLERS["small"]
    weights = common.init_weights(sizes, "float32")
    points = []
    for sweeps in args.sweeps:
        model = timing_table.load_model("float32", iterations=sweeps, method=args.method)
        fn, nodes = timing_table.build_function(model, sizes, 1, False, common.STEPS, "jax")
        best, out, _ = common.time_calls(fn, weights, repeats=5)
        points.append((sweeps, best))
        print(json.dumps(dict(method=args.method, sweeps=sweeps, seconds_per_10s=round(best, 4),
                              distance=float(out[0]), nodes=nodes)), flush=True)
    if len(points) > 1:
        slope, intercept = [float(c) for c in np.polyfit(*zip(*points), 1)]
        print(json.dumps(dict(seconds_per_sweep_per_10s=round(slope, 4), seconds_without_sweeps=round(intercept, 4))))


if __name__ == "__main__":
    main()
