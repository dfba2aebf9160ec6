"""Joint rows between two bodies (or a body and the world), and the hinge sensors.

Each joint type is one vectorized block over all joints of that type:
a ball joint keeps two anchor points together (3 rows along the world
axes), a hinge adds 2 angular rows keeping the axes aligned, a fixed joint
3 angular rows keeping the relative orientation.  Equality rows are soft
(Catto 2011) with the solver's joint frequency and damping ratio.  Hinge
limits (limits.py) and motors (motors.py) are built on the same joint
frames.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .. import math3d
from ..backend import pt
from ..model import JointType
from .gather import gather
from .rows import OPEN_BOUND, Rows, constant_count, row_block, soft_coefficients

IDENTITY_QUATERNION = np.array([1.0, 0.0, 0.0, 0.0])


def body_frames(model, kin, body: np.ndarray):
    """Position, rotation and orientation of bodies ``body`` (-1 = world frame)."""
    dtype = model.dtype
    n = model.n_bodies
    world = (np.asarray(body) < 0).astype(dtype)
    position = gather(kin.position, body, n, dtype)
    rotation = gather(kin.rotation, body, n, dtype) + pt.constant(world[:, None, None] * np.eye(3, dtype=dtype))
    orientation = gather(kin.orientation, body, n, dtype) + pt.constant(
        world[:, None] * IDENTITY_QUATERNION.astype(dtype))
    return position, rotation, orientation


def conjugate(q):
    """Conjugate (inverse rotation) of unit quaternions (..., 4)."""
    return q * pt.constant(np.array([1.0, -1.0, -1.0, -1.0], dtype=q.dtype))


def hinge_angle(model, orientation_a, orientation_b, joints: np.ndarray):
    """Rotation angle (rad) of each hinge from its initial pose, in (-pi, pi]."""
    dtype = model.dtype
    relative = math3d.quat_multiply(conjugate(orientation_a), orientation_b)
    reference = pt.constant(model.joint_reference[joints].astype(dtype))
    delta = math3d.quat_multiply(relative, conjugate(reference))
    axis = pt.constant(model.joint_axis_parent[joints].astype(dtype))
    sine_half = pt.sum(delta[..., 1:] * axis, axis=-1)
    return 2.0 * pt.arctan2(sine_half, delta[..., 0])


@dataclasses.dataclass(frozen=True)
class JointFrames:
    """World-frame geometry of a set of joints at the start of a step (batch-first)."""

    parent: np.ndarray  # (J,) int, -1 = world
    child: np.ndarray  # (J,) int
    rotation_a: Any  # (B, J, 3, 3) parent body -> world
    rotation_b: Any  # (B, J, 3, 3) child body -> world
    orientation_a: Any  # (B, J, 4)
    orientation_b: Any  # (B, J, 4)
    lever_a: Any  # (B, J, 3) m, parent's centre of mass to the anchor
    lever_b: Any  # (B, J, 3) m, child's centre of mass to the anchor
    axis_a: Any  # (B, J, 3) hinge axis in world frame, as fixed in the parent
    separation: Any  # (B, J, 3) m, child's anchor minus parent's anchor

    def angle(self, model, joints: np.ndarray):
        """Hinge angles (rad) of these joints, (B, J)."""
        return hinge_angle(model, self.orientation_a, self.orientation_b, joints)


class FrameCache:
    """JointFrames per set of joints, built once per step and shared by joints, limits and motors."""

    def __init__(self, model, kin):
        self.model, self.kin = model, kin
        self._frames: dict = {}

    def of(self, joints: np.ndarray) -> JointFrames:
        """JointFrames of the joints with these indices."""
        key = tuple(joints)
        if key not in self._frames:
            self._frames[key] = joint_frames(self.model, self.kin, joints)
        return self._frames[key]


def joint_frames(model, kin, joints: np.ndarray) -> JointFrames:
    """JointFrames of the joints with indices ``joints``."""
    dtype = model.dtype
    parent, child = model.joint_parent[joints], model.joint_child[joints]
    x_a, rot_a, q_a = body_frames(model, kin, parent)
    x_b, rot_b, q_b = body_frames(model, kin, child)
    lever_a = math3d.matvec(rot_a, pt.constant(model.joint_anchor_parent[joints].astype(dtype)))
    lever_b = math3d.matvec(rot_b, pt.constant(model.joint_anchor_child[joints].astype(dtype)))
    axis_a = math3d.matvec(rot_a, pt.constant(model.joint_axis_parent[joints].astype(dtype)))
    return JointFrames(parent=parent, child=child, rotation_a=rot_a, rotation_b=rot_b, orientation_a=q_a,
                       orientation_b=q_b, lever_a=lever_a, lever_b=lever_b, axis_a=axis_a,
                       separation=(x_b + lever_b) - (x_a + lever_a))


def linear_jacobians(direction, lever_a, lever_b):
    """(J_a, J_b) (B, J, 6) of the anchors' relative velocity along ``direction``."""
    d = pt.ones_like(lever_a) * direction
    return (pt.concatenate([-d, -math3d.cross(lever_a, d)], axis=-1),
            pt.concatenate([d, math3d.cross(lever_b, d)], axis=-1))


def angular_jacobians(direction):
    """(J_a, J_b) (B, J, 6) of the bodies' relative angular velocity along ``direction``."""
    zeros = pt.zeros_like(direction)
    return pt.concatenate([zeros, -direction], axis=-1), pt.concatenate([zeros, direction], axis=-1)


def equality_rows(model, frames: FrameCache) -> list[Rows]:
    """Soft equality rows of every joint, one block per joint type (empty if no joints)."""
    dtype = model.dtype
    blocks = []
    for joint_type in (JointType.BALL, JointType.HINGE, JointType.FIXED):
        joints = np.nonzero(model.joint_type == joint_type)[0]
        if len(joints) == 0:
            continue
        f = frames.of(joints)
        equalities = []
        for k in range(3):  # anchors coincide along each world axis
            direction = pt.constant(np.eye(3, dtype=dtype)[k])
            jac_a, jac_b = linear_jacobians(direction, f.lever_a, f.lever_b)
            equalities.append((jac_a, jac_b, f.separation[..., k]))
        if joint_type == JointType.HINGE:
            equalities += _aligned_axes(model, f, joints)
        elif joint_type == JointType.FIXED:
            equalities += _fixed_orientation(model, f, joints)
        blocks.append(_soft_equalities(model, equalities, f.parent, f.child))
    return blocks


def _aligned_axes(model, f: JointFrames, joints):
    """Two angular (J_a, J_b, error rad) rows keeping a hinge's axes aligned."""
    dtype = model.dtype
    axis_b = math3d.matvec(f.rotation_b, pt.constant(model.joint_axis_child[joints].astype(dtype)))
    misalignment = math3d.cross(f.axis_a, axis_b)  # rotation taking axis_a to axis_b
    rows = []
    for local in (model.joint_normal_parent, model.joint_binormal_parent):
        direction = math3d.matvec(f.rotation_a, pt.constant(local[joints].astype(dtype)))
        jac_a, jac_b = angular_jacobians(direction)
        rows.append((jac_a, jac_b, pt.sum(misalignment * direction, axis=-1)))
    return rows


def _fixed_orientation(model, f: JointFrames, joints):
    """Three angular (J_a, J_b, error rad) rows keeping a fixed joint's relative orientation."""
    dtype = model.dtype
    reference = pt.constant(model.joint_reference[joints].astype(dtype))
    target = math3d.quat_multiply(f.orientation_a, reference)
    error_q = math3d.quat_multiply(f.orientation_b, conjugate(target))
    sign = pt.switch(pt.lt(error_q[..., :1], 0.0), -1.0, 1.0)
    rotation_error = 2.0 * sign * error_q[..., 1:]  # world frame, rad
    rows = []
    for k in range(3):
        direction = pt.ones_like(rotation_error) * pt.constant(np.eye(3, dtype=dtype)[k])
        jac_a, jac_b = angular_jacobians(direction)
        rows.append((jac_a, jac_b, rotation_error[..., k]))
    return rows


def joint_softness(model):
    """(bias_rate 1/s, mass_scale, impulse_scale) of joint and limit rows.

    Jacobi and Gauss-Seidel: soft rows (Catto 2011) of the solver's joint
    frequency and damping ratio.  Newton: rigid rows (its ``rigid_impedance``
    applies) whose target corrects an error over ``joint_time_constant``
    (at least 2 dt).
    """
    if model.solver_method == "newton":
        return 1.0 / max(model.solver.joint_time_constant, 2.0 * model.dt), 1.0, 0.0
    return soft_coefficients(model.solver.joint_frequency, model.solver.joint_damping_ratio, model.dt)


def _soft_equalities(model, blocks, parent, child) -> Rows:
    """Soft equality rows from a list of (jac_a, jac_b, error) blocks over the same joints."""
    bias_rate, soft_mass, soft_impulse = joint_softness(model)
    jac_a = pt.concatenate([b[0] for b in blocks], axis=1)
    jac_b = pt.concatenate([b[1] for b in blocks], axis=1)
    error = pt.concatenate([b[2] for b in blocks], axis=1)
    k = len(blocks)
    return row_block(np.tile(parent, k), np.tile(child, k), jac_a, jac_b, -bias_rate * error,
                     soft_mass, soft_impulse, -OPEN_BOUND, OPEN_BOUND, constant_count(model, parent, child))


def joint_sensors(model, kin):
    """(angles rad, angular speeds rad/s) of all hinge joints, shape (B, n_hinges)."""
    hinges = np.nonzero(model.joint_type == JointType.HINGE)[0]
    parent, child = model.joint_parent[hinges], model.joint_child[hinges]
    _, rot_a, q_a = body_frames(model, kin, parent)
    _, _, q_b = body_frames(model, kin, child)
    axis_a = math3d.matvec(rot_a, pt.constant(model.joint_axis_parent[hinges].astype(model.dtype)))
    n = model.n_bodies
    w_a = gather(kin.angular_velocity0, parent, n, model.dtype)
    w_b = gather(kin.angular_velocity0, child, n, model.dtype)
    return hinge_angle(model, q_a, q_b, hinges), pt.sum(axis_a * (w_b - w_a), axis=-1)
