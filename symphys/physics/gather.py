"""Gathers and scatters by constant indices, written so their gradients stay cheap.

Indexing with an integer array has a scatter-add as its gradient, which
XLA runs element by element on CPU.  Body gathers are instead contractions
with a constant one-hot matrix (one GEMM; its gradient is a GEMM too), and
gathers whose indices form a few contiguous runs (independent of model size)
are concatenated slices.
"""

from __future__ import annotations

import numpy as np

from ..backend import pt

MAX_RUNS = 8  # above this many contiguous runs, a one-hot contraction is cheaper


def one_hot(index: np.ndarray, size: int, dtype) -> np.ndarray:
    """(len(index), size) matrix with a 1 at (i, index[i]); rows of index -1 are zero."""
    out = np.zeros((len(index), size), dtype=dtype)
    valid = index >= 0
    out[np.nonzero(valid)[0], index[valid]] = 1.0
    return out


def gather(x, index: np.ndarray, size: int, dtype):
    """x[:, index] for x of shape (P, size, ...); index -1 gives zeros."""
    moved = pt.tensordot(x, pt.constant(one_hot(index, size, dtype)), axes=[[1], [1]])
    return moved.dimshuffle(0, moved.ndim - 1, *range(1, moved.ndim - 1))


def gather_runs(x, index: np.ndarray, size: int, dtype):
    """x[:, index] as concatenated slices when index is a few contiguous runs
    (e.g. each friction row's normal row); else as :func:`gather`."""
    index = np.asarray(index)
    runs = _runs(index)
    if index.min() < 0 or len(runs) > MAX_RUNS:
        return gather(x, index, size, dtype)
    parts = [x[:, start:stop] for start, stop in runs]
    return parts[0] if len(parts) == 1 else pt.concatenate(parts, axis=1)


def scatter_add(values, index: np.ndarray, size: int, dtype):
    """Sum values (P, len(index), ...) into (P, size, ...) at index (-1 dropped)."""
    moved = pt.tensordot(values, pt.constant(one_hot(index, size, dtype)), axes=[[1], [0]])
    return moved.dimshuffle(0, moved.ndim - 1, *range(1, moved.ndim - 1))


def _runs(index: np.ndarray):
    """Maximal runs of consecutive increasing indices as (start, stop) slices."""
    runs, start = [], 0
    for i in range(1, len(index) + 1):
        if i == len(index) or index[i] != index[i - 1] + 1:
            runs.append((int(index[start]), int(index[i - 1]) + 1))
            start = i
    return runs
