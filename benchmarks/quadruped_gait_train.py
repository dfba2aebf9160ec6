"""Issue 17: the paper's training recipe on the quadruped with 20 N m servos, logged per evaluation.

    python benchmarks/quadruped_gait_train.py --evaluations 500 --checkpoint recipe.npz
    python benchmarks/quadruped_gait_train.py --upright-weight 0.2 --checkpoint upright.npz   # a variant
    symphys quadruped cmaes --evaluations 400 --seed 1 --out out/cmaes400 --checkpoint out/cmaes400/none.npz
    python benchmarks/quadruped_gait_train.py --init out/cmaes400/cmaes.npz --window 1 --upright-weight 3 \
        --checkpoint hybrid.npz                                      # the shipped hybrid (500 rollouts in all)
    python benchmarks/quadruped_gait_train.py --finalize --checkpoint C [--grid grid.json]   # figures for eval
    python benchmarks/quadruped_gait_train.py --figure gait.png recipe.npz upright.npz \
        --cmaes out/quadruped/cmaes.json --hand-tuned 0.138                                   # all curves

The recipe: loss = minus the torso's forward velocity averaged over every
step of an 8 s rollout (dt 5 ms), rollout(gradient_decay=0.95), global-norm
clipping 1, Adam 1e-3, batch 1, output layers zero.  The best weights are
the fastest gait that ends upright (quadruped_gait.gait_score).  Writes them
to the checkpoint every 5 evaluations, at the deadline and on Ctrl-C, with
every rollout's speed and final uprightness; prints one line per evaluation
(speed, uprightness, gradient norm, seconds).
"""

from __future__ import annotations

import argparse
import signal
import time

import numpy as np

from symphys_models import quadruped_gait


def finalize(path: str, grid: str | None) -> None:
    """Record in the checkpoint what `symphys quadruped eval` prints: the gait's 8 s speed replayed by the
    forward rollout, whether it ends upright, and the hand-tuned grid's best (from `grid`, the JSON line of
    `quadruped_gait_checks.py grid`, or simulated now)."""
    import json

    net, weights, _, meta = quadruped_gait.load_checkpoint(path)
    task = quadruped_gait.GaitTask(hidden=net.hidden, training=False, max_torque=meta["max_torque"])
    velocity, _, orientation = task.rollout(weights)
    upright = quadruped_gait.upright(orientation[-1, task.model.body_index("torso")])
    if grid:
        with open(grid) as handle:
            result = json.load(handle)
    else:
        result = quadruped_gait.tune_trot(max_torque=meta["max_torque"], progress=False)
    hand_tuned = {key: result[key] for key in ("candidates", "upright_candidates", "best", "velocity", "upright")}
    quadruped_gait.record_figures(path, velocity=velocity, upright=upright, hand_tuned=hand_tuned)
    print(f"{path}: {velocity:.10f} m/s, upright {upright:.3f}, hand-tuned {hand_tuned['velocity']:.4f} m/s "
          f"({velocity / hand_tuned['velocity']:.2f}x)", flush=True)


def figure(out: str, paths: list[str], cmaes: str | None, hand_tuned: float) -> None:
    """Every run's best upright speed so far against evaluations on one figure (each rollout faint, the
    ones that end fallen marked), CMA-ES's from its `symphys quadruped cmaes` JSON, the hand-tuned trot
    and 2x it as lines."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.6))
    runs = [quadruped_gait.load_checkpoint(path)[3] for path in paths]
    if cmaes:
        with open(cmaes) as handle:
            result = json.load(handle)
        runs.append(dict(rollouts=result["rollouts"], label=f"CMA-ES (diagonal, sigma0 {result['sigma0']:g})"))
    for color, meta in enumerate(runs):
        velocity, fell, best = quadruped_gait.best_upright_so_far(meta["rollouts"])
        evaluation = meta.get("rollouts_before", 0) + np.arange(1, len(velocity) + 1) * meta.get("starts", 1)
        label = meta.get("label") or (f"Adam {meta['learning_rate']:g}, decay {meta['gradient_decay']}, "
                                      f"upright weight {meta.get('upright_weight', 0):g}")
        ax.plot(evaluation, velocity, lw=0.4, alpha=0.25, color=f"C{color}")
        ax.plot(evaluation[fell], velocity[fell], "x", ms=2.5, alpha=0.4, color=f"C{color}")
        ax.plot(evaluation, best, lw=1.8, color=f"C{color}", label=label)
    ax.axhline(hand_tuned, color="k", ls="--", lw=1, label="hand-tuned trot (best upright of 48)")
    ax.axhline(2 * hand_tuned, color="k", ls=":", lw=1, label="target: 2x hand-tuned")
    ax.set_xlabel("evaluation (one 8 s rollout; with its gradient for Adam)")
    ax.set_ylabel("mean forward velocity over 8 s (m/s)")
    ax.set_title("quadruped, 20 N m servos: best gait that ends upright (thick), each rollout (thin; x: fell)",
                 fontsize=9)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    print(f"wrote {out}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=500)
    parser.add_argument("--deadline-minutes", type=float, default=None,
                        help="stop (as Ctrl-C: checkpoint written) after this many minutes of training")
    parser.add_argument("--checkpoint", default=quadruped_gait.CHECKPOINT)
    parser.add_argument("--max-torque", type=float, default=quadruped_gait.MAX_TORQUE)
    parser.add_argument("--learning-rate", type=float, default=quadruped_gait.LEARNING_RATE)
    parser.add_argument("--gradient-decay", type=float, default=quadruped_gait.GRADIENT_DECAY)
    parser.add_argument("--upright-weight", type=float, default=quadruped_gait.UPRIGHT_WEIGHT,
                        help="m/s per unit of the torso's z axis . up averaged over the steps (0: the recipe)")
    parser.add_argument("--upright-free", type=float, default=quadruped_gait.UPRIGHT_FREE,
                        help="z axis . up above which the upright term is flat (1: every tilt costs)")
    parser.add_argument("--window", type=float, default=None,
                        help="s: exact gradients within windows of this length (no decay) instead of the recipe's")
    parser.add_argument("--starts", type=int, default=1,
                        help="rollouts per update, each from a random initial horizontal velocity (--start-speed m/s)")
    parser.add_argument("--start-speed", type=float, default=quadruped_gait.START_SPEED)
    parser.add_argument("--init", default=None, metavar="CHECKPOINT",
                        help="start from these weights (e.g. `symphys quadruped cmaes`'s cmaes.npz: the hybrid)")
    parser.add_argument("--finalize", action="store_true", help="record the eval's figures in the checkpoint")
    parser.add_argument("--grid", default=None, help="--finalize: the hand-tuned grid's JSON line")
    parser.add_argument("--figure", nargs="+", default=None, metavar=("PNG", "CHECKPOINT"),
                        help="plot these checkpoints' runs on one figure (with --cmaes JSON and --hand-tuned m/s)")
    parser.add_argument("--cmaes", default=None, help="--figure: `symphys quadruped cmaes`'s cmaes.json")
    parser.add_argument("--hand-tuned", type=float, default=None, help="--figure: the hand-tuned trot's m/s")
    args = parser.parse_args()
    if args.finalize:
        finalize(args.checkpoint, args.grid)
        return
    if args.figure:
        figure(args.figure[0], args.figure[1:], args.cmaes, args.hand_tuned)
        return

    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)  # also when started in the background
    signal.signal(signal.SIGALRM, interrupt)
    start = time.perf_counter()
    task = quadruped_gait.GaitTask(max_torque=args.max_torque, upright_weight=args.upright_weight,
                                   upright_free=args.upright_free, window=args.window,
                                   gradient_decay=None if args.window else args.gradient_decay,
                                   starts=args.starts, start_speed=args.start_speed)
    before = 0  # rollouts spent before this run (the hybrid's CMA-ES)
    if args.init:
        _, task.weights0, init_log, _ = quadruped_gait.load_checkpoint(args.init)
        before = init_log.evaluations
    print(f"compiled in {task.compile_seconds:.1f} s ({time.perf_counter() - start:.1f} s with the model); "
          f"{task.n_parameters:,} weights; decay {task.gradient_decay}, upright weight {task.upright_weight:g}, "
          f"Adam {args.learning_rate:g}, clip 1, {args.max_torque:g} N m", flush=True)
    count, tick = [0], [time.perf_counter()]

    def logged(velocity, upright, grads):
        count[0] += 1
        norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
        print(f"evaluation {count[0]}: {velocity:.4f} m/s, upright {upright:.3f}, gradient norm {norm:.3g}, "
              f"{time.perf_counter() - tick[0]:.1f} s", flush=True)
        tick[0] = time.perf_counter()

    if args.deadline_minutes:
        signal.alarm(int(args.deadline_minutes * 60))
    updates = (args.evaluations - before) // args.starts  # an evaluation is one 8 s rollout (--init's count too)
    _, _, log = quadruped_gait.train_backprop(task, updates, args.learning_rate, checkpoint=args.checkpoint,
                                              progress=False, checkpoint_every=5, on_rollout=logged)
    if args.init:
        quadruped_gait.record_figures(args.checkpoint, init=args.init, rollouts_before=before)
    velocity, upright = quadruped_gait.load_checkpoint(args.checkpoint)[3]["rollouts"][log.best_index]
    print(f"{log.evaluations} evaluations in {log.wall_seconds / 60:.1f} min; best gait at evaluation "
          f"{log.best_index + 1}: {velocity:.4f} m/s, upright {upright:.3f}; checkpoint {args.checkpoint}", flush=True)


if __name__ == "__main__":
    main()
