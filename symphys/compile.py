"""Compile graphs to callables on a backend; symbolic inputs with defaults.

``symbolic_state`` and ``symbolic_params`` make graph variables that carry
the model's values as defaults: ``compile`` exposes only the inputs you
name, in order, and feeds every other one its default.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from . import backend as B
from .model import Model, Params, State

_DEFAULT_TAG = "symphys_default"


def _tagged(name, value, dtype):
    value = np.asarray(value, dtype=dtype)
    var = B.tensor(name, value.shape, dtype)
    setattr(var.tag, _DEFAULT_TAG, value)
    return var


def symbolic_state(model: Model, batch: int | None = None) -> State:
    """State of graph variables (defaults: ``model.initial_state(batch)``)."""
    init = model.initial_state(batch)
    names = ("position", "orientation", "velocity", "angular_velocity")
    return State(*(_tagged(n, v, model.dtype) for n, v in zip(names, init.fields())))


def symbolic_params(model: Model, batch: int | None = None) -> Params:
    """Params of graph variables (defaults: ``model.params()``, tiled over batch)."""
    p = model.params()
    values = {f.name: getattr(p, f.name) for f in dataclasses.fields(Params)}
    if batch is not None:
        for name in ("body_mass", "body_friction", "body_restitution"):
            values[name] = np.repeat(values[name][None], batch, axis=0)
    return Params(**{n: _tagged(n, v, model.dtype) for n, v in values.items()})


def default_value(var):
    """The default value attached to a symbolic input, or None."""
    return getattr(var.tag, _DEFAULT_TAG, None)


# -- structures of variables ------------------------------------------------
def _flatten(obj):
    """Leaves and a rebuild function for variables nested in lists/tuples/dataclasses."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in dataclasses.fields(obj)]
        parts = [_flatten(getattr(obj, n)) for n in names]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(values, parts=parts, names=names, cls=type(obj)):
            out, i = {}, 0
            for n, (ls, rb) in zip(names, parts):
                out[n] = rb(values[i:i + len(ls)])
                i += len(ls)
            return cls(**out)
        return leaves, rebuild
    if isinstance(obj, (list, tuple)):
        parts = [_flatten(o) for o in obj]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(values, parts=parts, cls=type(obj)):
            out, i = [], 0
            for ls, rb in parts:
                out.append(rb(values[i:i + len(ls)]))
                i += len(ls)
            return cls(out)
        return leaves, rebuild
    return [obj], lambda values: values[0]


def grad(cost, wrt):
    """Exact symbolic gradient of scalar ``cost`` with respect to ``wrt``.

    wrt: a variable, or a list/State/Params of them; the result has the same
    structure.
    """
    leaves, rebuild = _flatten(wrt)
    grads = B.grad(cost, leaves, disconnected_inputs="warn")
    return rebuild(list(grads))


class CompiledFunction:
    """A compiled graph: call with the exposed inputs, get numpy outputs."""

    def __init__(self, inputs, outputs, backend="jax"):
        self.backend = backend
        self.mode = B.make_mode(backend)
        in_leaves, _ = _flatten(inputs)
        out_leaves, self._rebuild = _flatten(outputs)
        out_leaves = [B.pt.as_tensor_variable(o) for o in out_leaves]
        self.inputs = in_leaves
        exposed = set(in_leaves)
        hidden, self.defaults = [], []
        for var in B.graph_inputs(out_leaves):
            if var in exposed or B.is_constant(var) or var.owner is not None:
                continue
            if var in hidden:
                continue
            value = default_value(var)
            if value is None:
                raise ValueError(
                    f"inputs: the outputs depend on the graph input {var.name or var!r}, "
                    "which is neither exposed nor has a default value")
            hidden.append(var)
            self.defaults.append(value)
        self.hidden_inputs = hidden
        start = time.perf_counter()
        out_leaves = B.retarget_scans(out_leaves, backend)
        self.fn = B.function(in_leaves + hidden, out_leaves, mode=self.mode)
        self.compile_seconds = time.perf_counter() - start
        self._dtypes = [v.dtype for v in in_leaves]

    def __call__(self, *args):
        flat, _ = _flatten(list(args))
        if len(flat) != len(self.inputs):
            raise ValueError(f"inputs: expected {len(self.inputs)} arrays, got {len(flat)}")
        values = [np.asarray(a, dtype=d) for a, d in zip(flat, self._dtypes)]
        out = self.fn(*values, *self.defaults)
        if not isinstance(out, (list, tuple)):
            out = [out]
        return self._rebuild([np.asarray(o) for o in out])


def compile(inputs, outputs, backend: str = "jax") -> CompiledFunction:  # noqa: A001
    """Compile ``outputs`` as a function of ``inputs`` on ``backend``.

    inputs: variables (or States/Params of them) to expose, in call order;
    every other input with a default (from symbolic_state/symbolic_params)
    keeps it.  outputs: a variable or a structure (list, State, ...) of
    them; calls return the same structure of numpy arrays.
    """
    return CompiledFunction(inputs, outputs, backend)
