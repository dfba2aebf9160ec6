"""How many Newton iterations the timing quadruped needs: convergence, gradients and time against the count.

    python benchmarks/newton_iterations.py [--iterations 8 12 16 24 32] [--reference 64] [--write]

For each ``newton_iterations`` k, on ``symphys_models/timing_quadruped.xml``:

- convergence (float64): 12 steps from rest under constant servo targets (seeded, uniform in
  +-0.5 rad), the largest velocity and angular velocity error against ``--reference`` iterations,
  and the largest angular speed of any body;
- gradient (float64): the timing table's loss (torso distance, small controller) over 25 steps,
  its exact derivative along a random unit direction of the weights against the median slope of
  the loss sampled at 41 points within +-1e-4 along it, and the largest jump between samples;
- time (float32): the timing table's function, batch 1, 10 s (1,000 steps), forward and forward +
  gradient, and the norm of that gradient (non-finite where it overflows).

Prints one JSON line per count; ``--write`` puts the table in RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import common
import numpy as np
import solver_scenes as scenes
import timing_table
from results import write_section

import symphys as sp

CONVERGENCE_STEPS = 12
GRADIENT_STEPS = 25
SCAN_POINTS = 41
SCAN_HALF_WIDTH = 1e-4


def load(dtype, iterations):
    return sp.load_mjcf(common.MODEL_FILE, dtype=dtype, method="newton", newton_iterations=iterations).build()


def gradient_check(iterations):
    """(exact derivative, median of the local slopes, largest jump) of the loss along a random unit
    direction of the weights: the loss at SCAN_POINTS points within +-SCAN_HALF_WIDTH, the slopes
    between neighbours.  The median is robust to the few intervals where the loss jumps (a contact or
    a row's memory switching); the largest jump says how large they are."""
    sizes = common.CONTROLLERS["small"]
    weights = common.init_weights(sizes, "float64")
    rng = np.random.default_rng(0)
    direction = [rng.standard_normal(w.shape) for w in weights]
    norm = np.sqrt(sum(np.sum(d * d) for d in direction))
    direction = [d / norm for d in direction]
    fn, _ = timing_table.build_function(load("float64", iterations), sizes, 1, True, GRADIENT_STEPS, "jax")
    out = fn(*weights)
    exact = float(sum(np.sum(np.asarray(g) * d) for g, d in zip(out[1:], direction)))
    offsets = np.linspace(-SCAN_HALF_WIDTH, SCAN_HALF_WIDTH, SCAN_POINTS)
    losses = np.array([float(fn(*[w + t * d for w, d in zip(weights, direction)])[0]) for t in offsets])
    slopes = np.diff(losses) / np.diff(offsets)
    return exact, float(np.median(slopes)), float(np.abs(np.diff(losses)).max())


def timing(iterations):
    sizes = common.CONTROLLERS["small"]
    weights = common.init_weights(sizes, "float32")
    model = load("float32", iterations)
    forward, _ = timing_table.build_function(model, sizes, 1, False, common.STEPS, "jax")
    forward_s, _, _ = common.time_calls(forward, weights)
    gradient, _ = timing_table.build_function(model, sizes, 1, True, common.STEPS, "jax")
    gradient_s, out, _ = common.time_calls(gradient, weights)
    norm = float(np.sqrt(sum(np.sum(np.asarray(g, dtype=float) ** 2) for g in out[1:])))
    return forward_s, gradient_s, norm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", nargs="+", type=int, default=[8, 12, 16, 24, 32])
    parser.add_argument("--reference", type=int, default=64)
    parser.add_argument("--write", action="store_true", help="write the table into RESULTS.md")
    args = parser.parse_args()
    reference = load("float64", args.reference)
    targets = scenes.quadruped_servo_targets(reference.n_motors)
    reference_velocity, reference_spin = scenes.servo_run(reference, CONVERGENCE_STEPS, targets)
    rows = []
    for k in args.iterations:
        velocity, spin = scenes.servo_run(load("float64", k), CONVERGENCE_STEPS, targets)
        exact, median_slope, largest_jump = gradient_check(k)
        forward_s, gradient_s, norm = timing(k)
        row = dict(iterations=k, velocity_error=float(np.abs(velocity - reference_velocity).max()),
                   spin_error=float(np.abs(spin - reference_spin).max()), max_spin=float(np.abs(spin).max()),
                   exact=exact, median_slope=median_slope, largest_jump=largest_jump,
                   forward_s=forward_s, gradient_s=gradient_s, gradient_norm=norm)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.write:
        lines = ["## Newton's iterations on the timing quadruped (`benchmarks/newton_iterations.py`)", "",
                 f"Command: `python benchmarks/newton_iterations.py {' '.join(sys.argv[1:])}`  ",
                 f"Machine: {common.machine()}. Convergence: {CONVERGENCE_STEPS} steps from rest under constant "
                 f"servo targets (uniform in +-{scenes.SERVO_TARGET} rad, seed 1), errors against {args.reference} "
                 f"iterations (the converged robot turns at {np.abs(reference_spin).max():.2f} rad/s at most), "
                 f"float64. Gradient: the timing table's loss over {GRADIENT_STEPS} steps, float64, along a random "
                 f"unit direction of the small controller's weights, sampled at {SCAN_POINTS} points within "
                 f"+-{SCAN_HALF_WIDTH:g}: the median of the slopes between neighbours, and the largest jump. "
                 "Time: float32, batch 1, s per 10 s; the "
                 "gradient's norm over the same 10 s.", "",
                 "| iterations | velocity error m/s | angular velocity error rad/s | largest spin rad/s | "
                 "exact derivative | median local slope | largest jump m | fwd s | fwd+grad s | "
                 "gradient norm |",
                 "|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['iterations']} | {r['velocity_error']:.3g} | {r['spin_error']:.3g} | "
                         f"{r['max_spin']:.3g} | {r['exact']:.4g} | {r['median_slope']:.4g} | "
                         f"{r['largest_jump']:.2g} | {r['forward_s']:.2f} | {r['gradient_s']:.2f} | "
                         f"{r['gradient_norm']:.3g} |")
        write_section(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"), "newton_iterations",
                      "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
