"""On-disk cache of compiled functions, keyed on the graph and the library versions.

An entry's key hashes the code version (``symphys.__version__``), the graph
library, JAX and numpy versions, the backend and the graph's structural
fingerprint (ops, shapes, dtypes and constant values: the model and its
shapes).  Least recently used entries are evicted beyond a size limit.

Entries are pickles, and loading a pickle can run code: the folder is created
private (0700), and a folder or entry that another user owns or that is group-
or world-writable is not used (a warning, then the function is compiled
without the cache).  What is loaded must be a :class:`CacheEntry` of the
expected key.  Entries are written to a temporary file and renamed, so
concurrent processes never read half an entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import os
import pickle
import stat
import tempfile
import warnings

import numpy as np

from . import backend as B
from .callers import caller_stacklevel
from .version import __version__

ENTRY_FORMAT = "entry-2"  # part of the key: files of an older layout are never read
DEFAULT_MAX_MB = 2048.0


class CacheWarning(UserWarning):
    """The compiled-function cache was not used (untrusted folder, unreadable entry)."""


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """What a cache file holds: the key it was stored under and the graph library's compiled function."""

    key: str
    function: object


def cache_dir() -> str | None:
    """Folder of the on-disk cache of compiled functions (None = disabled).

    Set SYMPHYS_CACHE_DIR to move it, SYMPHYS_CACHE_DIR="" to disable it, and
    SYMPHYS_CACHE_MAX_MB to bound its size (default 2048; least recently used
    entries are evicted, and a single entry over a quarter of it is not kept:
    large batched graphs carry folded constants of hundreds of MB).
    ValueError, naming the variable, if SYMPHYS_CACHE_DIR is a file.
    """
    folder = os.environ.get(
        "SYMPHYS_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "symphys", "functions"))
    if folder and os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"SYMPHYS_CACHE_DIR={folder!r} is a file, not a folder: set it to a folder, or to '' to "
                         "disable the compiled-function cache")
    return folder or None


def untrusted(path: str) -> str | None:
    """Why the existing file or folder ``path`` must not be loaded from (None: it may): owned by another
    user, or writable by the group or others."""
    info = os.stat(path)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"{path} is owned by another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{path} is writable by its group or by others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def entry_path(inputs, outputs, backend) -> str | None:
    """File of the compiled function of ``outputs`` from ``inputs`` on ``backend`` (None = disabled,
    or the folder is not trusted: a warning says why)."""
    folder = cache_dir()
    limit_bytes()  # a malformed SYMPHYS_CACHE_MAX_MB is reported before compiling, not after
    if folder is None:
        return None
    if os.path.isdir(folder):
        reason = untrusted(folder)
        if reason:
            warnings.warn(f"compiled-function cache not used: {reason} (SYMPHYS_CACHE_DIR); compiling without it",
                          CacheWarning, stacklevel=caller_stacklevel())
            return None
    return os.path.join(folder, f"{backend}-{entry_key(inputs, outputs, backend)}.pkl")


def entry_key(inputs, outputs, backend) -> str:
    """Hash of the graph, the backend and every version that shapes the compiled code."""
    try:
        jax_version = importlib.metadata.version("jax")
    except importlib.metadata.PackageNotFoundError:  # the Aesara environment has no JAX
        jax_version = None
    versions = f"{__version__}|{B.GRAPH_LIBRARY}{B.LIBRARY_VERSION}|jax{jax_version}|np{np.__version__}"
    return hashlib.sha256(
        f"{ENTRY_FORMAT}|{versions}|{backend}|{B.graph_fingerprint(inputs, outputs)}".encode()).hexdigest()[:32]


def load(path):
    """The compiled function stored at ``path``, or None (no entry; an untrusted, unreadable or foreign
    one is skipped with a CacheWarning)."""
    if path is None or not os.path.exists(path):
        return None
    reason = untrusted(path)
    if reason:
        _warn(f"not loading compiled-function cache entry: {reason}")
        return None
    try:
        with open(path, "rb") as handle:
            entry = pickle.load(handle)
    except Exception as error:  # a stale or truncated entry: recompile
        _warn(f"ignoring unreadable compiled-function cache {path}: {error}")
        return None
    expected = os.path.splitext(os.path.basename(path))[0].split("-", 1)[-1]
    if not isinstance(entry, CacheEntry) or entry.key != expected or not callable(entry.function):
        _warn(f"ignoring {path}: not a symphys compiled function of this key (found {type(entry).__name__})")
        return None
    os.utime(path)  # mark as recently used for eviction
    return entry.function


def limit_bytes() -> int:
    """Size bound of the cache folder in bytes (SYMPHYS_CACHE_MAX_MB, default 2048 MiB); ValueError naming
    the variable if it is not a non-negative number."""
    text = os.environ.get("SYMPHYS_CACHE_MAX_MB", "")
    try:
        megabytes = float(text) if text.strip() else DEFAULT_MAX_MB
    except ValueError:
        megabytes = float("nan")
    if not np.isfinite(megabytes) or megabytes < 0:
        raise ValueError(f"SYMPHYS_CACHE_MAX_MB={text!r} must be a non-negative number of megabytes "
                         f"(default {DEFAULT_MAX_MB:g})")
    return int(megabytes * 2**20)


def store(path, fn) -> None:
    """Pickle ``fn`` to ``path`` (if it fits a quarter of the limit), then evict down to the limit.

    The folder is created private (0700).  The entry is written to a temporary file in the same folder
    and renamed over ``path`` (atomic): concurrent writers of one key leave one complete entry.
    """
    if path is None:
        return
    key = os.path.splitext(os.path.basename(path))[0].split("-", 1)[-1]
    try:
        data = pickle.dumps(CacheEntry(key, fn))
    except Exception as error:
        _warn(f"compiled function not cached (cannot pickle): {error}")
        return
    limit = limit_bytes()
    if len(data) > limit // 4:
        return
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # makedirs' mode is masked by the umask
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    evict(folder, limit)


def _warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=caller_stacklevel())


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
