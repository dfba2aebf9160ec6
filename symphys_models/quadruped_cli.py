"""``symphys quadruped train|eval|cmaes|baseline``: the neural gait from the command line."""

from __future__ import annotations

import json
import os

import numpy as np

from symphys.cli import positive_float, positive_int, read_checkpoint, show_progress
from symphys.learn import train

from . import quadruped, quadruped_gait

VIEW_MOTIONS = {"quadruped": quadruped.demo_trajectory}  # symphys view --model quadruped


def register(subparsers) -> None:
    """Declare ``symphys quadruped`` and its flags."""
    parser = subparsers.add_parser("quadruped", help="the quadruped: a neural gait trained through physics")
    parser.add_argument("task", choices=["train", "eval", "cmaes", "baseline"],
                        help="train: backpropagation through 8 s rollouts; eval: the saved gait against the "
                             "hand-tuned trot (also writes its trajectory, HTML and GIF); cmaes: CMA-ES on the "
                             "same budget (its figure goes into the checkpoint for eval); baseline: the grid of trots "
                             "the hand-tuned one was picked from")
    parser.add_argument("--evaluations", type=positive_int, default=500, help="train/cmaes: rollouts")
    parser.add_argument("--learning-rate", type=positive_float, default=None,
                        help=f"train: Adam rate ({quadruped_gait.LEARNING_RATE:g}, the paper's)")
    parser.add_argument("--checkpoint", default=None, help="weights file (default: the shipped one)")
    parser.add_argument("--out", default="out/quadruped", help="folder for plots and trajectories")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-torque", type=positive_float, default=None,
                        help=f"train/cmaes/baseline: servo torque limit, N m (default {quadruped_gait.MAX_TORQUE:g}; "
                             "the paper's 4 cannot carry the robot; eval reads the checkpoint's)")
    parser.add_argument("--horizon", type=positive_float, default=None,
                        help="train: exact gradient of the speed over the first HORIZON s (default: the paper's "
                             "recipe, 8 s rollouts, every step's speed, gradient decay 0.95)")
    parser.add_argument("--rerun-baseline", action="store_true",
                        help="eval: simulate the hand-tuned trot grid again instead of reading the checkpoint's figure")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(run=main)


def main(args) -> int:
    """``symphys quadruped TASK``: exit status 0 on success."""
    checkpoint = args.checkpoint or quadruped_gait.CHECKPOINT
    progress = show_progress(args)
    max_torque = args.max_torque or quadruped_gait.MAX_TORQUE  # N m; eval reads its checkpoint's
    loaded = read_checkpoint(quadruped_gait.load_checkpoint, checkpoint, "symphys quadruped eval") \
        if args.task == "eval" else None
    os.makedirs(args.out, exist_ok=True)
    if args.task == "baseline":
        _hand_tuned(max_torque, progress)
        return 0
    if args.task == "train":
        # --horizon: the exact gradient of the mean speed over the first `horizon` seconds; default:
        # 8 s rollouts with the gradient of their last second's speed (quadruped_gait.TRUNCATE).
        horizon = dict(duration=args.horizon, gradient_decay=None) if args.horizon else {}
        task = quadruped_gait.GaitTask(seed=args.seed, max_torque=max_torque, **horizon)
        print(f"compiled in {task.compile_seconds:.1f} s; {task.n_parameters:,} controller weights; "
              f"{args.evaluations} rollouts of {task.duration:g} s -> {checkpoint}")
        best, _, log = quadruped_gait.train_backprop(task, args.evaluations,
                                                     args.learning_rate or quadruped_gait.LEARNING_RATE,
                                                     checkpoint=checkpoint, progress=progress, checkpoint_every=5)
        _, _, _, meta = quadruped_gait.load_checkpoint(checkpoint)
        velocity, upright = meta["rollouts"][log.best_index]
        print(f"trained in {log.wall_seconds / 60:.1f} min; best gait at rollout {log.best_index + 1}: "
              f"{velocity:.3f} m/s, {'upright' if quadruped_gait.is_upright(upright) else 'not upright'} at the end")
        baseline = _hand_tuned(max_torque, progress)
        _plot_learning_curve(os.path.join(args.out, "learning_curve.png"), meta["rollouts"], baseline["velocity"],
                             task.duration)
        task = quadruped_gait.GaitTask(training=False, max_torque=max_torque)
        velocity, upright, hip_max = _evaluate(task, best, args.out)
        quadruped_gait.record_figures(checkpoint, hand_tuned=baseline, velocity=velocity, upright=upright)
        _summary(velocity, baseline, None, upright, hip_max)
        return 0
    if args.task == "eval":
        net, weights, log, meta = loaded
        max_torque = float(meta.get("max_torque", quadruped.MAX_TORQUE))
        task = quadruped_gait.GaitTask(hidden=net.hidden, window=None, training=False, max_torque=max_torque)
        print(f"{checkpoint}: {net.n_parameters:,} weights, servos of {max_torque:g} N m, {log.evaluations} "
              f"rollouts, {log.wall_seconds / 60:.1f} min of training")
        if meta.get("init"):
            print(f"started from: {meta['init']} ({meta.get('rollouts_before', 0)} rollouts before these)")
        if "learning_rate" in meta:
            gradient = (f"exact within {meta['window']:g} s windows" if meta.get("window") else
                        f"gradient decay {meta['gradient_decay']}" if meta.get("gradient_decay") else "exact gradient")
            print(f"training: Adam {meta['learning_rate']:g}, clip {meta['clip']:g}, {gradient}, upright weight "
                  f"{meta.get('upright_weight', 0):g}, {meta.get('starts', 1)} start(s) per update")
        if args.rerun_baseline or "hand_tuned" not in meta:
            baseline = _hand_tuned(max_torque, progress)
        else:
            baseline = meta["hand_tuned"]
            among = (f"the {baseline['upright_candidates']} of {baseline['candidates']} trots that end upright"
                     if "upright_candidates" in baseline else f"{baseline['candidates']} trots")
            print(f"hand-tuned trot ({max_torque:g} N m servos, from the checkpoint; --rerun-baseline simulates it "
                  f"again): best of {among} {baseline['best']}")
        rollouts = meta.get("rollouts") or [[-loss, 1.0] for loss in log.loss]  # checkpoints before the upright rule
        _plot_learning_curve(os.path.join(args.out, "learning_curve.png"), rollouts, baseline["velocity"],
                             float(meta.get("horizon", quadruped_gait.DURATION)))
        velocity, upright, hip_max = _evaluate(task, weights, args.out)
        _summary(velocity, baseline, meta.get("cmaes"), upright, hip_max)
        return 0
    if args.task == "cmaes":
        task = quadruped_gait.GaitTask(seed=args.seed, training=False, max_torque=max_torque)
        weights, log, rollouts = quadruped_gait.train_cmaes(task, args.evaluations, progress=progress)
        velocity, upright = rollouts[log.best_index]
        figures = dict(evaluations=log.evaluations, wall_seconds=log.wall_seconds, best_velocity=velocity,
                       best_upright=upright, sigma0=quadruped_gait.CMAES_SIGMA0)
        print(f"CMA-ES: {log.evaluations} rollouts, {log.wall_seconds / 60:.1f} min; best candidate (rollout "
              f"{log.best_index + 1}) {velocity:.3f} m/s, "
              f"{'upright' if quadruped_gait.is_upright(upright) else 'not upright'} at the end")
        with open(os.path.join(args.out, "cmaes.json"), "w") as handle:
            json.dump(dict(figures, rollouts=rollouts), handle)
        # The best candidate as a checkpoint that eval and the replays read like a trained one.
        train.save_checkpoint(os.path.join(args.out, "cmaes.npz"), weights, log,
                              dict(hidden=list(task.net.hidden), max_torque=max_torque, horizon=task.duration,
                                   method="CMA-ES (diagonal)", rollouts=rollouts, **figures))
        print(f"wrote {args.out}/cmaes.json and cmaes.npz (the best candidate's weights)")
        if os.path.exists(checkpoint):  # eval prints it beside the trained gait
            quadruped_gait.record_figures(checkpoint, cmaes=figures)
            print(f"recorded in {checkpoint}")
        return 0
    return 2


def _hand_tuned(max_torque: float, progress: bool) -> dict:
    """The hand-tuned baseline for servos of max_torque N m: tune_trot's best trot (its "velocity", m/s)."""
    result = quadruped_gait.tune_trot(max_torque=max_torque, progress=progress)
    print(f"hand-tuned trot ({max_torque:g} N m servos): best of the {result['upright_candidates']} of "
          f"{result['candidates']} trots that end upright {result['best']}: {result['velocity']:.3f} m/s over "
          f"{quadruped_gait.DURATION:g} s")
    return {key: result[key] for key in ("candidates", "upright_candidates", "best", "velocity", "upright")}


def _summary(velocity: float, baseline: dict, cmaes: dict | None, upright: float, hip_max: float) -> None:
    """The eval's verdict lines: trained and hand-tuned speeds (m/s), their ratio, CMA-ES, upright."""
    hand = baseline["velocity"]
    ratio = velocity / hand if hand > 0 else float("inf")
    print(f"trained gait:    {velocity:.10f} m/s (mean forward velocity over {quadruped_gait.DURATION:g} s)")
    print(f"hand-tuned trot: {hand:.10f} m/s")
    print(f"ratio:           {ratio:.2f}x (target >= 2x)")
    if cmaes:
        print(f"CMA-ES:          best {cmaes['best_velocity']:.3f} m/s after {cmaes['evaluations']} evaluations")
    else:
        print("CMA-ES:          not run")
    print(f"upright at {quadruped_gait.DURATION:g} s: {'yes' if quadruped_gait.is_upright(upright) else 'no'} "
          f"(torso z axis . up = {upright:.3f})")
    print(f"hips:            at most {np.degrees(hip_max):.2f} deg from straight (limits +-45 deg)")


def _evaluate(task, weights, out: str) -> tuple[float, float, float]:
    """The gait's 8 s speed (m/s), final uprightness, largest hip angle (rad); writes its trajectory, HTML, GIF."""
    from symphys import viewer

    velocity, position, orientation = task.rollout(weights)
    traj = viewer.save_trajectory(os.path.join(out, "gait.npz"), task.model, (position, orientation), every=2,
                                  title=f"quadruped: trained gait, {velocity:.2f} m/s")
    viewer.write_html(os.path.join(out, "gait.html"), traj)
    viewer.write_gif(os.path.join(out, "gait.gif"), traj)
    print(f"wrote {out}/gait.npz, gait.html and gait.gif")
    hip_max = float(np.abs(quadruped_gait.pitch_angles(task.model, orientation)[:, 0::2]).max())
    return velocity, quadruped_gait.upright(orientation[-1, task.model.body_index("torso")]), hip_max


def _plot_learning_curve(path: str, rollouts, baseline: float, horizon: float = quadruped_gait.DURATION) -> None:
    """Each rollout's speed (m/s; the ones that end fallen marked) and the best upright speed so far."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    velocity, fell, best = quadruped_gait.best_upright_so_far(rollouts)
    evaluation = np.arange(1, len(velocity) + 1)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(evaluation, velocity, lw=0.8, label="rollout")
    ax.plot(evaluation[fell], velocity[fell], "x", ms=3, color="C3", label="ends fallen (does not count)")
    ax.plot(evaluation, best, lw=1.5, label="best upright so far")
    ax.axhline(baseline, color="k", ls="--", lw=1, label="hand-tuned trot (8 s)")
    ax.set_xlabel(f"evaluation (one {horizon:g} s rollout)")
    ax.set_ylabel(f"mean forward velocity over {horizon:g} s (m/s)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}")
