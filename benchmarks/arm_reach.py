"""The arm's global reaching policy: backprop vs CMA-ES table for RESULTS.md.

    make arm-train     # symphys arm train: writes symphys_models/checkpoints/arm_reach.npz
    make arm-cmaes     # symphys arm cmaes: same network and rollout budget, writes out/arm/cmaes.json
    python benchmarks/arm_reach.py

Evaluates the checkpoint on the 256 held-out targets, reads the CMA-ES
run, writes the comparison to benchmarks/RESULTS.md and the plots to
benchmarks/arm_reach_*.png.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from results import write_section  # noqa: E402

from symphys_models import arm_cli, arm_reach  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", default=arm_reach.CHECKPOINT)
    parser.add_argument("--cmaes", default="out/arm/cmaes.json")
    args = parser.parse_args()
    net, weights, log, _ = arm_reach.load_checkpoint(args.checkpoint)
    task = arm_reach.ReachTask(hidden=net.sizes[1:-1], training=False)
    scores = task.evaluate(weights)
    arm_cli.plots(os.path.join("out", "arm"), log, scores)
    for name in ("learning_curve", "workspace_error"):
        shutil.copy(os.path.join("out", "arm", f"{name}.png"), os.path.join(HERE, f"arm_reach_{name}.png"))
    rows = [("backprop through physics (Adam, truncated BPTT)", log.updates, log.evaluations,
             log.wall_seconds, scores["mean_5s"], scores["mean_8s"], scores["p95_8s"])]
    if os.path.exists(args.cmaes):
        with open(args.cmaes) as handle:
            cma = json.load(handle)
        rows.append(("CMA-ES (diagonal), same network", cma["generations"], cma["evaluations"],
                     cma["wall_seconds"], cma["mean_5s"], cma["mean_8s"], cma["p95_8s"]))
    table = ["| method | updates | rollouts | wall time (min) | mean error at 5 s (cm) | mean error at 8 s (cm) "
             "| 95th percentile at 8 s (cm) |", "|---|---|---|---|---|---|---|"]
    for name, updates, rollouts, wall, at_5, at_8, p95 in rows:
        table.append(f"| {name} | {updates:,} | {rollouts:,} | {wall / 60:.1f} | {at_5 * 100:.2f} | "
                     f"{at_8 * 100:.2f} | {p95 * 100:.2f} |")
    print("\n".join(table))
    text = "\n".join([
        "## Arm: global reaching policy (random targets)",
        "",
        "`make arm-train && make arm-cmaes && python benchmarks/arm_reach.py` (2-core CPU, JAX). "
        f"Network 3-{'-'.join(str(s) for s in net.sizes[1:-1])}-5 ReLU ({net.n_parameters:,} weights), "
        f"batches of {log.evaluations // max(log.updates, 1)} random targets in the "
        f"{arm_reach.SHELL[0]}-{arm_reach.SHELL[1]} m shell, {arm_reach.DURATION:g} s rollouts, loss = mean tip "
        f"distance over the last {arm_reach.LOSS_WINDOW:g} s, gradients truncated to the last "
        f"{arm_reach.TRUNCATE:g} s. Errors on the 256 held-out targets (seed {arm_reach.HELD_OUT_SEED}), after "
        "the training horizon (5 s) and after the paper's 8 s. `symphys arm eval` reproduces the backprop row "
        "from the shipped checkpoint. The paper: mean error under 5 cm after 2,563 updates, 656,128 rollouts, "
        "about 41 GPU hours, with a 2.1M-weight network.",
        "",
        *table,
        "",
        "![learning curve](arm_reach_learning_curve.png) ![error over the workspace](arm_reach_workspace_error.png)",
    ])
    write_section(os.path.join(HERE, "RESULTS.md"), "arm_reach", text)


if __name__ == "__main__":
    main()
