"""Unroll the step over time with ``scan``; ``simulate`` is its numeric twin."""

from __future__ import annotations

import numpy as np

from .backend import pt, scan
from .model import Model, Params, State
from .step import as_tensor, batch_state, graph_params, step_batched


def rollout(model: Model, state: State, steps: int, params: Params | None = None,
            wrench=None) -> tuple[State, State]:
    """Symbolic rollout of ``steps`` steps.

    state: numpy or symbolic State, optionally with a leading batch axis.
    params: Params (numpy or symbolic); the model's values if None.
    wrench: optional external [force, torque] per step, shape
        (steps, [batch,] n_bodies, 6), world frame (N, N m).
    Returns (final State, trajectory State with a leading time axis of
    steps + 1 entries, the initial state first).
    """
    steps = _check_steps(steps)
    batched, unbatched = batch_state(model, state)
    gparams = graph_params(model, params)
    sequences = []
    if wrench is not None:
        wrench = as_tensor(wrench, model.dtype)
        expected = 4 if not unbatched else 3
        if wrench.ndim != expected:
            raise ValueError(f"wrench must have {expected} dimensions (steps, "
                             f"{'' if unbatched else 'batch, '}n_bodies, 6), got {wrench.ndim}")
        if unbatched:
            wrench = wrench[:, None]
        sequences.append(wrench)
    has_impulse = model.n_contacts > 0

    def one_step(*args):
        if wrench is not None:
            applied, args = args[0], args[1:]
        else:
            applied = None
        current = State(*args[:4])
        warm = args[4] if has_impulse else None
        new, impulse = step_batched(model, current, gparams, applied, warm)
        return list(new.fields()) + ([impulse] if has_impulse else [])

    init = list(batched.fields())
    if has_impulse:
        n_batch = batched.position.shape[0]
        init.append(pt.zeros((n_batch, model.n_rows), dtype=model.dtype))
    outputs = scan(one_step, sequences=sequences, outputs_info=init, n_steps=steps,
                   name="time_steps")
    history = [pt.concatenate([first[None], seq], axis=0)
               for first, seq in zip(batched.fields(), outputs[:4])]
    if unbatched:
        history = [h[:, 0] for h in history]
    trajectory = State(*history)
    final = State(*(h[-1] for h in history))
    return final, trajectory


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    return int(steps)


class NonFiniteStateError(FloatingPointError):
    """A simulation produced NaN or infinite values."""


def check_finite(model: Model, trajectory: State) -> None:
    """Raise NonFiniteStateError naming the first step and body that is not finite."""
    for name, values in zip(("position", "orientation", "velocity", "angular_velocity"),
                            trajectory.fields()):
        bad = ~np.isfinite(np.asarray(values))
        if bad.any():
            where = np.argwhere(bad)[0]
            step_index, body = int(where[0]), int(where[-2])
            world = f", world {int(where[1])} of the batch" if bad.ndim == 4 else ""
            raise NonFiniteStateError(
                f"simulation became non-finite at step {step_index} "
                f"(t = {step_index * model.dt:.4g} s): {name} of body {body} "
                f"({model.body_names[body]!r}){world}")
