"""``symphys arm reach|train|eval|cmaes``: the fixed-target task and the global reaching policy."""

from __future__ import annotations

import json
import os

import numpy as np

from symphys.cli import positive_float, positive_int, read_checkpoint, show_progress

from . import arm, arm_reach

GRAPH_MODELS = {"arm": arm.build_model}  # symphys graph --model arm


def register(subparsers) -> None:
    """Declare ``symphys arm`` and its flags."""
    parser = subparsers.add_parser("arm", help="the 4-DOF arm: fixed-target reaching; a global reaching policy")
    parser.add_argument("task", choices=["reach", "train", "eval", "cmaes"],
                        help="reach: fixed target (0.5, 0.5, 0.5) m; train: the global policy on random "
                             "targets; eval: the policy on the 256 held-out targets; cmaes: CMA-ES baseline")
    parser.add_argument("--evaluations", type=positive_int, default=None,
                        help="rollouts (reach: 150; cmaes: default = the checkpoint's training budget)")
    parser.add_argument("--learning-rate", type=positive_float, default=None, help="Adam rate (reach 3e-3, train 1e-2)")
    parser.add_argument("--updates", type=positive_int, default=1000, help="train: Adam updates")
    parser.add_argument("--batch", type=positive_int, default=32, help="train/cmaes: targets per update")
    parser.add_argument("--checkpoint", default=None, help="train/eval: weights file (default: the shipped one)")
    parser.add_argument("--resume", action="store_true", help="train: continue from the checkpoint")
    parser.add_argument("--out", default="out/arm", help="folder for plots")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(run=main)


def main(args) -> int:
    """``symphys arm TASK``: exit status 0 on success (reach: within 1 cm; eval: within 5 cm on average)."""
    checkpoint = args.checkpoint or arm_reach.CHECKPOINT
    progress = show_progress(args)
    if args.task == "reach":
        return _reach(args.evaluations or 150, args.learning_rate or 3e-3, args.seed, progress)
    if args.task == "train":
        task = arm_reach.ReachTask(batch=args.batch, seed=args.seed)
        print(f"compiled in {task.compile_seconds:.1f} s; {task.n_parameters:,} controller weights; "
              f"batch {args.batch}, {args.updates} updates -> {checkpoint}")
        weights, log = arm_reach.train_backprop(task, args.updates, args.learning_rate or 1e-2,
                                                seed=args.seed + 1, checkpoint=checkpoint, progress=progress,
                                                resume=args.resume)
        scores = task.evaluate(weights)
        print(f"trained in {log.wall_seconds / 60:.1f} min ({log.updates} updates, {log.evaluations:,} rollouts)")
        _report(scores)
        plots(args.out, log, scores)
        return 0
    if args.task == "eval":
        net, weights, log, _ = read_checkpoint(arm_reach.load_checkpoint, checkpoint, "symphys arm eval")
        task = arm_reach.ReachTask(hidden=net.sizes[1:-1], training=False)
        scores = task.evaluate(weights)
        print(f"{checkpoint}: {net.n_parameters:,} weights, trained {log.updates} updates, "
              f"{log.evaluations:,} rollouts, {log.wall_seconds / 60:.1f} min")
        _report(scores)
        plots(args.out, log, scores)
        return 0 if scores["mean_8s"] <= 0.05 else 1
    if args.task == "cmaes":
        budget = args.evaluations
        if budget is None:
            budget = read_checkpoint(arm_reach.load_checkpoint, checkpoint, "symphys arm cmaes")[2].evaluations
        task = arm_reach.ReachTask(batch=args.batch, seed=args.seed)
        weights, log = arm_reach.train_cmaes(task, budget, seed=args.seed + 1, progress=progress)
        scores = task.evaluate(weights)
        print(f"CMA-ES: {log.updates} generations, {log.evaluations:,} rollouts, {log.wall_seconds / 60:.1f} min")
        _report(scores)
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "cmaes.json"), "w") as handle:
            json.dump(dict(generations=log.updates, evaluations=log.evaluations, wall_seconds=log.wall_seconds,
                           loss=log.loss, mean_5s=scores["mean_5s"], mean_8s=scores["mean_8s"],
                           p95_8s=scores["p95_8s"]), handle)
        return 0
    return 2


def _reach(evaluations: int, learning_rate: float, seed: int, progress: bool) -> int:
    """The fixed target by backpropagation; 0 if the tip ends within 1 cm."""
    task = arm.FixedTargetTask(seed=seed)
    print(f"compiled in {task.compile_seconds:.1f} s; {task.net.n_parameters} controller weights")
    result, _ = arm.train_backprop(task, evaluations, learning_rate, progress=progress)
    print(f"backprop: {result.evaluations} rollouts, {result.wall_seconds:.1f} s, mean distance "
          f"{result.mean_distance:.4f} m, final distance {result.final_distance:.4f} m")
    return 0 if result.final_distance < 0.01 else 1


def _report(scores) -> None:
    print(f"held-out 256 targets: mean error {scores['mean_5s'] * 100:.2f} cm at 5 s "
          f"(95th percentile {scores['p95_5s'] * 100:.2f} cm), {scores['mean_8s'] * 100:.2f} cm at 8 s "
          f"(95th percentile {scores['p95_8s'] * 100:.2f} cm)")


def plots(folder, log, scores) -> None:
    """learning_curve.png (log: a TrainingLog) and workspace_error.png (scores: ReachTask.evaluate's) in folder."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(folder, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    loss = np.asarray(log.loss)
    ax.semilogy(np.arange(1, len(loss) + 1), loss, lw=0.5, alpha=0.4, label="batch loss")
    if len(loss) >= 25:
        smooth = np.convolve(loss, np.ones(25) / 25, mode="valid")
        ax.semilogy(np.arange(25, len(loss) + 1), smooth, label="25-update mean")
    if log.checkpoints:
        update, at_5, at_8 = np.asarray(log.checkpoints).T
        ax.semilogy(update, at_8, "o-", label="held-out mean error, 8 s")
    ax.axhline(0.05, color="k", ls=":", lw=1, label="5 cm")
    ax.set_xlabel("update (batch of random targets)")
    ax.set_ylabel("tip distance (m)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "learning_curve.png"), dpi=120)
    plt.close(fig)

    targets, error = scores["targets"], scores["error_8s"]
    azimuth = np.degrees(np.arctan2(targets[:, 1], targets[:, 0]))
    elevation = np.degrees(np.arcsin(targets[:, 2] / np.linalg.norm(targets, axis=1)))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    points = ax.scatter(azimuth, elevation, c=error * 100, s=10 + 40 * (np.linalg.norm(targets, axis=1) - 0.7),
                        cmap="viridis", vmin=0, vmax=max(10.0, np.percentile(error * 100, 95)))
    fig.colorbar(points, label="tip error after 8 s (cm)")
    ax.set_xlabel("target azimuth (deg)")
    ax.set_ylabel("target elevation (deg)")
    ax.set_title(f"held-out targets: mean {error.mean() * 100:.1f} cm (marker size: distance)")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "workspace_error.png"), dpi=120)
    plt.close(fig)
    print(f"plots in {folder}/learning_curve.png and workspace_error.png")
