"""A perspective camera orbiting a target, z up, and the projection of world points to pixels."""

from __future__ import annotations

import dataclasses

import numpy as np

from .mesh import extent
from .trajectory import Trajectory

FOV = 40.0  # degrees, vertical


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
    settings = dict(target=tuple(look_at(traj, 0)), distance=distance, width=width, height=height)
    settings.update(kwargs)
    return Camera(**settings)


def look_at(traj: Trajectory, frame: int) -> np.ndarray:
    """Look-at point (3,) m: the followed body's x, y and its height in the first frame."""
    if traj.follow < 0:
        return traj.position[0].mean(axis=0)
    p = traj.position[frame, traj.follow]
    return np.array([p[0], p[1], traj.position[0, traj.follow, 2]])
