"""``simulate``: compiled numeric rollouts, compiled once per model and shape."""

from __future__ import annotations

import numpy as np

from .. import checks
from ..backend import resolve_backend
from ..compiler import CompiledFunction
from ..inputs import symbolic_params, symbolic_state
from ..model import PARAM_ITEMS, Model, Params, State
from .arguments import check_model, check_params, check_state, check_steps
from .penetration import check_penetration
from .rollout import check_finite, rollout

_CACHE: dict = {}


def simulator(model: Model, steps: int, batch: int | None = None,
              backend: str | None = None, per_world: bool = False) -> CompiledFunction:
    """Compiled function (state, params) -> trajectory, cached per model and shape.

    per_world: the per-body and per-motor params have shape (batch, n_bodies) and (batch, n_motors)
    (one row per world), else (n_bodies,) and (n_motors,).
    """
    backend = resolve_backend(backend)
    key = (model.fingerprint, steps, batch, backend, per_world)
    if key not in _CACHE:
        state = symbolic_state(model, batch)
        params = symbolic_params(model, batch if per_world else None)
        _, trajectory = rollout(model, state, steps, params)
        _CACHE[key] = CompiledFunction([state, params], trajectory, backend)
    return _CACHE[key]


def simulate(model: Model, state: State | None = None, steps: int = 100,
             backend: str | None = None, params: Params | None = None,
             check: bool = True) -> State:
    """Simulate ``steps`` steps numerically; returns the trajectory.

    The trajectory is a State of numpy arrays with a leading time axis of
    ``steps + 1`` entries (then the batch axis if ``state`` has one).
    params: Params of numpy arrays; per-body fields of shape (n_bodies,) and
    per-motor fields (n_motors,) or, for a batched state, (batch, n_bodies)
    and (batch, n_motors) (one row per world).
    Raises NonFiniteStateError, naming step and body, if it blows up, and
    warns (PenetrationWarning) if a body's centre of mass goes below the
    ground (``check=False``: neither check).  Bad arguments raise ValueError naming them
    before anything is compiled.
    """
    model = check_model(model)
    steps = check_steps(steps)
    state = model.initial_state() if state is None else state
    batch = check_state(model, state)
    params = check_params(model, params, batch)
    _numeric("state", state)
    _numeric("params", params)
    check = checks.boolean(check, "check")
    backend = resolve_backend(backend)
    params = params if params is not None else model.params()
    per_world = any(np.ndim(getattr(params, name)) == 2 for name in PARAM_ITEMS)
    if per_world:  # every per-body and per-motor field one row per world
        params = params.replace(**{name: np.broadcast_to(getattr(params, name), (batch, model.param_items(name)[1]))
                                   for name in PARAM_ITEMS})
    fn = simulator(model, steps, batch, backend, per_world)
    trajectory = fn(state, params)
    if check:
        check_finite(model, trajectory)
        check_penetration(model, trajectory)
    return trajectory


def _numeric(name: str, value) -> None:
    """ValueError if a State or Params given to simulate holds graph variables."""
    if value is not None and any(checks.is_graph_variable(v) for v in vars(value).values()):
        raise ValueError(f"{name}: simulate runs numpy arrays; for graph variables use rollout (and compile)")
