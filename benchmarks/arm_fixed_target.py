"""The arm's fixed-target task: backprop (Adam) vs CMA-ES, same budget.

    python benchmarks/arm_fixed_target.py [--evaluations 150]

Writes the comparison to benchmarks/RESULTS.md and a plot to
benchmarks/arm_fixed_target.png.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from results import write_section  # noqa: E402

from symphys_models import arm  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluations", type=int, default=150)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    task = arm.FixedTargetTask(seed=args.seed)
    print(f"compiled in {task.compile_seconds:.1f} s; {task.net.n_parameters} controller weights")
    backprop, _ = arm.train_backprop(task, args.evaluations, args.learning_rate)
    cmaes = arm.train_cmaes(task, args.evaluations, seed=args.seed)
    lines = ["## Arm, fixed target (`benchmarks/arm_fixed_target.py`)", "",
             f"Command: `python benchmarks/arm_fixed_target.py --evaluations {args.evaluations}`. "
             f"4-DOF arm (symphys_models/arm.py), target {arm.TARGET.tolist()} m, MLP 1-128-128-4 "
             f"({task.net.n_parameters} weights), 8 s rollouts at dt 0.01, colored Gauss-Seidel. "
             "Loss: mean tip distance over steps >= 100. Same seed and budget for both methods; "
             "the best controller seen is reported.", "",
             "| method | rollouts | compile s | wall s | mean distance m (steps >= 100) | "
             "final distance m | within 1 cm |", "|---|---|---|---|---|---|---|"]
    for r in (backprop, cmaes):
        lines.append(f"| {r.method} | {r.evaluations} | {r.compile_seconds:.1f} | {r.wall_seconds:.1f} "
                     f"| {r.mean_distance:.4f} | {r.final_distance:.4f} | "
                     f"{'yes' if r.final_distance < 0.01 else 'no'} |")
    print("\n".join(lines))
    write_section(os.path.join(HERE, "RESULTS.md"), "arm_fixed_target", "\n".join(lines))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(backprop.history, label=backprop.method)
    ax.semilogy(np.arange(1, len(cmaes.history) + 1) * (args.evaluations / max(len(cmaes.history), 1)),
                cmaes.history, label=cmaes.method)
    ax.set(xlabel="rollouts", ylabel="mean tip distance (m)", title="arm, fixed target")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "arm_fixed_target.png"), dpi=110)


if __name__ == "__main__":
    main()
