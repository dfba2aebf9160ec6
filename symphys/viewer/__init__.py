"""Render trajectories: an animated GIF or MP4 and a self-contained HTML page.

This package only draws.  It imports numpy, Pillow (a dependency of
matplotlib), the standard library and the numpy quaternion toolkit
``symphys.rotations``; it builds no graph.  A saved trajectory is rendered
from the shell with ``symphys view`` or::

    python -m symphys.viewer out/view/quadruped.npz --out out/view/quadruped.html

Workflow::

    from symphys import viewer
    traj = viewer.save_trajectory("out/view/run.npz", model, trajectory)   # numpy State from simulate
    viewer.write_html("out/view/run.html", traj)   # or the .npz path
    viewer.write_gif("out/view/run.gif", traj, fps=20)

Modules: ``trajectory`` (what to draw and its .npz file), ``mesh`` (body
shapes as polygon meshes), ``style`` (colours, light), ``camera``
(orbiting camera, projection), ``raster`` (one frame with Pillow),
``video`` (GIF, MP4), ``player`` (the HTML page, ``page.html``),
``command`` (write by suffix; ``python -m symphys.viewer``).

Both renderers are the same simple projected renderer: each body becomes a
small convex polygon mesh (box, lat-long sphere, capsule), faces are
back-face culled, flat shaded and painted far to near; a checkered ground,
soft shadows projected along the light, a camera that orbits a target which
follows the heaviest body.
"""

from .camera import FOV, Camera, default_camera, look_at, project
from .command import main, write
from .mesh import body_meshes, extent, quat_to_matrix, shape_mesh
from .player import html_data, page_template, write_html
from .raster import render_frame
from .style import BACKGROUND, FOLLOW_COLOR, GROUND_COLORS, LIGHT, SHADOW_ALPHA, SHAPE_COLORS, body_colors, tile_size
from .trajectory import FORMAT, SHAPES, Trajectory, as_trajectory, from_model, load_trajectory, save_trajectory
from .video import write_gif, write_mp4, write_video

__all__ = [
    "FORMAT", "SHAPES", "Trajectory", "from_model", "save_trajectory", "load_trajectory", "as_trajectory",
    "quat_to_matrix", "shape_mesh", "body_meshes", "extent",
    "BACKGROUND", "GROUND_COLORS", "FOLLOW_COLOR", "SHAPE_COLORS", "LIGHT", "SHADOW_ALPHA", "body_colors",
    "tile_size", "FOV", "Camera", "project", "default_camera", "look_at",
    "render_frame", "write_gif", "write_mp4", "write_video", "html_data", "page_template", "write_html",
    "write", "main",
]
