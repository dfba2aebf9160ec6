"""Issue 17's measurements besides the training: standing, the hand-tuned trot grid, replays of a gait.

    python benchmarks/quadruped_gait_checks.py stand            # 20 N m servos holding 0 rad for 10 s
    python benchmarks/quadruped_gait_checks.py grid             # best of the 48-trot grid at 20 N m (each alone)
    python benchmarks/quadruped_gait_checks.py replay [CKPT]    # the gait at dt 2.5 ms and friction 0.8 / 1.2
    python benchmarks/quadruped_gait_checks.py gif [CKPT] --out benchmarks/quadruped_gait.gif   # the README's GIF

Prints one line per figure; --max-torque changes the servos.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import symphys as sp
from symphys_models import quadruped_gait


def stand(max_torque: float, seconds: float = 10.0) -> dict:
    """Servos holding 0 rad for `seconds` s: torso sink and tilt, hip and knee angles, final speed."""
    model = quadruped_gait.build_model(max_torque=max_torque)
    steps = int(round(seconds / model.dt))
    start = time.perf_counter()
    trajectory = sp.simulate(model, model.initial_state(), steps=steps)  # no controls: servos hold 0 rad
    angles = quadruped_gait.pitch_angles(model, trajectory.orientation)  # (T + 1, 8) rad, hip then knee per leg
    torso = model.body_index("torso")
    height = trajectory.position[:, torso, 2]
    tilt = 2 * np.arccos(np.clip(np.abs(trajectory.orientation[:, torso, 0]), 0, 1))
    hips = np.degrees(np.abs(angles[:, 0::2]))
    return dict(max_torque=max_torque, seconds=seconds, wall_s=round(time.perf_counter() - start, 1),
                sink_mm=1e3 * float(height[0] - height.min()), tilt_deg=float(np.degrees(tilt.max())),
                hip_max_deg=float(hips.max()), hip_beyond_limit_deg=float(max(0.0, hips.max() - 45.0)),
                knee_max_deg=float(np.degrees(np.abs(angles[:, 1::2]).max())),
                final_speed=float(np.abs(trajectory.velocity[-100:]).max()))


def replay(path: str) -> dict:
    """The checkpoint's gait at dt 5 ms (as trained), 2.5 ms, and friction x0.8 / x1.2: speed and uprightness."""
    net, weights, log, meta = quadruped_gait.load_checkpoint(path)
    max_torque = float(meta.get("max_torque", quadruped_gait.MAX_TORQUE))
    out = {}
    for name, options in (("dt 5 ms", {}), ("dt 2.5 ms", dict(dt=0.0025)), ("friction 0.8", dict(friction=0.8)),
                          ("friction 1.2", dict(friction=1.2))):
        task = quadruped_gait.GaitTask(hidden=net.hidden, training=False, max_torque=max_torque, **options)
        velocity, _, orientation = task.rollout(weights)
        torso = task.model.body_index("torso")
        hips = np.degrees(np.abs(quadruped_gait.pitch_angles(task.model, orientation)[:, 0::2]))
        out[name] = dict(velocity=velocity, upright=quadruped_gait.upright(orientation[-1, torso]),
                         hip_max_deg=float(hips.max()))
        print(name, out[name], flush=True)
    return out


def small_gif(path: str, out: str, seconds: float = 4.0) -> None:
    """The checkpoint's gait from rest as a small GIF for the README (280 x 180 px, 10 frames per s)."""
    from symphys import viewer

    net, weights, log, meta = quadruped_gait.load_checkpoint(path)
    task = quadruped_gait.GaitTask(hidden=net.hidden, training=False, max_torque=float(meta["max_torque"]))
    velocity, position, orientation = task.rollout(weights)
    traj = viewer.from_model(task.model, (position, orientation), title=f"{velocity:.3f} m/s over 8 s")
    frames = viewer.write_gif(out, traj, fps=10, width=280, height=180, seconds=seconds)
    print(f"wrote {out}: {frames} frames of the gait at {velocity:.4f} m/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["stand", "grid", "replay", "gif"])
    parser.add_argument("checkpoint", nargs="?", default=quadruped_gait.CHECKPOINT)
    parser.add_argument("--max-torque", type=float, default=quadruped_gait.MAX_TORQUE)
    parser.add_argument("--out", default="benchmarks/quadruped_gait.gif", help="gif: the file written")
    args = parser.parse_args()
    if args.what == "stand":
        print(json.dumps(stand(args.max_torque)), flush=True)
    elif args.what == "grid":
        start = time.perf_counter()
        result = quadruped_gait.tune_trot(max_torque=args.max_torque, progress=False)
        result["wall_s"] = round(time.perf_counter() - start, 1)
        print(json.dumps(result), flush=True)
    elif args.what == "gif":
        small_gif(args.checkpoint, args.out)
    else:
        print(json.dumps(replay(args.checkpoint)), flush=True)


if __name__ == "__main__":
    main()
