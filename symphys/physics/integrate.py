"""Stage 5 of a step: semi-implicit Euler with the constrained velocities."""

from __future__ import annotations

from .. import math3d
from ..model import State


def semi_implicit_euler(model, state: State, velocity) -> State:
    """The State after ``model.dt``: x += dt v_new, q integrated with w_new and renormalized.

    velocity: (B, N, 6) [linear m/s, angular rad/s] after the solver.
    """
    v_new, w_new = velocity[..., :3], velocity[..., 3:]
    x_new = state.position + model.dt * v_new
    q_new = math3d.integrate_orientation(state.orientation, w_new, model.dt)
    return State(x_new, q_new, v_new, w_new)
