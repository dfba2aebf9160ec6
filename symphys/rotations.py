"""The numpy quaternion toolkit: unit quaternions (w, x, y, z) and rotation matrices.

Every numeric (non-graph) rotation in symphys, its loaders, viewer and
benchmarks comes from here; ``math3d`` holds the symbolic twins used inside
the step graph.  ``quat_to_matrix`` and ``quat_multiply`` take arrays with any
leading axes; the conversions to a quaternion take one rotation.
"""

from __future__ import annotations

import math

import numpy as np


def quat_to_matrix(q) -> np.ndarray:
    """Rotation matrices (..., 3, 3), body to world, of unit quaternions (..., 4)."""
    q = np.asarray(q, dtype=float)
    w, x, y, z = np.moveaxis(q, -1, 0)
    rows = quat_matrix_rows(w, x, y, z)
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)


def quat_multiply(a, b) -> np.ndarray:
    """Hamilton product a * b of quaternions (..., 4): rotate by b, then by a."""
    aw, ax, ay, az = np.moveaxis(np.asarray(a, dtype=float), -1, 0)
    bw, bx, by, bz = np.moveaxis(np.asarray(b, dtype=float), -1, 0)
    return np.stack([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw], axis=-1)


def axis_angle_to_quat(axis, angle: float) -> np.ndarray:
    """Unit quaternion (4,) of a rotation by ``angle`` (rad) about ``axis`` (3,), any nonzero length."""
    axis = np.asarray(axis, dtype=float)
    norm = np.linalg.norm(axis)
    if norm < 1e-12:
        raise ValueError("axis must be nonzero")
    return np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * axis / norm])


def z_to_quat(vector) -> np.ndarray:
    """Unit quaternion (4,) of the minimal rotation taking +z to the unit ``vector`` (3,)
    (MuJoCo's mjuu_z2quat); a rotation about x when ``vector`` is along z."""
    vector = np.asarray(vector, dtype=float)
    axis = np.cross([0.0, 0.0, 1.0], vector)
    s = np.linalg.norm(axis)
    axis = np.array([1.0, 0.0, 0.0]) if s < 1e-10 else axis / s
    angle = math.atan2(s, vector[2])
    return np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * axis])


def matrix_to_quat(r: np.ndarray) -> np.ndarray:
    """Unit quaternion (4,) of one rotation matrix (3, 3), body to world (Shepperd's method)."""
    trace = np.trace(r)
    if trace > 0:
        s = 2.0 * math.sqrt(trace + 1.0)
        q = [0.25 * s, (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s]
    else:
        i = int(np.argmax(np.diag(r)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * math.sqrt(1.0 + r[i, i] - r[j, j] - r[k, k])
        q = [0.0, 0.0, 0.0, 0.0]
        q[0] = (r[k, j] - r[j, k]) / s
        q[1 + i] = 0.25 * s
        q[1 + j] = (r[j, i] + r[i, j]) / s
        q[1 + k] = (r[k, i] + r[i, k]) / s
    q = np.array(q)
    return q / np.linalg.norm(q)


def rpy_to_quat(rpy) -> np.ndarray:
    """Unit quaternion (4,) of URDF roll, pitch, yaw (3,) in rad: about the fixed
    axes x, then y, then z."""
    roll, pitch, yaw = rpy
    cx, sx, cy, sy, cz, sz = (math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch),
                              math.cos(yaw), math.sin(yaw))
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return matrix_to_quat(rz @ ry @ rx)


def quat_matrix_rows(w, x, y, z) -> list:
    """Rotation matrix (body to world) of the unit quaternion (w, x, y, z) as 3 rows of 3 entries.

    Arithmetic only, so the components may be numbers, numpy arrays or traced
    JAX arrays (the peer engines' rollouts in benchmarks/peers.py stack them
    with ``jax.numpy.array``).
    """
    return [[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]]
