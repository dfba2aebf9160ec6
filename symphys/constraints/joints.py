"""Joint, limit and motor rows between two bodies (or a body and the world).

Each joint type is one vectorized block over all joints of that type:
a ball joint keeps two anchor points together (3 rows along the world
axes), a hinge adds 2 angular rows keeping the axes aligned, a fixed joint
3 angular rows keeping the relative orientation.  Equality rows are soft
(Catto 2011) with the solver's joint frequency and damping ratio.  Hinge
limits are one-sided rows (speculative: they also stop a joint from
crossing its limit within a step); motors are velocity rows whose impulse
is bounded by max torque times dt, and servos set that velocity from the
angle error (gain 1/s, clipped to max speed; modulo 2 pi on hinges
without limits, which turn the short way).
"""

from __future__ import annotations

import numpy as np

from .. import math3d
from ..backend import pt
from ..gather import gather
from ..model import JointType
from ..solver import project
from .contacts import soft_coefficients
from .rows import OPEN_BOUND, Rows

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


def _constant_count(model, parent, child):
    count = np.zeros(model.n_bodies, dtype=model.dtype)
    for body in list(parent) + list(child):
        if body >= 0:
            count[body] += 1.0
    return pt.constant(count[None])


def _block(model, parent, child, jac_a, jac_b, target, mass_scale, impulse_scale, lower, upper,
           count) -> Rows:
    n_rows = len(parent)
    zeros = pt.zeros_like(target)
    return Rows(body_a=np.asarray(parent), body_b=np.asarray(child), normal_row=np.arange(n_rows),
                jacobian_a=jac_a, jacobian_b=jac_b, target=target,
                mass_scale=mass_scale * pt.ones_like(target),
                impulse_scale=impulse_scale * pt.ones_like(target),
                lower=lower + zeros, upper=upper + zeros, friction=zeros, contact_count=count)


def _equality_rows(model, blocks, parent, child):
    """Soft equality rows from a list of (jac_a, jac_b, error) blocks over the same joints."""
    bias_rate, soft_mass, soft_impulse = soft_coefficients(
        model.solver.joint_frequency, model.solver.joint_damping_ratio, model.dt)
    jac_a = pt.concatenate([b[0] for b in blocks], axis=1)
    jac_b = pt.concatenate([b[1] for b in blocks], axis=1)
    error = pt.concatenate([b[2] for b in blocks], axis=1)
    k = len(blocks)
    return _block(model, np.tile(parent, k), np.tile(child, k), jac_a, jac_b, -bias_rate * error,
                  soft_mass, soft_impulse, -OPEN_BOUND, OPEN_BOUND,
                  _constant_count(model, parent, child))


def _linear(direction, lever_a, lever_b):
    d = pt.ones_like(lever_a) * direction
    return (pt.concatenate([-d, -math3d.cross(lever_a, d)], axis=-1),
            pt.concatenate([d, math3d.cross(lever_b, d)], axis=-1))


def _angular(direction):
    zeros = pt.zeros_like(direction)
    return pt.concatenate([zeros, -direction], axis=-1), pt.concatenate([zeros, direction], axis=-1)


def joint_rows(model, kin, controls=None) -> list[Rows]:
    """Row blocks of all joints, hinge limits and motors (empty if none)."""
    dtype = model.dtype
    blocks = []
    frames = {}

    def frames_of(joints):
        key = tuple(joints)
        if key not in frames:
            parent, child = model.joint_parent[joints], model.joint_child[joints]
            x_a, rot_a, q_a = body_frames(model, kin, parent)
            x_b, rot_b, q_b = body_frames(model, kin, child)
            lever_a = math3d.matvec(rot_a, pt.constant(model.joint_anchor_parent[joints].astype(dtype)))
            lever_b = math3d.matvec(rot_b, pt.constant(model.joint_anchor_child[joints].astype(dtype)))
            axis_a = math3d.matvec(rot_a, pt.constant(model.joint_axis_parent[joints].astype(dtype)))
            frames[key] = dict(parent=parent, child=child, rot_a=rot_a, rot_b=rot_b, q_a=q_a, q_b=q_b,
                               lever_a=lever_a, lever_b=lever_b, axis_a=axis_a,
                               separation=(x_b + lever_b) - (x_a + lever_a))
        return frames[key]

    for joint_type in (JointType.BALL, JointType.HINGE, JointType.FIXED):
        joints = np.nonzero(model.joint_type == joint_type)[0]
        if len(joints) == 0:
            continue
        f = frames_of(joints)
        equalities = []
        for k in range(3):  # anchors coincide along each world axis
            direction = pt.constant(np.eye(3, dtype=dtype)[k])
            jac_a, jac_b = _linear(direction, f["lever_a"], f["lever_b"])
            equalities.append((jac_a, jac_b, f["separation"][..., k]))
        if joint_type == JointType.HINGE:
            axis_b = math3d.matvec(f["rot_b"], pt.constant(model.joint_axis_child[joints].astype(dtype)))
            misalignment = math3d.cross(f["axis_a"], axis_b)  # rotation taking axis_a to axis_b
            for local in (model.joint_normal_parent, model.joint_binormal_parent):
                direction = math3d.matvec(f["rot_a"], pt.constant(local[joints].astype(dtype)))
                jac_a, jac_b = _angular(direction)
                equalities.append((jac_a, jac_b, pt.sum(misalignment * direction, axis=-1)))
        elif joint_type == JointType.FIXED:
            reference = pt.constant(model.joint_reference[joints].astype(dtype))
            target = math3d.quat_multiply(f["q_a"], reference)
            error_q = math3d.quat_multiply(f["q_b"], conjugate(target))
            sign = pt.switch(pt.lt(error_q[..., :1], 0.0), -1.0, 1.0)
            rotation_error = 2.0 * sign * error_q[..., 1:]  # world frame, rad
            for k in range(3):
                direction = pt.ones_like(rotation_error) * pt.constant(np.eye(3, dtype=dtype)[k])
                jac_a, jac_b = _angular(direction)
                equalities.append((jac_a, jac_b, rotation_error[..., k]))
        blocks.append(_equality_rows(model, equalities, f["parent"], f["child"]))

    limited = np.nonzero(np.isfinite(model.joint_lower))[0]
    if len(limited):
        f = frames_of(limited)
        angle = hinge_angle(model, f["q_a"], f["q_b"], limited)
        bias_rate, soft_mass, soft_impulse = soft_coefficients(
            model.solver.joint_frequency, model.solver.joint_damping_ratio, model.dt)
        parts = []
        for sign, bound in ((1.0, model.joint_lower[limited]), (-1.0, model.joint_upper[limited])):
            gap = sign * (angle - pt.constant(bound.astype(dtype)))  # >= 0 inside the range
            jac_a, jac_b = _angular(sign * f["axis_a"])
            open_gap = pt.gt(gap, 0.0)
            # Speculative while inside (may close the gap exactly, never cross it),
            # soft push back once beyond.
            target = pt.switch(open_gap, -gap / model.dt, -bias_rate * gap)
            parts.append((jac_a, jac_b, target, pt.switch(open_gap, 1.0, soft_mass),
                          pt.switch(open_gap, 0.0, soft_impulse)))
        blocks.append(_block(
            model, np.tile(f["parent"], 2), np.tile(f["child"], 2),
            pt.concatenate([p[0] for p in parts], axis=1), pt.concatenate([p[1] for p in parts], axis=1),
            pt.concatenate([p[2] for p in parts], axis=1), pt.concatenate([p[3] for p in parts], axis=1),
            pt.concatenate([p[4] for p in parts], axis=1), 0.0, OPEN_BOUND,
            _constant_count(model, f["parent"], f["child"])))

    if model.n_motors:
        joints = model.motor_joint
        f = frames_of(joints)
        if controls is None:
            controls = pt.zeros((1, model.n_motors), dtype=dtype)
        jac_a, jac_b = _angular(f["axis_a"])
        angle = hinge_angle(model, f["q_a"], f["q_b"], joints)
        gain = pt.constant(model.motor_gain.astype(dtype))
        max_speed = pt.constant(model.motor_max_speed.astype(dtype))
        error = controls - angle
        # A hinge without limits turns freely: its servo takes the short way
        # round (target modulo 2 pi), as the angle itself is only known in (-pi, pi].
        free = ~(np.isfinite(model.joint_lower[joints]) | np.isfinite(model.joint_upper[joints]))
        if free.any():
            error = pt.switch(pt.constant(free), pt.arctan2(pt.sin(error), pt.cos(error)), error)
        servo_speed = project(gain * error, -max_speed, max_speed)
        target = pt.switch(pt.constant(model.motor_servo), servo_speed, controls)
        limit = pt.constant((model.motor_max_torque * model.dt).astype(dtype))  # N m s
        blocks.append(_block(model, f["parent"], f["child"], jac_a, jac_b, target, 1.0, 0.0,
                             -limit, limit, _constant_count(model, f["parent"], f["child"])))
    return blocks


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
