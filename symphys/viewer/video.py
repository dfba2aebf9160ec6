"""Animated GIF (Pillow) and H.264 MP4 (the ffmpeg program) of a trajectory, played in real time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from .camera import Camera
from .raster import render_frame
from .trajectory import Trajectory, as_trajectory


def _frames(traj: Trajectory, fps: float, seconds: float | None):
    traj = traj.subsample(fps)
    count = traj.n_frames
    if seconds is not None:
        count = min(count, int(np.floor(seconds / traj.dt + 1e-9)) + 1)
    return traj, count


def write_gif(path, traj, fps: float = 20, width: int = 480, height: int = 320, camera: Camera | None = None,
              seconds: float | None = None) -> int:
    """Animated GIF of the trajectory, looping; returns the number of frames written.

    Frames are taken every round(1 / (fps dt)) steps (playback in real
    time); ``seconds`` cuts the clip; ``camera``: a fixed camera instead
    of one following the torso.
    """
    from PIL import Image

    traj, count = _frames(as_trajectory(traj), fps, seconds)
    images = [Image.fromarray(render_frame(traj, k, camera, width, height, follow=camera is None))
              for k in range(count)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    duration = max(20, int(round(1000 * traj.dt)))  # ms; GIF counts in hundredths
    images = [im.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
              for im in images]
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration, loop=0)
    return count


def write_mp4(path, traj, fps: float = 30, width: int = 640, height: int = 400, camera: Camera | None = None,
              seconds: float | None = None) -> int:
    """H.264 MP4 through the ``ffmpeg`` program; returns the number of frames written."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("writing MP4 needs the ffmpeg program (e.g. apt-get install ffmpeg); "
                           "write a .gif or .html instead")
    width, height = width - width % 2, height - height % 2  # yuv420p needs even sizes
    traj, count = _frames(as_trajectory(traj), fps, seconds)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-r", f"{1.0 / traj.dt:.6g}", "-i", "-",
               "-pix_fmt", "yuv420p", "-vcodec", "libx264", str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as process:
        for k in range(count):
            process.stdin.write(render_frame(traj, k, camera, width, height, follow=camera is None).tobytes())
        process.stdin.close()
        if process.wait() != 0:
            raise RuntimeError(f"ffmpeg failed writing {path}")
    return count


def write_video(path, traj, **kwargs) -> int:
    """GIF or MP4 by the file's suffix; see :func:`write_gif` and :func:`write_mp4`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return write_gif(path, traj, **kwargs)
    if suffix == ".mp4":
        return write_mp4(path, traj, **kwargs)
    raise ValueError(f"path: a video must end in .gif or .mp4, got {str(path)!r}")
