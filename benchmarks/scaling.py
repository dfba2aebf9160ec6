"""How symphys's cost grows: time per step against bodies and batch, forward and gradient.

Boxes dropped on the ground (``bench_core.boxes_model``: dt 0.01, Jacobi 10
sweeps, float32), ``--steps`` steps (default 50) per call; the loss is the
mean x position after the rollout, the gradient is with respect to every
initial velocity.  Rows: 1-64 boxes at batch 1, then batch 1-1024 with 8
boxes.  Each point: compile, one warm-up call, best of up to 3.  Writes the
table to RESULTS.md (section ``scaling``) and a log-log plot.

    python benchmarks/scaling.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import common
import numpy as np
from bench_core import build
from results import image_link, write_section


def measure(n_boxes: int, batch: int, gradient: bool, steps: int, backend: str = "jax") -> dict:
    import symphys as sp

    batch_axis = None if batch == 1 else batch
    model, state, outputs = build(batch_axis, gradient, steps, n_boxes=n_boxes, dtype="float32")
    start = time.perf_counter()
    fn = sp.compile([state.velocity], outputs, backend)
    compile_s = time.perf_counter() - start
    best, out, _ = common.time_calls(fn, [model.initial_state(batch_axis).velocity])
    return dict(boxes=n_boxes, batch=batch, gradient=gradient, steps=steps, compile_s=compile_s,
                ms_per_step=1e3 * best / steps, finite=bool(np.all(np.isfinite(np.asarray(out[0])))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bodies", nargs="+", type=int, default=[1, 4, 16, 64])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 16, 128, 1024])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--output", default=os.path.join(common.HERE, "RESULTS.md"))
    parser.add_argument("--section", default="scaling")
    parser.add_argument("--plot", default=os.path.join(common.HERE, "scaling.png"))
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    devices = common.jax_platforms()
    points = [(n, 1) for n in args.bodies] + [(8, b) for b in args.batches]
    rows = [(n, b, gradient) for n, b in points for gradient in (False, True)]
    results = common.measure_rows(rows, lambda n, b, gradient: measure(n, b, gradient, args.steps),
                                  lambda n, b, gradient: f"{n} boxes B={b} {'grad' if gradient else 'fwd'}", "scaling")
    by = {(r["boxes"], r["batch"], r["gradient"]): r for r in results}
    lines = ["## Scaling: bodies and batch (`benchmarks/scaling.py`)", "",
             f"Command: `python benchmarks/scaling.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
             f"Machine: {common.machine()}; JAX devices {devices}; "
             f"{time.strftime('%Y-%m-%d')}.  ",
             f"Boxes dropped on the ground, dt 0.01, Jacobi 10 sweeps, float32, JAX; {args.steps} steps per call; "
             "gradient w.r.t. every initial velocity. Milliseconds per step (per step of the whole batch).", "",
             "| boxes | batch | fwd ms/step | fwd+grad ms/step | grad/fwd | fwd ms/step per world | "
             "compile fwd / grad s |", "|---|---|---|---|---|---|---|"]
    for n, b in points:
        f, g = by.get((n, b, False)), by.get((n, b, True))
        if not (f and g):
            continue
        lines.append(f"| {n} | {b} | {f['ms_per_step']:.3f} | {g['ms_per_step']:.3f} | "
                     f"{g['ms_per_step'] / f['ms_per_step']:.1f} | {f['ms_per_step'] / b:.4f} | "
                     f"{f['compile_s']:.1f} / {g['compile_s']:.1f} |")
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(dict(devices=devices, rows=results), handle, indent=1)
    if args.plot and results:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
        for ax, key, xs, fixed in ((axes[0], "boxes", args.bodies, dict(batch=1)),
                                   (axes[1], "batch", args.batches, dict(boxes=8))):
            for gradient, color in ((False, "tab:blue"), (True, "tab:red")):
                pts = [(r[key], r["ms_per_step"]) for r in results if r["gradient"] == gradient
                       and all(r[k] == v for k, v in fixed.items()) and r[key] in xs]
                if pts:
                    ax.loglog(*zip(*sorted(pts)), "o-", color=color, label="fwd+grad" if gradient else "fwd")
            ax.set_xlabel("boxes (batch 1)" if key == "boxes" else "batch (8 boxes)")
            ax.set_ylabel("ms per step")
            ax.legend()
        fig.suptitle(f"symphys cost per step ({', '.join(devices)})")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
        lines += ["", image_link("scaling", args.plot, args.output)]
    if args.output:
        write_section(args.output, args.section, "\n".join(lines))


if __name__ == "__main__":
    main()
