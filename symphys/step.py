"""One simulation step as a pure symbolic function of (model, state).

    1. forces: gravity, external wrench, gyroscopic torque
    2. unconstrained velocity update  v* = v + dt M^-1 f
    3. constraint rows (ground contacts with friction; joints later)
    4. projected Jacobi / Gauss-Seidel on the velocity problem
    5. semi-implicit Euler: x += dt v_new, q integrated and renormalized
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import math3d
from .backend import float_context, pt
from .constraints import concatenate_rows, contacts, joints
from .model import Model, Params, State
from .solver import solve


@dataclasses.dataclass(frozen=True)
class Kinematics:
    """Per-step quantities shared by all constraint builders (batch-first)."""

    position: Any  # (B, N, 3)
    orientation: Any  # (B, N, 4)
    rotation: Any  # (B, N, 3, 3) body -> world
    velocity0: Any  # (B, N, 3) start-of-step velocity
    angular_velocity0: Any  # (B, N, 3)


def as_tensor(value, dtype):
    """Graph variable from a numpy array or a graph variable (cast to dtype)."""
    if hasattr(value, "owner") and hasattr(value, "type"):
        return value if value.dtype == dtype else pt.cast(value, dtype)
    return pt.as_tensor_variable(np.asarray(value, dtype=dtype))


def graph_params(model: Model, params: Params | None) -> Params:
    """Params as graph variables; per-body arrays of shape (P, N), P in {1, batch}."""
    params = params if params is not None else model.params()
    dtype = model.dtype

    def per_body(x):
        x = as_tensor(x, dtype)
        return x[None, :] if x.ndim == 1 else x

    return Params(
        body_mass=per_body(params.body_mass),
        body_friction=per_body(params.body_friction),
        body_restitution=per_body(params.body_restitution),
        ground_friction=as_tensor(params.ground_friction, dtype),
        ground_restitution=as_tensor(params.ground_restitution, dtype),
    )


def batch_state(model: Model, state: State) -> tuple[State, bool]:
    """State with a leading batch axis (added if absent) and whether it was added."""
    fields = [as_tensor(f, model.dtype) for f in state.fields()]
    unbatched = fields[0].ndim == 2
    if unbatched:
        fields = [f[None] for f in fields]
    return State(*fields), unbatched


def kinematics(state: State) -> Kinematics:
    """Kinematics of a batch-first State."""
    return Kinematics(position=state.position, orientation=state.orientation,
                      rotation=math3d.quat_to_matrix(state.orientation),
                      velocity0=state.velocity, angular_velocity0=state.angular_velocity)


def step_batched(model: Model, state: State, params: Params, wrench=None, warm_impulse=None,
                 controls=None):
    """Advance a batch-first State by model.dt; return (State, solver impulses (B, R)).

    controls: (B|1, n_motors) motor targets (servo angle rad or speed rad/s).
    """
    dt = model.dt
    dtype = model.dtype
    x, q, v, w = state.fields()
    kin = kinematics(state)
    rotation = kin.rotation
    mass = params.body_mass  # (P, N)
    inv_mass = 1.0 / mass
    principal = mass[..., None] * pt.constant(model.body_unit_inertia.astype(dtype))  # (P, N, 3)
    inv_inertia = math3d.rotate_inertia(rotation, 1.0 / principal)

    force = mass[..., None] * pt.constant(model.gravity.astype(dtype))
    torque = pt.zeros_like(w)
    if wrench is not None:
        force = force + wrench[..., :3]
        torque = torque + wrench[..., 3:]
    if model.solver.gyroscopic:
        inertia = math3d.rotate_inertia(rotation, principal)
        torque = torque - math3d.cross(w, math3d.matvec(inertia, w))
    v_free = v + dt * inv_mass[..., None] * force
    w_free = w + dt * math3d.matvec(inv_inertia, torque)
    velocity = pt.concatenate([v_free, w_free], axis=-1)  # (B, N, 6)

    impulse = None
    blocks = [contacts.contact_rows(model, kin, params)] if model.n_contacts else []
    blocks += joints.joint_rows(model, kin, controls)
    if blocks:
        rows = concatenate_rows(blocks)
        if warm_impulse is None:
            warm_impulse = pt.zeros_like(rows.target)
        velocity, impulse = solve(model, rows, velocity, inv_mass, inv_inertia, warm_impulse)

    v_new, w_new = velocity[..., :3], velocity[..., 3:]
    x_new = x + dt * v_new
    q_new = math3d.integrate_orientation(q, w_new, dt)
    return State(x_new, q_new, v_new, w_new), impulse


def step(model: Model, state: State, params: Params | None = None, wrench=None,
         controls=None) -> State:
    """One symbolic step of ``model.dt`` seconds (state batched or not).

    wrench: optional (..., n_bodies, 6) external [force N, torque N m] in
    world frame, applied during the step.
    controls: optional (..., n_motors) motor targets.
    """
    with float_context(model.dtype):
        batched, unbatched = batch_state(model, state)
        if wrench is not None:
            wrench = as_tensor(wrench, model.dtype)
            if unbatched:
                wrench = wrench[None]
        if controls is not None:
            controls = as_tensor(controls, model.dtype)
            if controls.ndim == 1:
                controls = controls[None]
        new, _ = step_batched(model, batched, graph_params(model, params), wrench, controls=controls)
    if unbatched:
        new = State(*(f[0] for f in new.fields()))
    return new


def joint_angles(model: Model, state: State):
    """Hinge angles (rad) from the initial pose, shape (..., n_hinges)."""
    return _sensor(model, state, 0)


def joint_speeds(model: Model, state: State):
    """Hinge angular speeds (rad/s), shape (..., n_hinges)."""
    return _sensor(model, state, 1)


def _sensor(model, state, which):
    with float_context(model.dtype):
        batched, unbatched = batch_state(model, state)
        value = joints.joint_sensors(model, kinematics(batched))[which]
    return value[0] if unbatched else value
