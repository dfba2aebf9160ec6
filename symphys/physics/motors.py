"""Motor rows: one angular velocity row per motor, its impulse bounded by max torque times dt.

A servo sets the row's target speed from the angle error (gain 1/s, clipped
to the motor's max speed); a velocity motor takes its control as the target
speed.  A hinge without limits turns freely, so its servo takes the short way
round (target modulo 2 pi), as the angle itself is only known in (-pi, pi].
Gain and max torque come from Params (``params.motor_gain``,
``params.motor_max_torque``): graph inputs, differentiable, per world if given so.
"""

from __future__ import annotations

import numpy as np

from ..backend import pt
from .joints import FrameCache, angular_jacobians
from .rows import Rows, constant_count, project, row_block


def motor_rows(model, frames: FrameCache, params, controls=None) -> list[Rows]:
    """One block of motor rows (empty if the model has no motors).

    params: graph Params (``batching.graph_params``), whose motor_gain (P, n_motors) 1/s and
    motor_max_torque (P, n_motors) N m drive the rows, P in {1, B}.
    controls: (B|1, n_motors) servo target angles (rad) or motor speeds (rad/s);
    zeros if None.
    """
    if not model.n_motors:
        return []
    dtype = model.dtype
    joints = model.motor_joint
    f = frames.of(joints)
    if controls is None:
        controls = pt.zeros((1, model.n_motors), dtype=dtype)
    jac_a, jac_b = angular_jacobians(f.axis_a)
    angle = f.angle(model, joints)
    gain = params.motor_gain
    max_speed = pt.constant(model.motor_max_speed.astype(dtype))
    error = controls - angle
    free = ~(np.isfinite(model.joint_lower[joints]) | np.isfinite(model.joint_upper[joints]))
    if free.any():
        error = pt.switch(pt.constant(free), pt.arctan2(pt.sin(error), pt.cos(error)), error)
    servo_speed = project(gain * error, -max_speed, max_speed)
    target = pt.switch(pt.constant(model.motor_servo), servo_speed, controls)
    limit = params.motor_max_torque * model.dt  # N m s, (P, n_motors)
    return [row_block(f.parent, f.child, jac_a, jac_b, target, 1.0, 0.0, -limit, limit,
                      constant_count(model, f.parent, f.child))]
