"""What the viewer draws: a :class:`Trajectory` (geometry per body, poses per frame) and its .npz file.

A Trajectory holds per body its shape, size and geom pose in the body
frame (from the Model), and per frame every body's position (T, B, 3) and
orientation quaternion (T, B, 4), (w, x, y, z), body to world, as in
``symphys.State``.  z is up; the ground is the plane z = ground_height.
The file is an .npz without pickles, so it can be read anywhere.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

FORMAT = "symphys-trajectory-1"
SHAPES = ("sphere", "box", "capsule")  # symphys.Shape values 0, 1, 2


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


def as_trajectory(traj) -> Trajectory:
    """``traj`` itself if it is a :class:`Trajectory`, else the one saved at that path."""
    if isinstance(traj, Trajectory):
        return traj
    if isinstance(traj, (str, os.PathLike)):
        return load_trajectory(traj)
    raise ValueError(f"traj must be a Trajectory or the path of a saved one, got {type(traj).__name__}")
