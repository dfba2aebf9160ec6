"""Compile graphs to callables on a backend; symbolic inputs with defaults.

``symbolic_state`` and ``symbolic_params`` make graph variables that carry
the model's values as defaults: ``compile`` exposes only the inputs you
name, in order, and feeds every other one its default.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import time
import warnings

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


def cache_dir() -> str | None:
    """Folder of the on-disk cache of compiled functions (None = disabled).

    Set SYMPHYS_CACHE_DIR to move it, SYMPHYS_CACHE_DIR="" to disable it, and
    SYMPHYS_CACHE_MAX_MB to bound its size (default 2048; least recently used
    entries are evicted, and a single entry over a quarter of it is not kept:
    large batched graphs carry folded constants of hundreds of MB).
    """
    folder = os.environ.get(
        "SYMPHYS_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "symphys", "functions"))
    return folder or None


def _cache_path(inputs, outputs, backend):
    folder = cache_dir()
    if folder is None:
        return None
    import importlib.metadata

    import numpy

    from . import __version__

    try:
        jax_version = importlib.metadata.version("jax")
    except importlib.metadata.PackageNotFoundError:  # the Aesara environment has no JAX
        jax_version = None
    versions = f"{__version__}|{B.GRAPH_LIBRARY}{B.LIBRARY_VERSION}|jax{jax_version}|np{numpy.__version__}"
    key = hashlib.sha256(
        f"{versions}|{backend}|{B.graph_fingerprint(inputs, outputs)}".encode()).hexdigest()[:32]
    return os.path.join(folder, f"{backend}-{key}.pkl")


def _load_cached(path):
    if path is None or not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as handle:
            fn = pickle.load(handle)
        os.utime(path)  # mark as recently used for eviction
        return fn
    except Exception as error:  # a stale or truncated entry: recompile
        warnings.warn(f"ignoring unreadable compiled-function cache {path}: {error}", stacklevel=3)
        return None


def _cache_limit_bytes() -> int:
    return int(float(os.environ.get("SYMPHYS_CACHE_MAX_MB", "2048")) * 2**20)


def _store_cached(path, fn):
    if path is None:
        return
    try:
        data = pickle.dumps(fn)
    except Exception as error:
        warnings.warn(f"compiled function not cached (cannot pickle): {error}", stacklevel=3)
        return
    limit = _cache_limit_bytes()
    if len(data) > limit // 4:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)  # atomic: concurrent test workers never see half a file
    _evict(os.path.dirname(path), limit)


def _evict(folder: str, limit: int) -> None:
    """Delete least recently used entries until the folder holds at most limit bytes."""
    entries = []
    for name in os.listdir(folder):
        if name.endswith(".pkl"):
            try:
                info = os.stat(os.path.join(folder, name))
            except FileNotFoundError:
                continue
            entries.append((max(info.st_atime, info.st_mtime), info.st_size, name))
    total = sum(size for _, size, _ in entries)
    for _, size, name in sorted(entries):
        if total <= limit:
            break
        try:
            os.remove(os.path.join(folder, name))
        except FileNotFoundError:
            pass
        total -= size


class CompiledFunction:
    """A compiled graph: call with the exposed inputs, get numpy outputs."""

    def __init__(self, inputs, outputs, backend=None):
        in_leaves, _ = _flatten(inputs)
        out_leaves, self._rebuild = _flatten(outputs)
        out_leaves = [B.pt.as_tensor_variable(o) for o in out_leaves]
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
        # Rewrites, scan retargeting and JAX tracing (at the first call) all
        # create literals: give them the graph's float type.
        self.float_type = "float32" if float_types == {"float32"} else "float64"
        if backend == "jax" and self.float_type == "float64" and B.jax_float64_lost():
            raise RuntimeError(
                "backend='jax': this process ran a float32 model first, and the graph library then turned "
                "JAX's float64 off for the whole process; this float64 graph would run in float32. "
                "Run float32 and float64 models in separate processes (or the float64 ones first).")
        start = time.perf_counter()
        with B.float_context(self.float_type):
            out_leaves = B.retarget_scans(out_leaves, backend)
            self.cache_path = _cache_path(in_leaves + hidden, out_leaves, backend)
            self.fn = _load_cached(self.cache_path)
            self.from_cache = self.fn is not None
            if self.fn is None:
                self.fn = B.function(in_leaves + hidden, out_leaves, mode=self.mode)
                _store_cached(self.cache_path, self.fn)
        self.compile_seconds = time.perf_counter() - start
        self._dtypes = [v.dtype for v in in_leaves]

    def __call__(self, *args):
        flat, _ = _flatten(list(args))
        if len(flat) != len(self.inputs):
            raise ValueError(f"inputs: expected {len(self.inputs)} arrays, got {len(flat)}")
        values = [np.asarray(a, dtype=d) for a, d in zip(flat, self._dtypes)]
        with B.float_context(self.float_type):
            out = self.fn(*values, *self.defaults)
        if not isinstance(out, (list, tuple)):
            out = [out]
        return self._rebuild([np.asarray(o) for o in out])


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
