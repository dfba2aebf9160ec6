"""``symphys arm train|eval|cmaes``: the global reaching policy from the command line."""

from __future__ import annotations

import json
import os

import numpy as np

from . import arm_reach


def main(args) -> int:
    checkpoint = args.checkpoint or arm_reach.CHECKPOINT
    progress = not args.no_progress
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
        _plots(args.out, log, scores)
        return 0
    if args.task == "eval":
        net, weights, meta = arm_reach.load_checkpoint(checkpoint)
        task = arm_reach.ReachTask(hidden=net.sizes[1:-1], training=False)
        scores = task.evaluate(weights)
        log = meta["log"]
        print(f"{checkpoint}: {net.n_parameters:,} weights, trained {log['updates']} updates, "
              f"{log['evaluations']:,} rollouts, {log['wall_seconds'] / 60:.1f} min")
        _report(scores)
        _plots(args.out, arm_reach.TrainingLog(**log), scores)
        return 0 if scores["mean_8s"] <= 0.05 else 1
    if args.task == "cmaes":
        budget = args.evaluations
        if budget is None:
            budget = arm_reach.load_checkpoint(checkpoint)[2]["log"]["evaluations"]
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


def _report(scores) -> None:
    print(f"held-out 256 targets: mean error {scores['mean_5s'] * 100:.2f} cm at 5 s "
          f"(95th percentile {scores['p95_5s'] * 100:.2f} cm), {scores['mean_8s'] * 100:.2f} cm at 8 s "
          f"(95th percentile {scores['p95_8s'] * 100:.2f} cm)")


def _plots(folder, log, scores) -> None:
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
