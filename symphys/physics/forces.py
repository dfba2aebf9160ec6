"""Stage 1-2 of a step: forces and the unconstrained velocity update v* = v + dt M^-1 f.

Forces are gravity, the optional external wrench, and the gyroscopic torque
-w x (I w) (SolverOptions.gyroscopic), all in the world frame.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import math3d
from ..backend import pt
from ..model import Params, State
from .kinematics import Kinematics


@dataclasses.dataclass(frozen=True)
class FreeMotion:
    """The bodies' masses and their velocities before constraints."""

    mass: Any  # (P, N) kg, P in {1, batch}
    inertia: Any  # (B, N, 3, 3) world frame, kg m^2
    inv_mass: Any  # (P, N) 1/kg
    inv_inertia: Any  # (B, N, 3, 3) world frame, 1/(kg m^2)
    velocity: Any  # (B, N, 6) [linear m/s, angular rad/s], v* = v + dt M^-1 f


def free_motion(model, state: State, kin: Kinematics, params: Params, wrench=None) -> FreeMotion:
    """Apply gravity, ``wrench`` ((B, N, 6) [force N, torque N m], or None) and gyroscopic torques."""
    dt = model.dt
    dtype = model.dtype
    v, w = state.velocity, state.angular_velocity
    rotation = kin.rotation
    mass = params.body_mass  # (P, N)
    inv_mass = 1.0 / mass
    principal = mass[..., None] * pt.constant(model.body_unit_inertia.astype(dtype))  # (P, N, 3)
    inv_inertia = math3d.rotate_inertia(rotation, 1.0 / principal)

    force = mass[..., None] * pt.constant(model.gravity.astype(dtype))
    inertia = math3d.rotate_inertia(rotation, principal)
    torque = pt.zeros_like(w)
    if wrench is not None:
        force = force + wrench[..., :3]
        torque = torque + wrench[..., 3:]
    if model.solver.gyroscopic:
        torque = torque - math3d.cross(w, math3d.matvec(inertia, w))
    v_free = v + dt * inv_mass[..., None] * force
    w_free = w + dt * math3d.matvec(inv_inertia, torque)
    velocity = pt.concatenate([v_free, w_free], axis=-1)
    if model.fixed_mask.any():  # fixed bodies stay put; rows treat them as the world
        velocity = velocity * pt.constant((~model.fixed_mask).astype(dtype)[None, :, None])
    return FreeMotion(mass=mass, inertia=inertia, inv_mass=inv_mass, inv_inertia=inv_inertia, velocity=velocity)
