"""Report bodies that sink into the ground: the numeric check after a simulation.

Contacts are soft and activate once a body touches the ground, pushing it out
at most ``solver.max_push_velocity`` (1 m/s by default).  A body arriving
faster than its own size per time step sinks in before the contact can act
(a 0.1 m ball at dt = 0.01 s: beyond about 20 m/s) and is pushed out slowly.
Rather than return such a trajectory silently, :func:`check_penetration`
warns when a body's centre of mass stays below the ground plane for longer
than ``SUNK_SECONDS``: a fast impact may take the centre below for a step or
two before the contact throws the body back (a 0.1 m ball at 20 m/s does);
a body still inside after 0.05 s is not being thrown back.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..callers import caller_stacklevel
from ..model import Model, State
from ..rotations import quat_to_matrix

SUNK_SECONDS = 0.05  # s a centre of mass may spend below the ground (pushed out at 1 m/s: 5 cm)


class PenetrationWarning(UserWarning):
    """A body's centre of mass went below the ground: its speed was beyond the engine's range."""


def lowest_points(model: Model, trajectory: State) -> np.ndarray:
    """(steps + 1, [batch,] n_bodies) height (m) of each body's lowest contact point above the ground
    (negative: inside it); +inf for a body without contact candidates."""
    position = np.asarray(trajectory.position)
    orientation = np.asarray(trajectory.orientation)
    heights = np.full(position.shape[:-1], np.inf)
    if not model.has_ground or model.n_contacts == 0:
        return heights
    q = orientation[..., model.contact_body, :]
    rotation = np.stack([quat_to_matrix(row) for row in q.reshape(-1, 4)]).reshape(*q.shape[:-1], 3, 3)
    # Height of each candidate's centre: body centre + (R offset)_z.
    centre = position[..., model.contact_body, 2] + np.einsum("...cj,cj->...c", rotation[..., 2, :],
                                                              model.contact_offset)
    bottom = centre - model.contact_radius - model.ground_height
    for body in range(model.n_bodies):
        mine = model.contact_body == body
        if mine.any():
            heights[..., body] = bottom[..., mine].min(axis=-1)
    return heights


def check_penetration(model: Model, trajectory: State) -> str | None:
    """Warn (PenetrationWarning) if a body's centre of mass stays below the ground plane for longer than
    SUNK_SECONDS, naming the step it went under, the body, the world of a batch and the deepest point;
    returns the message (None: no warning)."""
    if not model.has_ground:
        return None
    centre = np.asarray(trajectory.position)[..., 2] - model.ground_height  # (steps + 1, [batch,] n_bodies)
    below = (centre < 0) & np.isin(np.arange(model.n_bodies), model.contact_body)
    limit = int(np.ceil(SUNK_SECONDS / model.dt - 1e-9))  # steps
    run = np.zeros(below.shape[1:], dtype=int)  # consecutive steps below so far
    for index in range(len(below)):
        run = np.where(below[index], run + 1, 0)
        if np.any(run > limit):
            break
    else:
        return None
    where = np.argwhere(run > limit)[0]
    step, body = index - int(run[tuple(where)]) + 1, int(where[-1])
    where = (step, *where)
    world = f", world {int(where[1])} of the batch" if below.ndim == 3 else ""
    depth = -lowest_points(model, trajectory)[(slice(None), *where[1:])].min()  # this body, this world
    message = (f"body {body} ({model.body_names[body]!r}) sank into the ground: its centre of mass went below it "
               f"at step {step} (t = {step * model.dt:.4g} s){world} and stayed there over {SUNK_SECONDS:g} s; its "
               f"lowest point reached {depth:.3g} m deep. Its speed was beyond the engine's range (about its size "
               "per time step; see the README)")
    warnings.warn(message, PenetrationWarning, stacklevel=caller_stacklevel())
    return message


__all__ = ["PenetrationWarning", "check_penetration", "lowest_points", "SUNK_SECONDS"]
