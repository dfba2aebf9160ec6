"""On-disk cache of compiled functions, keyed on the graph and the library versions.

An entry's key hashes the code version (``symphys.__version__``), the graph
library, JAX and numpy versions, the backend and the graph's structural
fingerprint (ops, shapes, dtypes and constant values: the model and its
shapes).  Least recently used entries are evicted beyond a size limit.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import pickle
import warnings

import numpy as np

from . import backend as B
from .version import __version__


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


def entry_path(inputs, outputs, backend) -> str | None:
    """File of the compiled function of ``outputs`` from ``inputs`` on ``backend`` (None = disabled)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        jax_version = importlib.metadata.version("jax")
    except importlib.metadata.PackageNotFoundError:  # the Aesara environment has no JAX
        jax_version = None
    versions = f"{__version__}|{B.GRAPH_LIBRARY}{B.LIBRARY_VERSION}|jax{jax_version}|np{np.__version__}"
    key = hashlib.sha256(
        f"{versions}|{backend}|{B.graph_fingerprint(inputs, outputs)}".encode()).hexdigest()[:32]
    return os.path.join(folder, f"{backend}-{key}.pkl")


def load(path):
    """The compiled function stored at ``path``, or None (no entry, or unreadable)."""
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


def limit_bytes() -> int:
    """Size bound of the cache folder in bytes (SYMPHYS_CACHE_MAX_MB, default 2048 MiB)."""
    return int(float(os.environ.get("SYMPHYS_CACHE_MAX_MB", "2048")) * 2**20)


def store(path, fn) -> None:
    """Pickle ``fn`` to ``path`` (if it fits a quarter of the limit), then evict down to the limit."""
    if path is None:
        return
    try:
        data = pickle.dumps(fn)
    except Exception as error:
        warnings.warn(f"compiled function not cached (cannot pickle): {error}", stacklevel=3)
        return
    limit = limit_bytes()
    if len(data) > limit // 4:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)  # atomic: concurrent test workers never see half a file
    evict(os.path.dirname(path), limit)


def evict(folder: str, limit: int) -> None:
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
