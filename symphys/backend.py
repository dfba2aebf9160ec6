"""The only module that imports the graph library.

Everything else in symphys uses the names exported here: the tensor namespace
``pt``, ``scan``, ``grad``, ``function``, ``make_mode`` and a few graph
utilities.  The library is chosen with the environment variable
``SYMPHYS_GRAPH=pytensor|aesara`` (default ``pytensor``).

A *backend* is a compile mode: ``"jax"`` (PyTensor's JAX linker, the GPU
path), ``"c"`` (the C virtual machine, mode "CVM") or ``"numba"``.  The
default backend (``DEFAULT_BACKEND``, used where ``backend=None``) is
``"jax"`` under PyTensor and ``"c"`` under Aesara.

Aesara (frozen since 2024; numpy < 2, scipy <= 1.12, numba < 0.59) supports
less: its JAX backend has no working translation of Scan, forward or
gradient, so ``backend="jax"`` refuses every graph with a scan (every
rollout) with a ValueError before compiling (``check_supported``); C and
Numba work (Numba compiles slowly).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import warnings

GRAPH_LIBRARY = os.environ.get("SYMPHYS_GRAPH", "pytensor").strip().lower()
if GRAPH_LIBRARY not in ("pytensor", "aesara"):
    raise ValueError(
        f"SYMPHYS_GRAPH must be 'pytensor' or 'aesara', got {GRAPH_LIBRARY!r}"
    )

if GRAPH_LIBRARY == "pytensor":
    import pytensor as _lib
    import pytensor.tensor as pt
    from pytensor.compile.aliasing import add_supervisor_to_fgraph as _add_supervisor
    from pytensor.compile.builders import OpFromGraph as _OpFromGraph
    from pytensor.compile.io import In as _In
    from pytensor.compile.mode import Mode
    from pytensor.gradient import DisconnectedType as _DisconnectedType
    from pytensor.graph.basic import Constant, Variable
    from pytensor.graph.fg import FunctionGraph as _FunctionGraph
    from pytensor.graph.traversal import applys_between, graph_inputs, toposort
    from pytensor.printing import debugprint
    from pytensor.scan.op import Scan

    def _scan(fn, **kwargs):
        return _lib.scan(fn, return_list=True, return_updates=False, **kwargs)

    def _protect_inputs(fgraph):
        _add_supervisor(fgraph, [_In(v) for v in fgraph.inputs])

    class _CustomGradientOp(_OpFromGraph):
        """An inlined op with its own pullback that pickles: its cache of built pullbacks holds local
        functions, and is rebuilt after unpickling."""

        def __getstate__(self):
            return {**self.__dict__, "_lop_op_cache": {}, "_rop_op_cache": None}

    DEFAULT_BACKEND = "jax"
else:  # pragma: no cover - exercised by the Aesara lane only
    import aesara as _lib
    import aesara.tensor as pt
    from aesara.compile.builders import OpFromGraph as _OpFromGraph
    from aesara.compile.function.types import Supervisor as _Supervisor
    from aesara.compile.mode import Mode
    from aesara.gradient import DisconnectedType as _DisconnectedType
    from aesara.graph.basic import Constant, Variable, applys_between, graph_inputs
    from aesara.graph.basic import io_toposort as _io_toposort
    from aesara.graph.fg import FunctionGraph as _FunctionGraph
    from aesara.printing import debugprint
    from aesara.scan.op import Scan

    def toposort(outputs):
        return _io_toposort([], list(outputs))

    def _scan(fn, **kwargs):
        # Aesara's scan returns (outputs, updates) and has no return_updates.
        outputs, updates = _lib.scan(fn, return_list=True, **kwargs)
        if updates:
            raise NotImplementedError("symphys scans have no updates (random streams, shared state)")
        return outputs

    def _protect_inputs(fgraph):
        fgraph.attach_feature(_Supervisor(fgraph.inputs))

    DEFAULT_BACKEND = "c"

config = _lib.config
# Tag traces cost ~25% of ``grad`` time on the engine's graphs (DESIGN.md).
config.traceback__limit = 0
LIBRARY_VERSION = _lib.__version__

BACKENDS = ("jax", "c", "numba")
_jax_configured = False


def configure_jax() -> None:
    """float64 on, persistent compilation cache on, XLA flags (once per process).

    Call before anything else starts JAX's runtime (``make_mode`` does).
    """
    global _jax_configured
    if _jax_configured:
        return
    # XLA otherwise constant-folds the zero-padded gradient of a rollout's
    # trace (steps x batch x state, hundreds of MB for batch 128) into the
    # executable: 12 s of extra compile time and no run-time gain.
    flags = os.environ.get("XLA_FLAGS", "")
    if "constant_folding" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_disable_hlo_passes=constant_folding").strip()
    import jax

    jax.config.update("jax_enable_x64", True)
    cache_dir = os.environ.get(
        "SYMPHYS_JAX_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "symphys", "jax")
    )
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", cache_dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    _jax_configured = True


def jax_float64_lost() -> bool:
    """True if JAX's float64 is off in this process although symphys turned it on.

    The graph library's JAX dispatch turns it off for the whole process when it is
    first imported under floatX=float32; ``make_mode`` imports it under float64,
    so this happens only where something imported it before symphys's first
    compile.  float64 graphs would then run in float32 silently.
    """
    import sys

    jax = sys.modules.get("jax")
    return _jax_configured and jax is not None and not jax.config.jax_enable_x64


def float_context(dtype: str):
    """Context in which Python float literals in graphs get ``dtype``.

    Without it a float32 model is silently upcast to float64 by every
    literal such as ``0.5 * dt``.
    """
    return config.change_flags(floatX=dtype)


def call_context(backend: str, dtype: str):
    """Context in which to call a function compiled from a ``dtype`` graph on ``backend``.

    Python float literals get ``dtype`` (``float_context``), and on JAX a float32 graph runs with
    JAX's float64 off: with it on, the graph library's JAX sums of float32 arrays (accumulated in
    float64) return float64, and a float32 model's scan then fails to trace (its carry changes type),
    once any float64 model has run in the process.
    """
    stack = contextlib.ExitStack()
    stack.enter_context(float_context(dtype))
    if backend == "jax" and dtype == "float32":
        import jax

        stack.enter_context(jax.enable_x64(False))
        # The same sums then ask JAX for float64 (and their indices for int64), which it gives in 32 bits,
        # as the float32 graph means: the warning at every first call says nothing the user can act on.
        stack.enter_context(warnings.catch_warnings())
        warnings.filterwarnings("ignore", message="Explicitly requested dtype (float64|int64)", category=UserWarning)
    return stack


def resolve_backend(backend: str | None) -> str:
    """``backend``, or the graph library's default for None; ValueError if unknown."""
    if backend is None:
        return DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    return backend


# PyTensor 3.3 rewrites that ask its assumption system whether a matrix is a selection, diagonal or
# symmetric.  On symphys's graphs each query walks the graph above it again after every change:
# a third of the rewriter's time on a three-link Newton chain's gradient (89 s -> 57 s), for no run-time gain
# on JAX (0.65 s against 0.69 s per run).
SLOW_REWRITES = ("selection_dot_to_indexing", "dot_diag_to_elemwise", "useless_symmetric_transpose")

# The scan rewrites that fast_compile leaves out and that JAX needs: unused scan outputs dropped, and a
# carry whose history nobody reads kept as a loop carry instead of stacked at every step.  Without them
# every nested scan (the solver's sweeps and colors) wrote its whole history at every step, and
# Gauss-Seidel's pullback tape was computed in passes without a gradient: the timing quadruped took
# 0.136 s per 10 s forward instead of 0.094, and 0.713 s with the gradient instead of 0.514
# (benchmarks/RESULTS.md, "Gauss-Seidel's own pullback").
SCAN_MEMORY_REWRITES = ("scan_remove_unused", "scan_save_mem_no_prealloc", "scan_sit_sot_to_untraced")


def make_mode(backend: str | None = None) -> Mode:
    """Compile mode for ``backend``; the same mode is used for every scan.

    JAX runs with the ``fast_compile`` rewrites plus ``SCAN_MEMORY_REWRITES``:
    the rewriter, not code generation, dominates compile time and XLA
    optimizes the result anyway.
    C and Numba need the full ``fast_run`` rewrites (fusion, in-place) to be
    fast at run time.
    """
    backend = resolve_backend(backend)
    missing = _missing_module(backend)
    if missing:
        raise ValueError(f"backend={backend!r} is not available: {missing}")
    if backend == "jax":
        configure_jax()
        # The graph library's JAX dispatch sets JAX's float64 flag for the whole process when it is
        # first imported, from floatX: imported under a float32 model it would turn float64 off, and
        # float64 graphs would then run in float32.  Imported here, before any compile, it leaves
        # float64 on; float32 graphs run with it off (``call_context``).  Not in ``configure_jax``: a
        # process that only loads saved functions never needs it (0.3 s of imports).
        with config.change_flags(floatX="float64"):
            importlib.import_module(f"{_lib.__name__}.link.jax.dispatch")
        return Mode(linker="jax", optimizer="fast_compile").excluding(*SLOW_REWRITES).including(*SCAN_MEMORY_REWRITES)
    if backend == "c":
        return Mode(linker="cvm", optimizer="fast_run")
    return Mode(linker="numba", optimizer="fast_run")


def _scan_names(outputs) -> list:
    """Names of the Scans in ``outputs``' graph, inner graphs included."""
    found, seen = [], set()
    stack = [list(outputs)]
    while stack:
        for node in toposort(stack.pop()):
            inner = inner_graph(node.op)
            if inner is not None and id(node.op) not in seen:
                seen.add(id(node.op))
                if isinstance(node.op, Scan):
                    found.append(node.op.name or "scan")
                stack.append(inner)
    return found


def _missing_module(backend: str) -> str | None:
    import importlib.util

    module = {"jax": "jax", "numba": "numba"}.get(backend)
    if module is not None and importlib.util.find_spec(module) is None:
        return f"{module} is not installed"
    return None


_AESARA_JAX_SCAN = ("Aesara's JAX backend has no working Scan translation (its forward one reads "
                    "Scan.inputs, which Aesara renamed, and it has none for a scan's gradient)")


def backend_unavailable(backend: str, scans: bool = True) -> str | None:
    """Why ``backend`` cannot compile graphs here (with scans, i.e. rollouts, if
    ``scans``) under the selected graph library; None when it can."""
    backend = resolve_backend(backend)
    if GRAPH_LIBRARY == "aesara" and backend == "jax" and scans:
        return _AESARA_JAX_SCAN
    return _missing_module(backend)


def check_supported(outputs, backend: str | None) -> str:
    """Resolve ``backend`` and refuse, before compiling, what the graph library cannot do.

    Under Aesara, ``backend="jax"`` cannot compile scans: Aesara 2.9's JAX
    translation of Scan is broken (it reads ``Scan.inputs``, which Aesara
    renamed ``inner_inputs``, and needs a static length), and it has no
    translation of a scan's gradient at all (the mit-mot outputs of gradient
    scans were never implemented).  Every rollout is a scan, so such graphs
    raise a ValueError here instead of an AttributeError deep in the
    compiler; graphs without scans (e.g. a network alone) compile.
    """
    backend = resolve_backend(backend)
    if GRAPH_LIBRARY == "aesara" and backend == "jax":
        names = _scan_names(outputs)
        if names:
            gradients = sorted({n for n in names if n.startswith(("grad_of_", "rop_of_"))})
            what = (f"gradients through scan ({', '.join(gradients)})" if gradients
                    else f"scans ({', '.join(sorted(set(names)))}; every rollout is one)")
            raise ValueError(
                f"backend='jax' cannot compile {what} with SYMPHYS_GRAPH=aesara: {_AESARA_JAX_SCAN}. "
                "Use backend='c' (the default under Aesara) or 'numba', or PyTensor "
                "(SYMPHYS_GRAPH=pytensor) for JAX.")
    return backend


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         mode=None, name=None):
    """``scan`` returning only the list of its outputs (no updates dictionary)."""
    return _scan(fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences,
                 n_steps=n_steps, mode=mode, name=name, strict=False)


def scan_name(name: str, dtype: str) -> str:
    """Scan names carry non-default dtypes: Scan ops that differ only in
    dtype compare equal and would share a cached JAX translation."""
    return name if dtype == "float64" else f"{name}_{dtype}"


def stop_gradient(x):
    """Identity forward; the graph behind x is cut from gradients (nothing is built for it)."""
    return _lib.gradient.disconnected_grad(x)


def zero_grad(x):
    """Identity whose gradient is zero."""
    return _lib.gradient.zero_grad(x)


def scale_gradient(x, alpha: float):
    """Identity forward; the gradient is multiplied by ``alpha`` backward.

    Inserted once per step in a rollout (on the carried state), it makes the
    gradient from t steps later count alpha**t, taming the exploding
    gradients of long horizons (alpha ~0.95 in the original engine).
    """
    return alpha * x + (1.0 - alpha) * zero_grad(x)


class _ZeroFilledPullback:
    """A pullback that receives zeros, not a disconnected type, for outputs the cost does not use."""

    def __init__(self, pullback):
        self.pullback = pullback

    def __call__(self, inputs, outputs, output_gradients):
        output_gradients = [pt.zeros_like(out) if isinstance(g.type, _DisconnectedType) else g
                            for out, g in zip(outputs, output_gradients)]
        return self.pullback(inputs, outputs, output_gradients)


def custom_gradient_missing() -> str | None:
    """Why ``custom_gradient`` cannot be used with the selected graph library (None if it can)."""
    if GRAPH_LIBRARY == "aesara":
        return ("Aesara's OpFromGraph passes the gradient of an output the cost does not use to its pullback as "
                "a disconnected type, which the pullback's own op refuses")
    return None


def custom_gradient(forward, pullback, inputs: list, name: str) -> list:
    """The outputs of ``forward(*inputs)``, with ``pullback`` as their gradient instead of the automatic one.

    forward: builds a list of outputs from graph variables of the inputs' types.  pullback(inputs,
    outputs, output_gradients): one gradient per input, from the op's inputs, outputs and the
    gradients of the cost with respect to the outputs (zeros for an output the cost does not use).
    It must pickle (a bound method of a module-level class) for compiled functions to be cached.
    The op is inlined at compile time: the compiled forward is forward's own graph.  PyTensor only
    (``custom_gradient_missing``).
    """
    missing = custom_gradient_missing()
    if missing:
        raise NotImplementedError(f"custom_gradient: {missing}")
    inner = [x.type() for x in inputs]
    op = _CustomGradientOp(inner, list(forward(*inner)), inline=True, name=name, pullback=_ZeroFilledPullback(pullback))
    return op(*inputs, return_list=True)


def cholesky_solve(matrix, rhs):
    """x with ``matrix @ x = rhs``, batched: matrix (..., n, n) symmetric positive definite, rhs (..., n).

    One Cholesky factorization and two triangular solves.  PyTensor only:
    Aesara's linear algebra is not batched (``batched_linear_algebra_missing``).
    """
    from pytensor.tensor.linalg import cholesky, solve_triangular

    lower = cholesky(matrix, lower=True)
    half = solve_triangular(lower, rhs, lower=True, b_ndim=1)
    return solve_triangular(lower, half, lower=True, trans="T", b_ndim=1)


def linear_solve(matrix, rhs):
    """x with ``matrix @ x = rhs``, batched: matrix (..., n, n) invertible, rhs (..., n) (LU; PyTensor only)."""
    from pytensor.tensor.linalg import solve

    return solve(matrix, rhs, b_ndim=1)


def batched_linear_algebra_missing() -> str | None:
    """Why ``cholesky_solve`` cannot be used with the selected graph library (None if it can)."""
    if GRAPH_LIBRARY == "aesara":
        return "Aesara has no batched Cholesky or triangular solve"
    return None


def grad(cost, wrt, **kwargs):
    return _lib.grad(cost, wrt, **kwargs)


def function(inputs, outputs, mode, **kwargs):
    return _lib.function(inputs, outputs, mode=mode, on_unused_input="ignore", **kwargs)


def rewrite_graph(outputs, mode: Mode) -> list:
    """Copies of ``outputs`` after ``mode``'s rewrites, as a compile would apply them (no code)."""
    inputs = [v for v in graph_inputs(outputs) if v.owner is None and not is_constant(v)]
    fgraph = _FunctionGraph(inputs, outputs, clone=True)
    # The Supervisor keeps in-place rewrites from destroying the inputs, as in a real compile.
    _protect_inputs(fgraph)
    mode.optimizer.rewrite(fgraph)
    return list(fgraph.outputs)


def graph_fingerprint(inputs, outputs) -> str:
    """Stable hash of a graph's structure, op parameters and constant values.

    Identical graphs built in different processes hash equally, so compiled
    functions can be cached on disk under this key.
    """
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    ids: dict = {}

    def name_of(var):
        if var not in ids:
            if isinstance(var, Constant):
                data = np.asarray(var.data)
                blob = hashlib.sha1(np.ascontiguousarray(data).tobytes()).hexdigest()
                ids[var] = f"const[{var.type}|{data.dtype}|{data.shape}|{blob}]"
            elif var.owner is None:
                ids[var] = f"free{len(ids)}[{var.type}]"
            else:
                ids[var] = f"v{len(ids)}"
        return ids[var]

    for i, var in enumerate(inputs):
        ids[var] = f"in{i}[{var.type}]"
        digest.update(ids[var].encode())
    for node in toposort(outputs):
        op = node.op
        props = getattr(op, "__props__", ())
        described = [type(op).__module__, type(op).__name__, str(op)]
        described += [f"{p}={getattr(op, p)!r}" for p in props]
        if isinstance(op, Scan):
            described.append(repr(op.info))
        if hasattr(op, "inner_outputs"):  # Scan, and the ops of custom_gradient
            described.append(graph_fingerprint(op.inner_inputs, op.inner_outputs))
        if hasattr(op, "scalar_op"):
            described.append(repr(op.scalar_op))
        line = "|".join(described) + "(" + ",".join(name_of(v) for v in node.inputs) + ")->"
        line += ",".join(name_of(v) + str(v.type) for v in node.outputs)
        digest.update(line.encode())
    digest.update(("out:" + ",".join(name_of(v) for v in outputs)).encode())
    return digest.hexdigest()


def inner_graph(op) -> list | None:
    """The outputs of ``op``'s inner graph (a Scan's step, a ``custom_gradient`` op's forward graph),
    or None for an op without one."""
    return list(op.inner_outputs) if isinstance(op, (Scan, _OpFromGraph)) else None


def count_nodes(outputs, inner: bool = True) -> dict:
    """Apply-node counts of a graph: outer graph, inner graphs (of Scans and custom-gradient ops), total."""
    outer = list(toposort(outputs))
    stats = {"outer": len(outer), "scans": [], "total": len(outer)}
    for node in outer:
        inner_outputs = inner_graph(node.op) if inner else None
        if inner_outputs is not None:
            sub = count_nodes(inner_outputs)
            stats["scans"].append({"name": node.op.name, **sub})
            stats["total"] += sub["total"]
    return stats


def pydotprint(*args, **kwargs):
    """The graph library's graphviz drawing (needs pydot and graphviz)."""
    return _lib.printing.pydotprint(*args, **kwargs)


def constant(value, dtype=None):
    return pt.constant(value, dtype=dtype)


def tensor(name: str, shape: tuple, dtype: str):
    return pt.tensor(name=name, shape=shape, dtype=dtype)


def is_variable(x) -> bool:
    return isinstance(x, Variable)


def is_constant(x) -> bool:
    return isinstance(x, Constant)


__all__ = [
    "GRAPH_LIBRARY", "LIBRARY_VERSION", "BACKENDS", "DEFAULT_BACKEND",
    "resolve_backend", "check_supported", "backend_unavailable", "pt", "Mode", "Variable", "Constant", "Scan",
    "config", "configure_jax", "float_context", "scan_name", "make_mode", "scan", "grad", "stop_gradient",
    "zero_grad", "scale_gradient", "function",
    "constant", "tensor", "graph_inputs", "applys_between", "rewrite_graph", "count_nodes",
    "graph_fingerprint", "toposort", "debugprint", "pydotprint", "is_variable", "is_constant",
]


# -- what the inspection tools (symphys/inspect/) read of a compiled function --
def compiled_outputs(function) -> list:
    """Output variables of a compiled graph-library function: its graph after the rewrites."""
    return list(function.maker.fgraph.outputs)


def lower_jax(function, values):
    """The lowered XLA computation of a JAX-linked compiled function for input ``values``
    (numpy arrays, every input of the function in order); has ``as_text()`` and ``compile()``."""
    return function.vm.jit_fn.lower(*values)


def jax_function(function):
    """The jitted JAX function of a JAX-linked compiled function: every input of the function in
    order, numpy or JAX arrays, to a list of its outputs.  ValueError if the function has inputs the
    caller does not pass (shared variables)."""
    if len(function.maker.fgraph.inputs) != len(function.maker.inputs):
        raise ValueError("the compiled function has shared-variable inputs, which cannot be exported")
    return function.vm.jit_fn


def composite_size(scalar_op) -> int | None:
    """Scalar operations fused into a ``Composite`` scalar op; None for any other scalar op."""
    if type(scalar_op).__name__ != "Composite":
        return None
    return len(scalar_op.fgraph.apply_nodes)


__all__ += ["compiled_outputs", "lower_jax", "jax_function", "composite_size", "cholesky_solve", "linear_solve",
            "batched_linear_algebra_missing"]
