"""The Pillow renderer: one frame of a trajectory as an RGB image.

Each body's mesh is back-face culled, flat shaded and painted far to near
over a checkered ground that fades with distance, with soft shadows
projected along the light.  The HTML player's JavaScript draws the same way.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .camera import Camera, default_camera, look_at, project
from .mesh import body_meshes, quat_to_matrix
from .style import BACKGROUND, GROUND_COLORS, LIGHT, SHADOW_ALPHA, body_colors, tile_size
from .trajectory import Trajectory, as_trajectory


def _shade(color, normal, view):
    """Flat shading: ambient, sun (LIGHT) and a little head light."""
    k = 0.42 + 0.45 * max(0.0, float(normal @ LIGHT)) + 0.2 * max(0.0, float(normal @ view))
    return tuple(int(min(255, c * k)) for c in color)


def render_frame(traj, frame: int = 0, camera: Camera | None = None, width: int = 480, height: int = 320,
                 follow: bool = True, supersample: int = 2, label: bool = True) -> np.ndarray:
    """One frame as an (height, width, 3) uint8 RGB image.

    camera: fixed camera (its width/height win); default: :func:`default_camera`
    moved along with the followed body when ``follow``.
    """
    from PIL import Image, ImageDraw

    traj = as_trajectory(traj)
    if camera is None:
        camera = default_camera(traj, width, height)
        if follow:
            camera = dataclasses.replace(camera, target=tuple(look_at(traj, frame)))
    width, height = camera.width, camera.height
    s = int(supersample)
    big = dataclasses.replace(camera, width=width * s, height=height * s)
    image = Image.new("RGB", (big.width, big.height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    eye, _, _, _ = big.basis()
    near = 0.05
    if traj.ground_height is not None:
        _draw_ground(draw, traj, big, near)
    meshes = body_meshes(traj)
    rotation = quat_to_matrix(traj.orientation[frame])
    colors = body_colors(traj)
    polygons = []
    shadow = []
    for b, (vertices, faces) in enumerate(meshes):
        world = vertices @ rotation[b].T + traj.position[frame, b]
        quads = world[faces]  # (F, 4, 3)
        normal = np.cross(quads[:, 2] - quads[:, 0], quads[:, 3] - quads[:, 1])
        normal /= np.maximum(np.linalg.norm(normal, axis=-1, keepdims=True), 1e-12)
        centre = quads.mean(axis=1)
        to_eye = eye - centre
        pixels, depth = project(quads, big)
        for f in np.nonzero(np.einsum("fi,fi->f", normal, to_eye) > 0)[0]:
            if depth[f].min() < near:
                continue
            view = to_eye[f] / np.linalg.norm(to_eye[f])
            polygons.append((depth[f].mean(), [tuple(p) for p in pixels[f]], _shade(colors[b], normal[f], view)))
        if traj.ground_height is not None:
            lit = np.einsum("fi,i->f", normal, LIGHT) > 0
            flat = quads[lit] - LIGHT * ((quads[lit][..., 2:] - traj.ground_height) / LIGHT[2])
            pixels_s, depth_s = project(flat, big)
            shadow.extend([tuple(p) for p in px] for px, d in zip(pixels_s, depth_s) if d.min() > near)
    if shadow:
        mask = Image.new("L", image.size, 0)
        mask_draw = ImageDraw.Draw(mask)
        for polygon in shadow:
            mask_draw.polygon(polygon, fill=int(255 * SHADOW_ALPHA))
        image.paste((0, 0, 0), (0, 0), mask)
    for _, polygon, color in sorted(polygons, key=lambda p: -p[0]):
        draw.polygon(polygon, fill=color, outline=color)
    if s > 1:
        image = image.resize((width, height), Image.LANCZOS)
    if label:
        text = f"t = {frame * traj.dt:.2f} s"
        ImageDraw.Draw(image).text((8, 6), text, fill=(40, 40, 40))
    return np.asarray(image)


def _draw_ground(draw, traj: Trajectory, camera: Camera, near: float) -> None:
    """Checkered tiles around the target, fading into the background with distance."""
    tile = tile_size(traj)
    target = np.asarray(camera.target, dtype=float)
    n = int(np.ceil(3.0 * camera.distance / tile))
    i, j = np.meshgrid(np.arange(-n, n + 1) + int(np.floor(target[0] / tile)),
                       np.arange(-n, n + 1) + int(np.floor(target[1] / tile)), indexing="ij")
    i, j = i.ravel(), j.ravel()
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])
    corners = np.zeros((len(i), 4, 3))
    corners[..., 0] = (i[:, None] + square[:, 0]) * tile
    corners[..., 1] = (j[:, None] + square[:, 1]) * tile
    corners[..., 2] = traj.ground_height
    pixels, depth = project(corners, camera)
    distance = np.linalg.norm(corners.mean(axis=1) - camera.basis()[0], axis=-1)
    fog = np.clip((distance - camera.distance) / (2.0 * camera.distance), 0.0, 1.0)[:, None]
    base = np.array(GROUND_COLORS, float)[(i + j) % 2]
    colors = (base + fog * (np.array(BACKGROUND, float) - base)).astype(int)
    for k in np.nonzero(depth.min(axis=1) >= near)[0]:
        color = tuple(colors[k])
        draw.polygon([tuple(p) for p in pixels[k]], fill=color, outline=color)
