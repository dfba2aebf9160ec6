"""Symbolic inputs that carry default values: States, Params, network weights.

``symbolic_state`` and ``symbolic_params`` make graph variables that carry
the model's values as defaults: ``compile`` exposes only the inputs you
name, in order, and feeds every other one its default.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import backend as B
from . import checks
from .model import Model, Params, State

_DEFAULT_TAG = "symphys_default"
_DIMS_TAG = "symphys_dims"


def tagged_input(name, value, dtype, dims=None):
    """Graph input named ``name`` of ``value``'s shape, with ``value`` (as dtype) as its default.

    dims: a label per axis in the model's terms ("batch", "bodies", None for a plain size), used by
    the messages of compiled functions called with wrongly shaped arrays.
    """
    value = np.asarray(value, dtype=dtype)
    var = B.tensor(name, value.shape, dtype)
    setattr(var.tag, _DEFAULT_TAG, value)
    if dims is not None:
        setattr(var.tag, _DIMS_TAG, tuple(dims))
    return var


def symbolic_state(model: Model, batch: int | None = None) -> State:
    """State of graph variables (defaults: ``model.initial_state(batch)``)."""
    init = _model(model).initial_state(batch)
    names = ("position", "orientation", "velocity", "angular_velocity")
    dims = ("batch",) * (batch is not None) + ("bodies", None)
    return State(*(tagged_input(n, v, model.dtype, dims) for n, v in zip(names, init.fields())))


def symbolic_params(model: Model, batch: int | None = None) -> Params:
    """Params of graph variables (defaults: ``model.params()``; per-body and per-motor fields tiled
    over batch if given: (batch, n_bodies), (batch, n_motors))."""
    p = _model(model).params()
    values = {f.name: getattr(p, f.name) for f in dataclasses.fields(Params)}
    items = {n: model.param_items(n) for n in values}  # ("bodies"/"motors", count) or None (scalar)
    if batch is not None:
        batch = checks.positive_int(batch, "batch")
        for name in values:
            if items[name]:
                values[name] = np.repeat(values[name][None], batch, axis=0)
    dims = {n: ("batch",) * (batch is not None) + (items[n][0],) if items[n] else () for n in values}
    return Params(**{n: tagged_input(n, v, model.dtype, dims[n]) for n, v in values.items()})


def _model(model) -> Model:
    if not isinstance(model, Model):
        raise checks.ArgumentTypeError(f"model must be a symphys Model (world.build()), got {checks.describe(model)}")
    return model


def default_value(var):
    """The default value attached to a symbolic input, or None."""
    return getattr(var.tag, _DEFAULT_TAG, None)


def dims_of(var) -> tuple:
    """(label or None, static size or None) per axis of a graph input (labels from tagged_input)."""
    labels = getattr(var.tag, _DIMS_TAG, None) or (None,) * var.ndim
    return tuple(zip(labels, var.type.shape))
