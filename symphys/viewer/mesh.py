"""Body geometry for drawing: convex polygon meshes (box, lat-long sphere, capsule) in the body frame."""

from __future__ import annotations

import numpy as np

from symphys import rotations

from .trajectory import SHAPES, Trajectory


def quat_to_matrix(q) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of quaternions (..., 4) (w, x, y, z), normalized first."""
    q = np.asarray(q, dtype=float)
    return rotations.quat_to_matrix(q / np.linalg.norm(q, axis=-1, keepdims=True))


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
    """Convex polygon mesh of a shape in its own frame: vertices (V, 3) m, quads (F, 4).

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


def extent(traj: Trajectory) -> float:
    """Radius (m) of the scene around the followed body in the first frame (at least 0.1)."""
    centre = traj.position[0, traj.follow] if traj.follow >= 0 else traj.position[0].mean(axis=0)
    reach = [np.linalg.norm(traj.position[0, b] - centre) + np.linalg.norm(traj.size[b])
             + np.linalg.norm(traj.geom_offset[b]) for b in range(traj.n_bodies)]
    return max(0.1, float(max(reach)))
