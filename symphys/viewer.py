"""Render trajectories: an animated GIF or MP4 and a self-contained HTML page.

This module only draws.  It imports numpy, Pillow (a dependency of
matplotlib) and the standard library, never the graph library, so a saved
trajectory can be viewed anywhere, even by running this file on its own::

    python symphys/viewer.py out/view/quadruped.npz --out out/view/quadruped.html

Workflow::

    from symphys import viewer
    traj = viewer.save_trajectory("out/view/run.npz", model, trajectory)   # numpy State from simulate
    viewer.write_html("out/view/run.html", traj)   # or the .npz path
    viewer.write_gif("out/view/run.gif", traj, fps=20)

A :class:`Trajectory` holds what drawing needs: per body its shape, size
and geom pose in the body frame (from the Model), and per frame every
body's position (T, B, 3) and orientation quaternion (T, B, 4), (w, x, y,
z), body to world, as in ``symphys.State``.  z is up; the ground is the
plane z = ground_height.

Both renderers are the same simple projected renderer: each body becomes a
small convex polygon mesh (box, lat-long sphere, capsule), faces are
back-face culled, flat shaded and painted far to near; a checkered ground,
soft shadows projected along the light, a camera that orbits a target which
follows the heaviest body.  The HTML page embeds the meshes and the frames
as JSON and draws them on a 2-D canvas with ~200 lines of JavaScript: no
WebGL, no library, nothing fetched at view time.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

FORMAT = "symphys-trajectory-1"
SHAPES = ("sphere", "box", "capsule")  # symphys.Shape values 0, 1, 2
BACKGROUND = (236, 240, 245)  # RGB of the sky / empty image
GROUND_COLORS = ((206, 210, 214), (186, 191, 197))
FOLLOW_COLOR = (224, 123, 57)  # the body the camera follows (the torso)
SHAPE_COLORS = {"sphere": (80, 140, 110), "box": (150, 110, 160), "capsule": (70, 110, 160)}
LIGHT = np.array([0.35, -0.45, 0.82]) / np.linalg.norm([0.35, -0.45, 0.82])  # towards the light
SHADOW_ALPHA = 0.28
FOV = 40.0  # degrees, vertical


# --------------------------------------------------------------------------- data

@dataclasses.dataclass(frozen=True, eq=False)
class Trajectory:
    """A motion to draw: geometry per body and poses per frame (numpy)."""

    body_names: tuple  # (B,) str
    shape: tuple  # (B,) "sphere" | "box" | "capsule"
    size: np.ndarray  # (B, 3) m: sphere (r, 0, 0); box half extents; capsule (r, half length, 0) along z
    geom_offset: np.ndarray  # (B, 3) geom centre in the body frame, m
    geom_orientation: np.ndarray  # (B, 4) geom frame -> body frame, quaternion (w, x, y, z)
    position: np.ndarray  # (T, B, 3) body origin (centre of mass) in the world, m
    orientation: np.ndarray  # (T, B, 4) body -> world quaternion (w, x, y, z)
    dt: float  # s between frames
    ground_height: float | None = 0.0  # None: no ground plane
    follow: int = 0  # body the camera follows (-1: fixed camera)
    title: str = ""

    def __post_init__(self):
        n = len(self.body_names)
        for name, shape in (("size", (n, 3)), ("geom_offset", (n, 3)), ("geom_orientation", (n, 4))):
            value = np.asarray(getattr(self, name), dtype=float)
            if value.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
            object.__setattr__(self, name, value)
        if len(self.shape) != n or any(s not in SHAPES for s in self.shape):
            raise ValueError(f"shape must name one of {SHAPES} for each of the {n} bodies, got {self.shape!r}")
        for name, width in (("position", 3), ("orientation", 4)):
            value = np.asarray(getattr(self, name), dtype=float)
            if value.ndim != 3 or value.shape[1:] != (n, width) or value.shape[0] < 1:
                raise ValueError(f"{name} must have shape (frames, {n}, {width}), got {value.shape}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} contains NaN or infinite values")
            object.__setattr__(self, name, value)
        if self.position.shape[0] != self.orientation.shape[0]:
            raise ValueError(f"position has {self.position.shape[0]} frames, orientation "
                             f"{self.orientation.shape[0]}")
        if not np.isfinite(self.dt) or self.dt <= 0:
            raise ValueError(f"dt must be positive, got {self.dt!r}")
        if not -1 <= self.follow < n:
            raise ValueError(f"follow must be a body index or -1, got {self.follow!r}")

    @property
    def n_frames(self) -> int:
        return self.position.shape[0]

    @property
    def n_bodies(self) -> int:
        return len(self.body_names)

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame."""
        return (self.n_frames - 1) * self.dt

    def subsample(self, fps: float | None) -> Trajectory:
        """Every k-th frame, k = round(1 / (fps dt)) (at least 1); the last frame is kept."""
        if fps is None:
            return self
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps!r}")
        stride = max(1, int(round(1.0 / (fps * self.dt))))
        if stride == 1:
            return self
        index = np.arange(0, self.n_frames, stride)
        return dataclasses.replace(self, position=self.position[index], orientation=self.orientation[index],
                                   dt=self.dt * stride)

    def save(self, path) -> Path:
        """Write an .npz file (no pickles) that :func:`load_trajectory` reads."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:  # np.savez would append .npz to other suffixes
            np.savez_compressed(
                handle, format=np.array(FORMAT), body_names=np.array(self.body_names, dtype=str),
                shape=np.array(self.shape, dtype=str), size=self.size, geom_offset=self.geom_offset,
                geom_orientation=self.geom_orientation, position=self.position,
                orientation=self.orientation, dt=np.array(self.dt),
                has_ground=np.array(self.ground_height is not None),
                ground_height=np.array(0.0 if self.ground_height is None else self.ground_height),
                follow=np.array(self.follow), title=np.array(self.title))
        return path


def from_model(model, trajectory, world: int = 0, every: int = 1, title: str = "") -> Trajectory:
    """A :class:`Trajectory` from a symphys Model and a simulated trajectory.

    trajectory: a State with a leading time axis (``sp.simulate`` or a
        compiled ``rollout``), or a ``(position, orientation)`` pair of
        arrays (T, [batch,] B, 3) and (T, [batch,] B, 4).
    world: which world of a batched trajectory to keep.
    every: keep every this many steps (frame interval ``every * model.dt``).
    """
    if isinstance(trajectory, (tuple, list)):
        position, orientation = trajectory[:2]
    else:
        position, orientation = trajectory.position, trajectory.orientation
    position, orientation = np.asarray(position, dtype=float), np.asarray(orientation, dtype=float)
    if position.ndim == 4:
        if not 0 <= world < position.shape[1]:
            raise ValueError(f"world must be in [0, {position.shape[1]}), got {world!r}")
        position, orientation = position[:, world], orientation[:, world]
    if isinstance(every, bool) or int(every) != every or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    every = int(every)
    shape_codes = np.asarray(model.body_shape, dtype=int)
    n = len(model.body_names)
    mass = np.asarray(model.body_mass, dtype=float)
    return Trajectory(
        body_names=tuple(model.body_names),
        shape=tuple(SHAPES[c] for c in shape_codes),
        size=np.asarray(model.body_size, dtype=float),
        # A symphys body is its geom: one shape centred on the centre of mass, on the body axes.
        geom_offset=np.asarray(getattr(model, "geom_offset", np.zeros((n, 3))), dtype=float),
        geom_orientation=np.asarray(getattr(model, "geom_orientation", np.tile([1.0, 0, 0, 0], (n, 1))),
                                    dtype=float),
        position=position[::every], orientation=orientation[::every], dt=float(model.dt) * every,
        ground_height=float(model.ground_height) if model.has_ground else None,
        follow=int(np.argmax(mass)) if n else -1, title=title)


def save_trajectory(path, model, trajectory, world: int = 0, every: int = 1, title: str = "") -> Trajectory:
    """Save a simulated trajectory with the geometry needed to draw it; returns the Trajectory.

    See :func:`from_model` for the arguments; the file is an .npz that
    :func:`load_trajectory` reads and ``symphys view`` renders.
    """
    traj = from_model(model, trajectory, world=world, every=every, title=title)
    traj.save(path)
    return traj


def load_trajectory(path) -> Trajectory:
    """Read an .npz written by :func:`save_trajectory`."""
    with np.load(path, allow_pickle=False) as data:
        fmt = str(data["format"]) if "format" in data.files else None
        if fmt != FORMAT:
            raise ValueError(f"{path}: not a symphys trajectory file (format {fmt!r}, expected {FORMAT!r})")
        return Trajectory(
            body_names=tuple(str(s) for s in data["body_names"]), shape=tuple(str(s) for s in data["shape"]),
            size=data["size"], geom_offset=data["geom_offset"], geom_orientation=data["geom_orientation"],
            position=data["position"], orientation=data["orientation"], dt=float(data["dt"]),
            ground_height=float(data["ground_height"]) if bool(data["has_ground"]) else None,
            follow=int(data["follow"]), title=str(data["title"]))


def _as_trajectory(traj) -> Trajectory:
    if isinstance(traj, Trajectory):
        return traj
    if isinstance(traj, (str, os.PathLike)):
        return load_trajectory(traj)
    raise ValueError(f"traj must be a Trajectory or the path of a saved one, got {type(traj).__name__}")


# --------------------------------------------------------------------------- geometry

def quat_to_matrix(q) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of quaternions (..., 4) (w, x, y, z), normalized first."""
    q = np.asarray(q, dtype=float)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1),
    ], axis=-2)


def _lat_long(radius: float, half_length: float, n_lon: int, n_lat: int):
    """Sphere (half_length 0) or capsule along z: rings from the top pole to the bottom one."""
    rings = []
    for k in range(n_lat + 1):  # upper hemisphere, pole to equator, raised by half_length
        rings.append((np.pi / 2 * (1 - k / n_lat), half_length))
    for k in range(0 if half_length > 0 else 1, n_lat + 1):  # lower one (equator twice for a capsule)
        rings.append((-np.pi / 2 * k / n_lat, -half_length))
    lon = 2 * np.pi * np.arange(n_lon) / n_lon
    vertices = np.array([[radius * np.cos(lat) * np.cos(a), radius * np.cos(lat) * np.sin(a),
                          radius * np.sin(lat) + dz] for lat, dz in rings for a in lon])
    faces = []
    for i in range(len(rings) - 1):
        for j in range(n_lon):
            jn = (j + 1) % n_lon
            faces.append([i * n_lon + j, i * n_lon + jn, (i + 1) * n_lon + jn, (i + 1) * n_lon + j])
    return vertices, np.array(faces)


def shape_mesh(shape: str, size) -> tuple[np.ndarray, np.ndarray]:
    """Convex polygon mesh of a shape in its own frame: vertices (V, 3), quads (F, 4).

    Quads are wound counterclockwise seen from outside (a degenerate quad
    with a repeated vertex is a triangle).
    """
    size = np.asarray(size, dtype=float)
    if shape == "box":
        corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * size
        faces = np.array([[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]])
        vertices = corners
    elif shape == "sphere":
        vertices, faces = _lat_long(size[0], 0.0, 16, 6)
    elif shape == "capsule":
        vertices, faces = _lat_long(size[0], size[1], 12, 3)
    else:
        raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
    # Wind outward: the shapes are convex around their origin, so an outward
    # normal points away from it.
    quads = vertices[faces]
    normal = np.cross(quads[:, 2] - quads[:, 0], quads[:, 3] - quads[:, 1])
    inward = np.einsum("fi,fi->f", normal, quads.mean(axis=1)) < 0
    faces = np.where(inward[:, None], faces[:, ::-1], faces)
    return vertices, faces


def body_meshes(traj: Trajectory) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per body: mesh vertices in the body frame (geom offset and orientation applied) and quads."""
    meshes = []
    for b in range(traj.n_bodies):
        vertices, faces = shape_mesh(traj.shape[b], traj.size[b])
        vertices = vertices @ quat_to_matrix(traj.geom_orientation[b]).T + traj.geom_offset[b]
        meshes.append((vertices, faces))
    return meshes


def body_colors(traj: Trajectory) -> list[tuple[int, int, int]]:
    """RGB per body: the followed body (torso) orange, the others by shape."""
    return [FOLLOW_COLOR if b == traj.follow and traj.n_bodies > 1 else SHAPE_COLORS[traj.shape[b]]
            for b in range(traj.n_bodies)]


def extent(traj: Trajectory) -> float:
    """Radius (m) of the scene around the followed body in the first frame (at least 0.1)."""
    centre = traj.position[0, traj.follow] if traj.follow >= 0 else traj.position[0].mean(axis=0)
    reach = [np.linalg.norm(traj.position[0, b] - centre) + np.linalg.norm(traj.size[b])
             + np.linalg.norm(traj.geom_offset[b]) for b in range(traj.n_bodies)]
    return max(0.1, float(max(reach)))


# --------------------------------------------------------------------------- camera

@dataclasses.dataclass(frozen=True)
class Camera:
    """Perspective camera orbiting ``target``; z is up.

    azimuth: degrees, direction from the target to the eye in the xy plane
    (-90: the eye is on the -y side looking along +y, +x to the right).
    elevation: degrees above the horizon.  fov: vertical field of view.
    """

    target: tuple = (0.0, 0.0, 0.0)
    distance: float = 3.0
    azimuth: float = -60.0
    elevation: float = 20.0
    fov: float = FOV
    width: int = 480
    height: int = 320

    def basis(self):
        """eye (3,), right (3,), up (3,), forward (3,) unit vectors in the world."""
        az, el = np.radians(self.azimuth), np.radians(self.elevation)
        offset = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
        eye = np.asarray(self.target, dtype=float) + self.distance * offset
        forward = -offset
        right = np.cross(forward, [0.0, 0.0, 1.0])
        norm = np.linalg.norm(right)
        right = right / norm if norm > 1e-9 else np.array([1.0, 0.0, 0.0])  # looking straight down/up
        up = np.cross(right, forward)
        return eye, right, up, forward

    @property
    def focal(self) -> float:
        """Focal length in pixels."""
        return 0.5 * self.height / np.tan(np.radians(self.fov) / 2)


def project(points, camera: Camera):
    """Pixel coordinates (..., 2) and depth (...) along the view axis of world points (..., 3).

    Pixels: u to the right from the left edge, v down from the top edge;
    the target is at the image centre.  Depth <= 0 is behind the camera.
    """
    eye, right, up, forward = camera.basis()
    d = np.asarray(points, dtype=float) - eye
    x, y, z = d @ right, d @ up, d @ forward
    safe = np.where(np.abs(z) < 1e-9, 1e-9, z)
    u = 0.5 * camera.width + camera.focal * x / safe
    v = 0.5 * camera.height - camera.focal * y / safe
    return np.stack([u, v], axis=-1), z


def default_camera(traj: Trajectory, width: int = 480, height: int = 320, **kwargs) -> Camera:
    """Camera framing the scene from the front left, 20 deg above the horizon."""
    size = extent(traj)
    distance = max(1.0, 1.25 * size / np.tan(np.radians(FOV) / 2))
    settings = dict(target=tuple(_target(traj, 0)), distance=distance, width=width, height=height)
    settings.update(kwargs)
    return Camera(**settings)


def _target(traj: Trajectory, frame: int) -> np.ndarray:
    """Look-at point: the followed body's x, y and its height in the first frame."""
    if traj.follow < 0:
        return traj.position[0].mean(axis=0)
    p = traj.position[frame, traj.follow]
    return np.array([p[0], p[1], traj.position[0, traj.follow, 2]])


# --------------------------------------------------------------------------- raster renderer

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

    traj = _as_trajectory(traj)
    if camera is None:
        camera = default_camera(traj, width, height)
        if follow:
            camera = dataclasses.replace(camera, target=tuple(_target(traj, frame)))
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


def _tile_size(traj: Trajectory) -> float:
    """Checker tile edge: a power of two times 0.25 m near the scene's radius."""
    return float(0.25 * 2.0 ** np.round(np.log2(extent(traj) / 0.25)))


def _draw_ground(draw, traj: Trajectory, camera: Camera, near: float) -> None:
    """Checkered tiles around the target, fading into the background with distance."""
    tile = _tile_size(traj)
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


# --------------------------------------------------------------------------- GIF / MP4

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

    traj, count = _frames(_as_trajectory(traj), fps, seconds)
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
    traj, count = _frames(_as_trajectory(traj), fps, seconds)
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


# --------------------------------------------------------------------------- HTML

def _rounded(array, decimals: int = 4) -> list:
    """Flat list of rounded floats (no -0.0, short JSON)."""
    values = np.round(np.asarray(array, dtype=float).ravel(), decimals) + 0.0
    return [int(v) if v == int(v) else float(v) for v in values]


def html_data(traj, fps: float = 30) -> dict:
    """The JSON document that :func:`write_html` embeds (meshes, colours, frames)."""
    traj = _as_trajectory(traj).subsample(fps)
    camera = default_camera(traj)
    bodies = []
    for name, shape, (vertices, faces), color in zip(traj.body_names, traj.shape, body_meshes(traj),
                                                     body_colors(traj)):
        bodies.append(dict(name=name, shape=shape, color=list(color), vertices=_rounded(vertices),
                           faces=[int(i) for i in faces.ravel()]))
    return dict(
        format=FORMAT, title=traj.title, dt=round(traj.dt, 6), frames=traj.n_frames, bodies=bodies,
        ground=None if traj.ground_height is None else traj.ground_height, tile=_tile_size(traj),
        follow=traj.follow, camera=dict(distance=round(camera.distance, 4), azimuth=camera.azimuth,
                                        elevation=camera.elevation, fov=camera.fov),
        light=_rounded(LIGHT), shadow=SHADOW_ALPHA, background=list(BACKGROUND), groundColors=GROUND_COLORS,
        position=_rounded(traj.position), orientation=_rounded(traj.orientation))


def write_html(path, traj, fps: float = 30, title: str | None = None) -> Path:
    """A self-contained HTML page that plays the motion in 3-D.

    Play/pause, a time slider, playback speed, follow-the-torso; drag to
    orbit, wheel to zoom.  Frames every round(1 / (fps dt)) steps,
    coordinates rounded to 0.1 mm; nothing is loaded from the network.
    """
    traj = _as_trajectory(traj)
    data = html_data(traj, fps)
    title = title if title is not None else (traj.title or "symphys trajectory")
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    page = _PAGE.replace("__TITLE__", html.escape(title)).replace("__DATA__", payload)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
  html, body { margin: 0; height: 100%; font: 14px system-ui, sans-serif; background: #eceff5; color: #222; }
  #view { display: block; width: 100%; height: calc(100% - 48px); touch-action: none; cursor: grab; }
  #bar { display: flex; gap: 10px; align-items: center; height: 48px; padding: 0 12px; box-sizing: border-box;
         background: #fff; border-top: 1px solid #ccd; }
  #time { flex: 1; }
  #clock { font-variant-numeric: tabular-nums; min-width: 9em; }
  #error { position: absolute; top: 8px; left: 8px; right: 8px; color: #a00; background: #fff; display: none;
           padding: 8px; border: 1px solid #a00; white-space: pre-wrap; }
  #title { position: absolute; top: 8px; left: 12px; font-weight: 600; pointer-events: none; }
  #help { position: absolute; top: 8px; right: 12px; color: #667; pointer-events: none; }
</style>
</head>
<body>
<canvas id="view"></canvas>
<div id="title">__TITLE__</div>
<div id="help">drag: orbit &middot; wheel: zoom</div>
<div id="bar">
  <button id="play" type="button">Pause</button>
  <input id="time" type="range" min="0" max="0" step="1" value="0" aria-label="time">
  <span id="clock"></span>
  <label>speed <select id="speed"><option>0.25</option><option>0.5</option><option selected>1</option>
    <option>2</option></select></label>
  <label><input id="follow" type="checkbox" checked> follow</label>
</div>
<div id="error"></div>
<script id="symphys-data" type="application/json">__DATA__</script>
<script>
"use strict";
(function () {
  const errorBox = document.getElementById("error");
  window.addEventListener("error", (e) => {
    errorBox.style.display = "block";
    errorBox.textContent = String(e.message);
  });
  const D = JSON.parse(document.getElementById("symphys-data").textContent);
  const B = D.bodies.length, T = D.frames;
  const canvas = document.getElementById("view"), ctx = canvas.getContext("2d");
  const slider = document.getElementById("time"), clock = document.getElementById("clock");
  const playButton = document.getElementById("play"), speedBox = document.getElementById("speed");
  const followBox = document.getElementById("follow");
  slider.max = String(T - 1);
  const cam = { az: D.camera.azimuth * Math.PI / 180, el: D.camera.elevation * Math.PI / 180,
                dist: D.camera.distance, fov: D.camera.fov * Math.PI / 180 };
  const L = D.light, NEAR = 0.05;
  const state = { frame: 0, time: 0, playing: true, last: null, drawnFaces: 0 };
  window.symphysViewer = state;

  const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const norm = (a) => { const n = Math.hypot(a[0], a[1], a[2]) || 1; return [a[0] / n, a[1] / n, a[2] / n]; };

  function pose(f, b) {
    const p = D.position, q = D.orientation, i = 3 * (f * B + b), j = 4 * (f * B + b);
    let w = q[j], x = q[j + 1], y = q[j + 2], z = q[j + 3];
    const n = Math.hypot(w, x, y, z) || 1; w /= n; x /= n; y /= n; z /= n;
    const R = [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
               2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
               2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)];
    return { p: [p[i], p[i + 1], p[i + 2]], R: R };
  }
  function target(f) {
    if (D.follow < 0) {  // the centroid of the first frame
      const c = [0, 0, 0];
      for (let b = 0; b < B; b++) { const p = pose(0, b).p; for (let a = 0; a < 3; a++) c[a] += p[a] / B; }
      return c;
    }
    const g = followBox.checked ? f : 0, p = pose(g, D.follow).p;
    return [p[0], p[1], pose(0, D.follow).p[2]];
  }
  function camera(W, H, f) {
    const t = target(f), ce = Math.cos(cam.el);
    const off = [ce * Math.cos(cam.az), ce * Math.sin(cam.az), Math.sin(cam.el)];
    const eye = [t[0] + cam.dist * off[0], t[1] + cam.dist * off[1], t[2] + cam.dist * off[2]];
    const fw = [-off[0], -off[1], -off[2]];
    let r = cross(fw, [0, 0, 1]); r = Math.hypot(r[0], r[1], r[2]) > 1e-9 ? norm(r) : [1, 0, 0];
    const up = cross(r, fw), focal = 0.5 * H / Math.tan(cam.fov / 2);
    return { t: t, eye: eye, r: r, up: up, fw: fw, W: W, H: H, focal: focal };
  }
  function project(c, p) {  // [u, v, depth]: the same projection as symphys.viewer.project
    const d = sub(p, c.eye), z = dot(d, c.fw), s = Math.abs(z) < 1e-9 ? 1e-9 : z;
    return [0.5 * c.W + c.focal * dot(d, c.r) / s, 0.5 * c.H - c.focal * dot(d, c.up) / s, z];
  }
  const rgb = (c) => "rgb(" + (c[0] | 0) + "," + (c[1] | 0) + "," + (c[2] | 0) + ")";
  function trace(pts) {
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (let k = 1; k < pts.length; k++) ctx.lineTo(pts[k][0], pts[k][1]);
    ctx.closePath();
  }
  function poly(pts) { ctx.beginPath(); trace(pts); }

  function drawGround(c) {
    const tile = D.tile, h = D.ground, reach = 3 * cam.dist, n = Math.ceil(reach / tile);
    const i0 = Math.floor(c.t[0] / tile), j0 = Math.floor(c.t[1] / tile), bg = D.background;
    ctx.lineWidth = 1;
    for (let i = i0 - n; i <= i0 + n; i++) for (let j = j0 - n; j <= j0 + n; j++) {
      const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]].map((a) => [a[0] * tile, a[1] * tile, h]);
      const pts = corners.map((p) => project(c, p));
      if (Math.min(pts[0][2], pts[1][2], pts[2][2], pts[3][2]) < NEAR) continue;
      const m = [(i + 0.5) * tile, (j + 0.5) * tile, h], dist = Math.hypot(...sub(m, c.eye));
      const fog = Math.min(1, Math.max(0, (dist - cam.dist) / (2 * cam.dist)));
      const base = D.groundColors[((i + j) % 2 + 2) % 2];
      const col = rgb(base.map((v, k) => v + fog * (bg[k] - v)));
      poly(pts); ctx.fillStyle = col; ctx.strokeStyle = col; ctx.fill(); ctx.stroke();
    }
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const W = Math.max(1, Math.round(canvas.clientWidth * dpr)), H = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== W || canvas.height !== H) { canvas.width = W; canvas.height = H; }
    const f = state.frame, c = camera(W, H, f);
    ctx.fillStyle = rgb(D.background); ctx.fillRect(0, 0, W, H);
    if (D.ground !== null) drawGround(c);
    const faces = [], shadow = [];
    for (let b = 0; b < B; b++) {
      const body = D.bodies[b], P = pose(f, b), R = P.R, V = body.vertices, F = body.faces, world = [];
      for (let k = 0; k < V.length; k += 3) {
        const x = V[k], y = V[k + 1], z = V[k + 2];
        world.push([R[0] * x + R[1] * y + R[2] * z + P.p[0], R[3] * x + R[4] * y + R[5] * z + P.p[1],
                    R[6] * x + R[7] * y + R[8] * z + P.p[2]]);
      }
      for (let k = 0; k < F.length; k += 4) {
        const q = [world[F[k]], world[F[k + 1]], world[F[k + 2]], world[F[k + 3]]];
        const n = norm(cross(sub(q[2], q[0]), sub(q[3], q[1])));
        const centre = [0, 1, 2].map((a) => (q[0][a] + q[1][a] + q[2][a] + q[3][a]) / 4);
        const toEye = sub(c.eye, centre);
        if (D.ground !== null && dot(n, L) > 0) {
          const flat = q.map((p) => {
            const s = (p[2] - D.ground) / L[2];
            return project(c, [p[0] - L[0] * s, p[1] - L[1] * s, D.ground]);
          });
          if (Math.min(flat[0][2], flat[1][2], flat[2][2], flat[3][2]) > NEAR) shadow.push(flat);
        }
        if (dot(n, toEye) <= 0) continue;
        const pts = q.map((p) => project(c, p));
        if (Math.min(pts[0][2], pts[1][2], pts[2][2], pts[3][2]) < NEAR) continue;
        const k2 = 0.42 + 0.45 * Math.max(0, dot(n, L)) + 0.2 * Math.max(0, dot(n, norm(toEye)));
        const depth = (pts[0][2] + pts[1][2] + pts[2][2] + pts[3][2]) / 4;
        faces.push({ depth: depth, pts: pts, color: rgb(body.color.map((v) => Math.min(255, v * k2))) });
      }
    }
    if (shadow.length) {  // one path: overlapping shadows do not darken twice
      ctx.beginPath();
      for (const pts of shadow) trace(pts);
      ctx.fillStyle = "rgba(0,0,0," + D.shadow + ")"; ctx.fill("nonzero");
    }
    faces.sort((a, b) => b.depth - a.depth);
    ctx.lineWidth = 1; ctx.lineJoin = "round";
    for (const face of faces) {  // stroked too: no seams between neighbouring faces
      poly(face.pts); ctx.fillStyle = face.color; ctx.strokeStyle = face.color; ctx.fill(); ctx.stroke();
    }
    state.drawnFaces = faces.length;
    slider.value = String(f);
    clock.textContent = "t = " + (f * D.dt).toFixed(2) + " s / " + ((T - 1) * D.dt).toFixed(2) + " s";
  }

  function tick(now) {
    if (state.playing && state.last !== null) {
      state.time += (now - state.last) / 1000 * parseFloat(speedBox.value);
      const period = T * D.dt;
      if (state.time >= period) state.time -= period * Math.floor(state.time / period);
      state.frame = Math.min(T - 1, Math.floor(state.time / D.dt));
    }
    state.last = now;
    draw();
    requestAnimationFrame(tick);
  }
  function setPlaying(on) { state.playing = on; playButton.textContent = on ? "Pause" : "Play"; }
  playButton.addEventListener("click", () => setPlaying(!state.playing));
  slider.addEventListener("input", () => {
    setPlaying(false);
    state.frame = parseInt(slider.value, 10);
    state.time = state.frame * D.dt;
    draw();
  });
  followBox.addEventListener("change", draw);
  let drag = null;
  canvas.addEventListener("pointerdown", (e) => {
    drag = [e.clientX, e.clientY];
    canvas.setPointerCapture(e.pointerId);
    canvas.style.cursor = "grabbing";
  });
  canvas.addEventListener("pointerup", () => { drag = null; canvas.style.cursor = "grab"; });
  canvas.addEventListener("pointermove", (e) => {
    if (!drag) return;
    cam.az -= (e.clientX - drag[0]) * 0.01;
    cam.el = Math.max(0.02, Math.min(1.5, cam.el + (e.clientY - drag[1]) * 0.01));
    drag = [e.clientX, e.clientY]; draw();
  });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    cam.dist *= Math.exp(e.deltaY * 0.001);
    draw();
  }, { passive: false });
  window.addEventListener("keydown", (e) => {  // space: play / pause
    if (e.key === " " && e.target === document.body) { e.preventDefault(); setPlaying(!state.playing); }
  });
  draw();
  requestAnimationFrame(tick);
})();
</script>
</body>
</html>
"""


# --------------------------------------------------------------------------- command line

def write(path, traj, fps: float | None = None, width: int | None = None, height: int | None = None) -> Path:
    """Write ``traj`` by the suffix of ``path``: .html, .gif, .mp4 or .npz."""
    traj = _as_trajectory(traj)
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
    parser = argparse.ArgumentParser(description="Render a saved symphys trajectory (.npz) as HTML, GIF or MP4.")
    parser.add_argument("trajectory", help="file written by symphys.viewer.save_trajectory")
    parser.add_argument("--out", action="append", required=True, help=".html, .gif or .mp4; repeatable")
    parser.add_argument("--fps", type=float, default=None)
    args = parser.parse_args(argv)
    traj = load_trajectory(args.trajectory)
    for out in args.out:
        print(f"wrote {write(out, traj, fps=args.fps)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
