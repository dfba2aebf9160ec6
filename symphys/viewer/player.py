"""The self-contained HTML player: page.html with the trajectory embedded as JSON.

The page (shipped as package data) draws the meshes on a 2-D canvas with
~200 lines of JavaScript, the way :mod:`symphys.viewer.raster` does: no
WebGL, no library, nothing fetched at view time.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path

import numpy as np

from .camera import default_camera
from .mesh import body_meshes
from .style import BACKGROUND, GROUND_COLORS, LIGHT, SHADOW_ALPHA, body_colors, tile_size
from .trajectory import FORMAT, as_trajectory


def _rounded(array, decimals: int = 4) -> list:
    """Flat list of rounded floats (no -0.0, short JSON)."""
    values = np.round(np.asarray(array, dtype=float).ravel(), decimals) + 0.0
    return [int(v) if v == int(v) else float(v) for v in values]


def html_data(traj, fps: float = 30) -> dict:
    """The JSON document that :func:`write_html` embeds (meshes, colours, frames)."""
    traj = as_trajectory(traj).subsample(fps)
    camera = default_camera(traj)
    bodies = []
    for name, shape, (vertices, faces), color in zip(traj.body_names, traj.shape, body_meshes(traj),
                                                     body_colors(traj)):
        bodies.append(dict(name=name, shape=shape, color=list(color), vertices=_rounded(vertices),
                           faces=[int(i) for i in faces.ravel()]))
    return dict(
        format=FORMAT, title=traj.title, dt=round(traj.dt, 6), frames=traj.n_frames, bodies=bodies,
        ground=None if traj.ground_height is None else traj.ground_height, tile=tile_size(traj),
        follow=traj.follow, camera=dict(distance=round(camera.distance, 4), azimuth=camera.azimuth,
                                        elevation=camera.elevation, fov=camera.fov),
        light=_rounded(LIGHT), shadow=SHADOW_ALPHA, background=list(BACKGROUND), groundColors=GROUND_COLORS,
        position=_rounded(traj.position), orientation=_rounded(traj.orientation))


def page_template() -> str:
    """page.html: the player, with the placeholders __TITLE__ and __DATA__."""
    return resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")


def write_html(path, traj, fps: float = 30, title: str | None = None) -> Path:
    """A self-contained HTML page that plays the motion in 3-D.

    Play/pause, a time slider, playback speed, follow-the-torso; drag to
    orbit, wheel to zoom.  Frames every round(1 / (fps dt)) steps,
    coordinates rounded to 0.1 mm; nothing is loaded from the network.
    """
    traj = as_trajectory(traj)
    data = html_data(traj, fps)
    title = title if title is not None else (traj.title or "symphys trajectory")
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    page = page_template().replace("__TITLE__", html.escape(title)).replace("__DATA__", payload)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
