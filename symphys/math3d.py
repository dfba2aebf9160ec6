"""Symbolic 3-D rotation algebra on arrays whose last axis holds components.

Quaternions are (w, x, y, z), unit norm, rotating body coordinates into world
coordinates.  Functions accept any leading axes and work on graph variables.
"""

from __future__ import annotations

import numpy as np

from .backend import pt
from .rotations import quat_matrix_rows


def cross(a, b):
    """Cross product a x b over the last axis (size 3)."""
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    return pt.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=-1)


def dot(a, b):
    """Inner product over the last axis."""
    return pt.sum(a * b, axis=-1)


def matvec(matrix, vector):
    """matrix (..., 3, 3) times vector (..., 3)."""
    return pt.sum(matrix * vector[..., None, :], axis=-1)


def quat_to_matrix(q):
    """Rotation matrix (..., 3, 3) of unit quaternions q (..., 4)."""
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    rows = quat_matrix_rows(w, x, y, z)
    return pt.stack([pt.stack(r, axis=-1) for r in rows], axis=-2)


def quat_multiply(a, b):
    """Hamilton product a * b of quaternions (..., 4)."""
    aw, ax, ay, az = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bw, bx, by, bz = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    return pt.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def integrate_orientation(q, angular_velocity, dt):
    """q advanced by dt under world-frame angular velocity, renormalized.

    First-order update q + dt/2 (0, w) * q (the quaternion kinematic equation
    with w in world coordinates), then projection back onto unit norm.
    """
    omega = pt.concatenate([pt.zeros_like(angular_velocity[..., :1]), angular_velocity], axis=-1)
    q_new = q + (0.5 * dt) * quat_multiply(omega, q)
    return q_new / pt.sqrt(pt.sum(q_new * q_new, axis=-1, keepdims=True))


def rotate_inertia(rotation, principal):
    """World-frame tensor R diag(principal) R^T; rotation (..., 3, 3), principal (..., 3)."""
    scaled = rotation * principal[..., None, :]
    return pt.sum(scaled[..., :, None, :] * rotation[..., None, :, :], axis=-1)


def quat_rotate(q, vector):
    """Body-frame vector (3,) (numpy; any units) rotated into the world by unit quaternions q (..., 4)."""
    w, u = q[..., :1], q[..., 1:]
    v = pt.as_tensor_variable(np.asarray(vector, dtype=float)) * pt.ones_like(u)
    return v + 2 * cross(u, cross(u, v) + w * v)
