"""Gradient of the arm's reaching loss over long horizons: full BPTT, decay, truncation.

    python benchmarks/arm_gradient_horizon.py

For the global reaching network (untrained, seed 0) on 8 random targets:
(1) the norm of the exact gradient as the rollout grows, (2) at the
training horizon (5 s), each gradient against a central finite difference
of the loss along that gradient's own direction (a gradient that describes
the loss has |FD / norm| ~ 1), and the cosine between the gradients.
Writes the tables to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from results import write_section  # noqa: E402

import symphys as sp  # noqa: E402
from symphys.learn.optim import global_norm  # noqa: E402
from symphys_models import arm, arm_reach  # noqa: E402

BATCH = 8


def loss_graph(model, net, weights, targets, duration, truncate=None, decay=None):
    steps = int(round(duration / arm_reach.DT))
    window = max(1, min(int(round(arm_reach.LOSS_WINDOW / arm_reach.DT)), steps // 2))
    distance = arm_reach.rollout_distance(model, net, weights, targets, BATCH, duration, truncate, decay)
    return distance[-window:].mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--horizons", type=float, nargs="+", default=[0.5, 1.0, 2.0, 3.5, 5.0])
    parser.add_argument("--eps", type=float, nargs="+", default=[1e-3, 1e-4, 1e-5])
    args = parser.parse_args()
    pt = sp.backend.pt
    model = arm.build_model(iterations=arm_reach.SOLVER_ITERATIONS)
    net = arm_reach.make_network()
    weights = net.symbolic()
    w0 = net.init(0)
    targets = pt.matrix("targets")
    target_values = arm_reach.sample_targets(BATCH, np.random.default_rng(7))

    lines = ["| horizon (s) | exact gradient norm | compile (s) |", "|---|---|---|"]
    for horizon in args.horizons:
        start = time.perf_counter()
        loss = loss_graph(model, net, weights, targets, horizon)
        fn = sp.compile(weights + [targets], sp.grad(loss, weights))
        grads = fn(*w0, target_values)
        lines.append(f"| {horizon:g} | {global_norm(grads):.3g} | {time.perf_counter() - start:.0f} |")
        print(lines[-1], flush=True)

    horizon = arm_reach.DURATION
    forward = sp.compile(weights + [targets], [loss_graph(model, net, weights, targets, horizon)])
    truncate = int(round(arm_reach.TRUNCATE / arm_reach.DT))
    variants = {"exact (full BPTT)": dict(), "gradient decay 0.95 per step": dict(decay=0.95),
                f"truncated to the last {arm_reach.TRUNCATE:g} s": dict(truncate=truncate)}
    gradients = {}
    table = ["| gradient | norm | " + " | ".join(f"FD/norm, eps {e:g}" for e in args.eps) + " | s per call |",
             "|---|---|" + "---|" * len(args.eps) + "---|"]
    for name, options in variants.items():
        loss = loss_graph(model, net, weights, targets, horizon, **options)
        fn = sp.compile(weights + [targets], sp.grad(loss, weights))
        fn(*w0, target_values)
        start = time.perf_counter()
        grads = fn(*w0, target_values)
        seconds = time.perf_counter() - start
        gradients[name] = grads
        size = global_norm(grads)
        direction = [g / size for g in grads]
        ratios = []
        for eps in args.eps:
            plus = forward(*[w + eps * d for w, d in zip(w0, direction)], target_values)[0]
            minus = forward(*[w - eps * d for w, d in zip(w0, direction)], target_values)[0]
            ratios.append((plus - minus) / (2 * eps) / size)
        table.append(f"| {name} | {size:.3g} | " + " | ".join(f"{r:.2f}" for r in ratios) + f" | {seconds:.2f} |")
        print(table[-1], flush=True)
    flat = {k: np.concatenate([g.ravel() for g in v]) for k, v in gradients.items()}
    names = list(flat)
    cosines = [f"cos({a}, {b}) = {flat[a] @ flat[b] / np.linalg.norm(flat[a]) / np.linalg.norm(flat[b]):.2f}"
               for i, a in enumerate(names) for b in names[i + 1:]]
    print("\n".join(cosines))
    text = "\n".join([
        "## Arm: gradients over long horizons (exact, decayed, truncated)",
        "",
        "`python benchmarks/arm_gradient_horizon.py` (global reaching network, untrained, 8 random targets, "
        "loss = mean tip distance over the last second, Gauss-Seidel 6 sweeps, 2-core CPU)",
        "",
        "Exact gradient norm as the rollout grows:",
        "",
        *lines,
        "",
        f"At the training horizon ({horizon:g} s): each gradient's norm against a central finite difference "
        "of the loss along that gradient's direction (1.00 = the gradient describes the loss):",
        "",
        *table,
        "",
        "; ".join(cosines) + ".",
        "",
        "The loss is rough below ~1e-3 in weight space (servo speed clips, torque bounds and solver "
        "projections switch), so the finite differences scatter with eps; the exact gradient is 30-100x "
        "steeper than any of them (it measures that roughness, and grows abruptly between 3.5 and 5 s), while"
        " the decayed and truncated gradients are the size of the measured slopes and agree with each other. "
        "Training uses the truncated gradient (RESULTS \"global reaching policy\"). Timings in this section "
        "were taken with another job on the machine.",
    ])
    write_section(os.path.join(HERE, "RESULTS.md"), "arm_gradient_horizon", text)


if __name__ == "__main__":
    main()
