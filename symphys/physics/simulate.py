"""``simulate``: compiled numeric rollouts, compiled once per model and shape."""

from __future__ import annotations

import numpy as np

from ..backend import resolve_backend
from ..compiler import CompiledFunction
from ..inputs import symbolic_params, symbolic_state
from ..model import Model, Params, State
from .rollout import check_finite, check_steps, rollout

_CACHE: dict = {}


def _check_state(model: Model, state: State) -> int | None:
    """Validate a numeric State; return its batch size (None if unbatched)."""
    if not isinstance(state, State):
        raise ValueError(f"state must be a symphys State, got {type(state).__name__}")
    n = model.n_bodies
    batch = None
    for name, value, width in zip(("position", "orientation", "velocity", "angular_velocity"),
                                  state.fields(), (3, 4, 3, 3)):
        array = np.asarray(value, dtype=float)
        if array.ndim not in (2, 3) or array.shape[-2:] != (n, width):
            raise ValueError(f"state.{name} must have shape ([batch,] {n}, {width}), "
                             f"got {array.shape}")
        this = array.shape[0] if array.ndim == 3 else None
        if name != "position" and this != batch:
            raise ValueError(f"state.{name} has batch {this}, but state.position has {batch}")
        batch = this
        if not np.all(np.isfinite(array)):
            raise ValueError(f"state.{name} contains NaN or infinite values")
    q = np.asarray(state.orientation, dtype=float)
    if np.any(np.linalg.norm(q, axis=-1) < 1e-9):
        raise ValueError("state.orientation contains a zero quaternion")
    return batch


def simulator(model: Model, steps: int, batch: int | None = None,
              backend: str | None = None) -> CompiledFunction:
    """Compiled function (state, params) -> trajectory, cached per model and shape."""
    backend = resolve_backend(backend)
    key = (model.fingerprint, steps, batch, backend)
    if key not in _CACHE:
        state = symbolic_state(model, batch)
        params = symbolic_params(model)
        _, trajectory = rollout(model, state, steps, params)
        _CACHE[key] = CompiledFunction([state, params], trajectory, backend)
    return _CACHE[key]


def simulate(model: Model, state: State | None = None, steps: int = 100,
             backend: str | None = None, params: Params | None = None,
             check: bool = True) -> State:
    """Simulate ``steps`` steps numerically; returns the trajectory.

    The trajectory is a State of numpy arrays with a leading time axis of
    ``steps + 1`` entries (then the batch axis if ``state`` has one).
    Raises NonFiniteStateError, naming step and body, if it blows up.
    """
    steps = check_steps(steps)
    state = model.initial_state() if state is None else state
    batch = _check_state(model, state)
    fn = simulator(model, steps, batch, backend)
    params = params if params is not None else model.params()
    trajectory = fn(state, params)
    if check:
        check_finite(model, trajectory)
    return trajectory
