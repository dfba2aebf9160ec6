"""Write a trajectory by file suffix, and ``python -m symphys.viewer TRAJ.npz --out X.html``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..cli import positive_float
from .player import write_html
from .trajectory import as_trajectory, load_trajectory
from .video import write_video


def write(path, traj, fps: float | None = None, width: int | None = None, height: int | None = None) -> Path:
    """Write ``traj`` by the suffix of ``path``: .html, .gif, .mp4 or .npz."""
    traj = as_trajectory(traj)
    path = Path(path)
    suffix = path.suffix.lower()
    size = {k: v for k, v in (("width", width), ("height", height)) if v is not None}
    if suffix in (".html", ".htm"):
        write_html(path, traj, **({"fps": fps} if fps else {}))
    elif suffix in (".gif", ".mp4"):
        write_video(path, traj, **({"fps": fps} if fps else {}), **size)
    elif suffix == ".npz":
        traj.save(path)
    else:
        raise ValueError(f"out: cannot write {str(path)!r}; use .html, .gif, .mp4 or .npz")
    return path


def main(argv=None) -> int:
    """Render a saved trajectory to each ``--out`` file; returns the exit status."""
    parser = argparse.ArgumentParser(description="Render a saved symphys trajectory (.npz) as HTML, GIF or MP4.")
    parser.add_argument("trajectory", help="file written by symphys.viewer.save_trajectory")
    parser.add_argument("--out", action="append", required=True, help=".html, .gif or .mp4; repeatable")
    parser.add_argument("--fps", type=positive_float, default=None)
    args = parser.parse_args(argv)
    try:
        traj = load_trajectory(args.trajectory)
    except (OSError, ValueError, KeyError) as error:
        raise SystemExit(f"symphys.viewer: cannot read {args.trajectory}: {error}") from None
    for out in args.out:
        print(f"wrote {write(out, traj, fps=args.fps)}")
    return 0
