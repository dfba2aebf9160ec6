"""Issue 17: the paper's training recipe on the quadruped with 20 N m servos, logged per evaluation.

    python benchmarks/quadruped_gait_train.py --evaluations 500 --deadline-minutes 80
    python benchmarks/quadruped_gait_train.py --finalize [--grid grid.json]   # figures for `symphys quadruped eval`

Loss: minus the torso's forward velocity averaged over every step of an 8 s
rollout (dt 5 ms), rollout(gradient_decay=0.95), global-norm clipping 1,
Adam 1e-3, batch 1, output layers zero.  Writes the best weights to the
checkpoint every 5 evaluations, at the deadline and on Ctrl-C; prints one
line per evaluation (speed, gradient norm, seconds).
"""

from __future__ import annotations

import argparse
import signal
import time

import numpy as np

from symphys_models import quadruped_gait


def finalize(path: str, grid: str | None, plot_to: str | None = None) -> None:
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
    hand_tuned = {key: result[key] for key in ("candidates", "best", "velocity")}
    quadruped_gait.record_figures(path, velocity=velocity, upright=upright, hand_tuned=hand_tuned)
    print(f"{path}: {velocity:.10f} m/s, upright {upright:.3f}, hand-tuned {hand_tuned['velocity']:.4f} m/s "
          f"({velocity / hand_tuned['velocity']:.2f}x)", flush=True)
    plot(path, path.replace(".npz", "_learning_curve.png") if plot_to is None else plot_to)


def plot(path: str, out: str) -> None:
    """The learning curve(s) of the checkpoint's log with the hand-tuned trot and 2x it as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, _, log, meta = quadruped_gait.load_checkpoint(path)
    speed = -np.asarray(log.loss)
    hand = meta["hand_tuned"]["velocity"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    evaluations = np.arange(1, len(speed) + 1)
    ax.plot(evaluations, speed, lw=0.8, label="paper's recipe (Adam 1e-3, decay 0.95)")
    ax.plot(evaluations, np.fmax.accumulate(np.nan_to_num(speed, nan=-np.inf)), lw=1.5, label="best so far")
    cmaes = meta.get("cmaes")
    if cmaes:
        ax.axhline(cmaes["best_velocity"], color="C2", lw=1, label=f"CMA-ES, {cmaes['evaluations']} evaluations")
    ax.axhline(hand, color="k", ls="--", lw=1, label="hand-tuned trot (best of 48)")
    ax.axhline(2 * hand, color="k", ls=":", lw=1, label="target: 2x hand-tuned")
    ax.set_xlabel("evaluation (8 s rollout + gradient)")
    ax.set_ylabel("mean forward velocity over 8 s (m/s)")
    ax.set_title(f"quadruped, {meta['max_torque']:g} N m servos", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="center right")
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
    parser.add_argument("--finalize", action="store_true", help="record the eval's figures in the checkpoint")
    parser.add_argument("--grid", default=None, help="--finalize: the hand-tuned grid's JSON line")
    parser.add_argument("--plot", default=None, help="--finalize: the learning curve's PNG")
    args = parser.parse_args()
    if args.finalize:
        finalize(args.checkpoint, args.grid, args.plot)
        return

    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)  # also when started in the background
    signal.signal(signal.SIGALRM, interrupt)
    start = time.perf_counter()
    task = quadruped_gait.GaitTask(max_torque=args.max_torque)
    print(f"compiled in {task.compile_seconds:.1f} s ({time.perf_counter() - start:.1f} s with the model); "
          f"{task.n_parameters:,} weights; recipe: decay {task.gradient_decay}, Adam "
          f"{quadruped_gait.LEARNING_RATE}, clip 1, {args.max_torque:g} N m", flush=True)
    count = [0]
    velocity_and_grad = task.velocity_and_grad

    def logged(weights):
        tick = time.perf_counter()
        velocity, grads = velocity_and_grad(weights)
        count[0] += 1
        norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
        print(f"evaluation {count[0]}: {velocity:.4f} m/s, gradient norm {norm:.3g}, "
              f"{time.perf_counter() - tick:.1f} s", flush=True)
        return velocity, grads

    task.velocity_and_grad = logged
    if args.deadline_minutes:
        signal.alarm(int(args.deadline_minutes * 60))
    best, _, log = quadruped_gait.train_backprop(task, args.evaluations, checkpoint=args.checkpoint,
                                                 progress=False, checkpoint_every=5)
    print(f"{log.evaluations} evaluations in {log.wall_seconds / 60:.1f} min; best {-log.best_loss:.4f} m/s at "
          f"evaluation {log.best_index + 1}; checkpoint {args.checkpoint}", flush=True)


if __name__ == "__main__":
    main()
