"""Arguments of step and rollout as graph variables, with a leading batch axis."""

from __future__ import annotations

import numpy as np

from ..backend import pt
from ..model import Model, Params, State


def as_tensor(value, dtype):
    """Graph variable from a numpy array or a graph variable (cast to dtype)."""
    if hasattr(value, "owner") and hasattr(value, "type"):
        return value if value.dtype == dtype else pt.cast(value, dtype)
    return pt.as_tensor_variable(np.asarray(value, dtype=dtype))


def graph_params(model: Model, params: Params | None) -> Params:
    """Params as graph variables; per-body arrays of shape (P, n_bodies) and per-motor arrays
    (P, n_motors), P in {1, batch}; ground fields ()."""
    params = params if params is not None else model.params()
    dtype = model.dtype

    def per_item(name):
        _, n = model.param_items(name)
        x = as_tensor(getattr(params, name), dtype)
        x = x[None, :] if x.ndim == 1 else x
        if x.type.shape[1] is None:
            # An expression whose length the graph does not know (e.g. a PyMC variable sized by
            # coords): a wrong length then fails at the first evaluation (PyMC's start-point
            # check, before sampling), not as a broadcast deep in the step.
            x = pt.specify_shape(x, (x.type.shape[0], n))
        return x

    return Params(**{name: per_item(name) if model.param_items(name) else as_tensor(value, dtype)
                     for name, value in vars(params).items()})


def batch_state(model: Model, state: State) -> tuple[State, bool]:
    """State with a leading batch axis (added if absent) and whether it was added."""
    fields = [as_tensor(f, model.dtype) for f in state.fields()]
    unbatched = fields[0].ndim == 2
    if unbatched:
        fields = [f[None] for f in fields]
    return State(*fields), unbatched


def batch_size(x):
    """The leading (batch) axis length of graph variable x: static if known, else symbolic."""
    return x.shape[0] if x.type.shape[0] is None else x.type.shape[0]


def unbatch_state(state: State) -> State:
    """The only world of a batch-first State, without the batch axis."""
    return State(*(f[0] for f in state.fields()))
