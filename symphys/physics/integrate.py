"""Stage 5 of a step: semi-implicit Euler with the constrained velocities."""

from __future__ import annotations

from .. import math3d
from ..model import State


def semi_implicit_euler(model, state: State, velocity, position_velocity=None) -> State:
    """The State after ``model.dt``: x += dt v_new, q integrated with w_new and renormalized.

    velocity: (B, N, 6) [linear m/s, angular rad/s] after the solver.
    position_velocity: (B, N, 6) the mean velocity over the step that moves the bodies, when it
    differs from ``velocity`` (a bounce within the step: step.position_velocity); None: ``velocity``.
    """
    v_new, w_new = velocity[..., :3], velocity[..., 3:]
    moving = velocity if position_velocity is None else position_velocity
    x_new = state.position + model.dt * moving[..., :3]
    q_new = math3d.integrate_orientation(state.orientation, moving[..., 3:], model.dt)
    return State(x_new, q_new, v_new, w_new)
