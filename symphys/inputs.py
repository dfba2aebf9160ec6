"""Symbolic inputs that carry default values: States, Params, network weights.

``symbolic_state`` and ``symbolic_params`` make graph variables that carry
the model's values as defaults: ``compile`` exposes only the inputs you
name, in order, and feeds every other one its default.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import backend as B
from .model import Model, Params, State

_DEFAULT_TAG = "symphys_default"


def tagged_input(name, value, dtype):
    """Graph input named ``name`` of ``value``'s shape, with ``value`` (as dtype) as its default."""
    value = np.asarray(value, dtype=dtype)
    var = B.tensor(name, value.shape, dtype)
    setattr(var.tag, _DEFAULT_TAG, value)
    return var


def symbolic_state(model: Model, batch: int | None = None) -> State:
    """State of graph variables (defaults: ``model.initial_state(batch)``)."""
    init = model.initial_state(batch)
    names = ("position", "orientation", "velocity", "angular_velocity")
    return State(*(tagged_input(n, v, model.dtype) for n, v in zip(names, init.fields())))


def symbolic_params(model: Model, batch: int | None = None) -> Params:
    """Params of graph variables (defaults: ``model.params()``, tiled over batch)."""
    p = model.params()
    values = {f.name: getattr(p, f.name) for f in dataclasses.fields(Params)}
    if batch is not None:
        for name in ("body_mass", "body_friction", "body_restitution"):
            values[name] = np.repeat(values[name][None], batch, axis=0)
    return Params(**{n: tagged_input(n, v, model.dtype) for n, v in values.items()})


def default_value(var):
    """The default value attached to a symbolic input, or None."""
    return getattr(var.tag, _DEFAULT_TAG, None)
