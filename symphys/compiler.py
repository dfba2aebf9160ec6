"""Compile graphs to callables on a backend; exact symbolic gradients.

``compile`` exposes only the inputs you name, in order, and feeds every
other input its default (see ``inputs.symbolic_state``); compiled functions
are kept in the on-disk cache of ``cache.py``.
"""

from __future__ import annotations

import time

import numpy as np

from . import backend as B
from . import cache, checks
from .inputs import default_value, dims_of
from .tree import flatten, structure


def grad(cost, wrt):
    """Exact symbolic gradient of scalar ``cost`` with respect to ``wrt``.

    wrt: a variable, or a list/State/Params of them; the result has the same
    structure.
    """
    if not B.is_variable(cost):
        raise checks.ArgumentTypeError(f"cost must be a scalar graph variable, got {checks.describe(cost)}")
    if cost.ndim != 0:
        raise ValueError(f"cost must be a scalar (0-d) graph variable, got {cost.ndim} dimensions; "
                         "reduce it first (e.g. .sum())")
    if wrt is None:
        raise checks.ArgumentTypeError("wrt must be a graph variable or a list/State/Params of them, got None")
    leaves, rebuild = flatten(wrt)
    for i, leaf in enumerate(leaves):
        if not B.is_variable(leaf) or B.is_constant(leaf):
            where = "wrt" if len(leaves) == 1 else f"wrt[{i}]"
            raise checks.ArgumentTypeError(f"{where} must be a graph variable (from symbolic_state, "
                                           f"symbolic_params or backend.tensor), got {checks.describe(leaf)}")
    grads = B.grad(cost, leaves, disconnected_inputs="warn")
    return rebuild(list(grads))


class CompiledFunction:
    """A compiled graph: call with the exposed inputs, get numpy outputs."""

    def __init__(self, inputs, outputs, backend=None):
        in_leaves, out_leaves, self._rebuild = _check_graph(inputs, outputs)
        self.output_structure = structure(outputs)
        if backend is not None:
            B.resolve_backend(backend)
        # None: the graph library's default; refuses what the library cannot compile.
        self.backend = backend = B.check_supported(out_leaves, backend)
        self.mode = B.make_mode(backend)
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
        float_types = {v.dtype for v in in_leaves + hidden + out_leaves if v.dtype.startswith("float")}
        # Rewrites and JAX tracing (at the first call) both
        # create literals: give them the graph's float type.
        self.float_type = "float32" if float_types == {"float32"} else "float64"
        if backend == "jax" and self.float_type == "float64" and B.jax_float64_lost():
            raise RuntimeError(
                "backend='jax': JAX's float64 is off in this process (the graph library's JAX dispatch was "
                "imported under floatX=float32 before symphys configured JAX); this float64 graph would run in "
                "float32. Import symphys and build a model before importing the graph library's JAX dispatch, "
                "or run float64 models in a separate process.")
        start = time.perf_counter()
        with B.float_context(self.float_type):
            self.cache_path = cache.entry_path(in_leaves + hidden, out_leaves, backend)
            self.fn = cache.load(self.cache_path)
            self.from_cache = self.fn is not None
            if self.fn is None:
                self.fn = B.function(in_leaves + hidden, out_leaves, mode=self.mode)
                cache.store(self.cache_path, self.fn)
        self.compile_seconds = time.perf_counter() - start
        self._dtypes = [v.dtype for v in in_leaves]
        self._dims = [dims_of(v) for v in in_leaves]

    def __call__(self, *args):
        values = checked_arguments(self, args)
        with B.call_context(self.backend, self.float_type):
            out = self.fn(*values, *self.defaults)
        if not isinstance(out, (list, tuple)):
            out = [out]
        return self._rebuild([np.asarray(o) for o in out])

    def save(self, path, *arguments) -> None:
        """Save this function to ``path`` (an .npz file; backend "jax" only), for ``symphys.load_function``
        to call in another process without building its graph (see ``symphys.saved``).

        arguments: example call arguments, needed only where an input's shape is not static.
        """
        from .saved import save

        save(self, path, arguments if arguments else None)


def checked_arguments(function: CompiledFunction, args) -> list:
    """A call's arguments as arrays of the inputs' dtypes, their number and shapes checked."""
    return checks.call_arguments(args, [var.name for var in function.inputs], function._dims, function._dtypes)


def _check_graph(inputs, outputs):
    """(input leaves, output variables, rebuild of the outputs' structure), checked: inputs are graph
    inputs (no numpy arrays, no computed variables), outputs graph variables or numbers."""
    if inputs is None or outputs is None:
        name = "inputs" if inputs is None else "outputs"
        raise checks.ArgumentTypeError(f"{name} must be a graph variable or a list/State of them, got None")
    in_leaves, _ = flatten(inputs)
    for i, leaf in enumerate(in_leaves):
        if not B.is_variable(leaf) or B.is_constant(leaf):
            raise checks.ArgumentTypeError(
                f"inputs[{i}] must be a graph input (from symbolic_state, symbolic_params or backend.tensor), "
                f"got {checks.describe(leaf)}")
        if leaf.owner is not None:
            raise ValueError(f"inputs[{i}] ({leaf.name or leaf}) is computed from other variables; expose the "
                             "graph inputs it comes from")
    if len(set(in_leaves)) != len(in_leaves):
        raise ValueError("inputs: the same variable is given twice")
    out_leaves, rebuild = flatten(outputs)
    converted = []
    for i, leaf in enumerate(out_leaves):
        if leaf is None or isinstance(leaf, (str, bytes)):
            raise checks.ArgumentTypeError(f"outputs[{i}] must be a graph variable, got {checks.describe(leaf)}")
        try:
            converted.append(B.pt.as_tensor_variable(leaf))
        except (TypeError, ValueError) as error:
            raise checks.ArgumentTypeError(f"outputs[{i}] must be a graph variable, got {checks.describe(leaf)}: "
                                           f"{error}") from None
    return in_leaves, converted, rebuild


def compile(inputs, outputs, backend: str | None = None) -> CompiledFunction:  # noqa: A001
    """Compile ``outputs`` as a function of ``inputs`` on ``backend``
    ("jax", "c" or "numba"; None: ``backend.DEFAULT_BACKEND``, "jax" under
    PyTensor, "c" under Aesara).

    inputs: variables (or States/Params of them) to expose, in call order;
    every other input with a default (from symbolic_state/symbolic_params)
    keeps it.  outputs: a variable or a structure (list, State, ...) of
    them; calls return the same structure of numpy arrays.
    """
    return CompiledFunction(inputs, outputs, backend)
