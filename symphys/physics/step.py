"""One simulation step as a pure symbolic function of (model, state), stage by stage.

    1. kinematics: rotations of the bodies at the start of the step
    2. forces: gravity, external wrench, gyroscopic torque, and the
       unconstrained velocity update v* = v + dt M^-1 f      (forces.py)
    3. constraint rows: ground contacts with friction, joints, hinge limits,
       motors                                   (contacts, joints, limits, motors)
    4. solve the softened velocity problem for the row impulses  (solver.py)
    5. semi-implicit Euler: x += dt v_new, q integrated, renormalized (integrate.py);
       a bounce within the step moves the bodies as if at its time of impact

``step_data`` returns every stage's result in a StepData record (as MJX's
Data does), so tools can read a step's parts by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..backend import float_context, pt
from ..model import Model, Params, State
from . import contacts, joints, limits, motors, pair_contacts
from .batching import as_tensor, batch_state, graph_params, unbatch_state
from .effective_mass import row_terms
from .forces import FreeMotion, free_motion
from .integrate import semi_implicit_euler
from .kinematics import Kinematics, kinematics
from .rows import Rows, concatenate_rows
from .solver import solve
from .sweeps import apply_impulse


@dataclasses.dataclass(frozen=True)
class StepData:
    """Every stage of one batch-first step, in order (graph variables)."""

    state: State  # the state entering the step
    kinematics: Kinematics
    free_motion: FreeMotion  # inverse masses and v* = v + dt M^-1 f
    rows: Rows | None  # all constraint rows, None if the model has none
    velocity: Any  # (B, N, 6) velocities after the solver (= v* without rows)
    impulse: Any  # (B, R) row impulses (N s, N m s), None without rows
    next_state: State  # the state after the step


def constraint_rows(model: Model, kin: Kinematics, free: FreeMotion, params: Params, controls=None) -> Rows | None:
    """All rows of a step in one block: contacts, joints, limits, motors (None if there are none)."""
    blocks = [contacts.contact_rows(model, kin, free.velocity, params)] if model.n_contacts else []
    if model.n_pair_contacts:
        blocks.append(pair_contacts.pair_contact_rows(model, kin, free.velocity, params))
    frames = joints.FrameCache(model, kin)
    joint_blocks = joints.equality_rows(model, frames) + limits.limit_rows(model, frames) \
        + motors.motor_rows(model, frames, params, controls)
    blocks += [world_for_fixed(model, block) for block in joint_blocks]
    return concatenate_rows(blocks) if blocks else None


def world_for_fixed(model: Model, rows: Rows) -> Rows:
    """Rows whose fixed bodies' sides are the world (body -1): a joint to a table is a joint to the world."""
    fixed = model.fixed_mask
    if not fixed.any():
        return rows
    side = lambda body: np.where((body >= 0) & fixed[np.maximum(body, 0)], -1, body)  # noqa: E731
    return dataclasses.replace(rows, body_a=side(rows.body_a), body_b=side(rows.body_b))


def step_data(model: Model, state: State, params: Params, wrench=None, warm_impulse=None,
              controls=None) -> StepData:
    """Advance a batch-first State by model.dt, keeping each stage's result.

    params: graph Params (``batching.graph_params``); wrench: (B, N, 6) or None;
    warm_impulse: (B, R) the previous step's impulses (zeros if None);
    controls: (B|1, n_motors) motor targets (servo angle rad or speed rad/s).
    """
    kin = kinematics(state)
    free = free_motion(model, state, kin, params, wrench)
    rows = constraint_rows(model, kin, free, params, controls)
    velocity, impulse, moving = free.velocity, None, None
    if rows is not None:
        if warm_impulse is None:
            warm_impulse = pt.zeros_like(rows.target)
        gathers = row_terms(model, rows, free.inv_mass, free.inv_inertia)
        velocity, impulse = solve(model, rows, free, warm_impulse, gathers)
        moving = position_velocity(rows, gathers, velocity, impulse)
    return StepData(state=state, kinematics=kin, free_motion=free, rows=rows, velocity=velocity,
                    impulse=impulse, next_state=semi_implicit_euler(model, state, velocity, moving))


def position_velocity(rows: Rows, gathers, velocity, impulse):
    """(B, N, 6) the velocity that moves the bodies over the step, or None where it is ``velocity``.

    A bounce row acts at the start of the step in which its surfaces meet, while they are still
    apart.  Moving the bodies with the velocity after the bounce would turn them up to a step's
    travel above the surface.  Removing the part tau of each bounce impulse that falls before the
    impact (rows.impact_fraction) moves a body at its approach speed until the impact and at its
    rebound speed after it: v_move = v - M^-1 J^T (tau lambda).  Exact for one contact, or for
    contacts that meet at the same time (a box landing flat); the velocities are unchanged.

    gathers: the rows' per-side terms (effective_mass.row_terms).
    """
    if rows.impact_fraction is None:
        return None
    return apply_impulse(velocity, -rows.impact_fraction * impulse, gathers)


def step(model: Model, state: State, params: Params | None = None, wrench=None,
         controls=None) -> State:
    """One symbolic step of ``model.dt`` seconds (state batched or not).

    wrench: optional (..., n_bodies, 6) external [force N, torque N m] in
    world frame, applied during the step.
    controls: optional (..., n_motors) motor targets.
    """
    data, unbatched = _record(model, state, params, wrench, controls)
    return unbatch_state(data.next_state) if unbatched else data.next_state


def step_record(model: Model, state: State, params: Params | None = None, wrench=None,
                controls=None) -> StepData:
    """``step``'s StepData, every field batch-first (an unbatched state gets a batch axis of 1)."""
    return _record(model, state, params, wrench, controls)[0]


def _record(model, state, params, wrench, controls):
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
        return step_data(model, batched, graph_params(model, params), wrench, controls=controls), unbatched


def joint_angles(model: Model, state: State):
    """Hinge angles (rad) from the initial pose, shape (..., n_hinges)."""
    return _sensor(model, state, 0)


def joint_speeds(model: Model, state: State):
    """Hinge angular speeds (rad/s), shape (..., n_hinges)."""
    return _sensor(model, state, 1)


def _sensor(model, state, which):
    """Joint sensor ``which`` of a state whose fields have any leading axes (time, batch, ...)."""
    with float_context(model.dtype):
        fields = [as_tensor(f, model.dtype) for f in state.fields()]
        leading = fields[0].shape[:-2]
        # One flat batch axis for kinematics (which gathers bodies on axis 1), restored after.
        flat = State(*(pt.reshape(f, (-1, model.n_bodies, f.shape[-1])) for f in fields))
        value = joints.joint_sensors(model, kinematics(flat))[which]
        return pt.reshape(value, (*[leading[i] for i in range(fields[0].ndim - 2)], value.shape[-1]))
