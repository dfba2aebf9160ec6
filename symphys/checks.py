"""Argument checks shared by the builder, ``simulate``/``rollout`` and ``compile``.

Each check returns the value in its canonical form (float, int, bool, numpy
array) or raises an error whose message starts with the argument's name:
ValueError for a bad value, :class:`ArgumentTypeError` (a TypeError and a
ValueError) for an object of the wrong kind.  numpy only: nothing here
builds a graph, so a bad argument is refused before any graph exists.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong kind (a string for a number, a World for a Model).

    Also a ValueError, so that ``except ValueError`` catches every bad argument.
    """


def is_graph_variable(value) -> bool:
    """Whether ``value`` is a variable of the graph library (duck-typed: numpy-only module)."""
    return hasattr(value, "owner") and hasattr(value, "type") and hasattr(value, "ndim")


def describe(value) -> str:
    """Short description of a received value for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def real(value, name: str, what: str = "a number") -> float:
    """float of a real number, possibly infinite or NaN (bools, strings and arrays refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise ArgumentTypeError(f"{name} must be {what}, got {describe(value)}")
    if isinstance(value, np.ndarray) and (value.ndim != 0 or value.dtype.kind not in "iuf"):
        raise ArgumentTypeError(f"{name} must be {what}, got {describe(value)}")
    return float(value)


def number(value, name: str) -> float:
    """A finite real number."""
    result = real(value, name, "a number")
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return result


def positive(value, name: str) -> float:
    """A finite number > 0."""
    result = real(value, name, "a positive number")
    if not math.isfinite(result) or result <= 0:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return result


def nonnegative(value, name: str, upper: float | None = None) -> float:
    """A finite number >= 0 (and <= upper if given)."""
    result = real(value, name, "a non-negative number")
    if not math.isfinite(result) or result < 0 or (upper is not None and result > upper):
        bound = f" and <= {upper}" if upper is not None else ""
        raise ValueError(f"{name} must be >= 0{bound}, got {value!r}")
    return result


def positive_int(value, name: str) -> int:
    """An integer >= 1 (bools, strings and fractional floats refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer)):
        raise ArgumentTypeError(f"{name} must be a positive integer, got {describe(value)}")
    if not math.isfinite(value) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def boolean(value, name: str) -> bool:
    """True or False (numpy bools too); 'no', 0 or None are refused, not read as truth values."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def vector(value, size: int, name: str) -> np.ndarray:
    """Exactly ``size`` finite numbers (a scalar is not broadcast)."""
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{name} must be {size} numbers, got {describe(value)}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{name} must be {size} numbers, got {describe(value)}") from None
    if array.shape != (size,):
        raise ValueError(f"{name} must be {size} numbers (shape ({size},)), got shape {array.shape}")
    if np.asarray(value).dtype.kind == "b" or (
            isinstance(value, (list, tuple)) and any(isinstance(x, (bool, np.bool_)) for x in value)):
        raise ArgumentTypeError(f"{name} must be {size} numbers, got booleans in {describe(value)}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array.tolist()}")
    return array


def numeric_array(value, name: str) -> np.ndarray:
    """``value`` as a float array; strings, objects and booleans refused."""
    if isinstance(value, (str, bytes)) or value is None:
        raise ArgumentTypeError(f"{name} must be an array of numbers, got {describe(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ArgumentTypeError(f"{name} must be an array of numbers: {error}") from None
    if array.dtype.kind not in "iuf":
        raise ArgumentTypeError(f"{name} must be an array of numbers, got dtype {array.dtype}")
    return array.astype(float, copy=False)


def shape_text(dims) -> str:
    """'(steps 100, bodies 2, 3)' from dims [(label or None, size), ...]."""
    parts = [str(size) if label is None else f"{label} {size}" for label, size in dims]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def array_shape(array_shape_, dims, name: str) -> None:
    """ValueError unless a shape matches dims [(label or None, size or None = any), ...]."""
    if len(array_shape_) == len(dims) and all(s is None or a is None or a == s
                                              for a, (_, s) in zip(array_shape_, dims)):
        return
    expected = shape_text([(label, "?" if size is None else size) for label, size in dims])
    received = "(" + ", ".join("?" if a is None else str(a) for a in array_shape_) + ")"
    if len(array_shape_) == 1:
        received = received[:-1] + ",)"
    raise ValueError(f"{name} must have shape {expected}, got {received}")


def call_arguments(args, names, dims, dtypes) -> list:
    """A compiled function's call arguments (lists/States of arrays, flattened) as arrays of the inputs'
    ``dtypes``: their number, kind (numbers; no strings, None or graph variables) and shapes checked.
    names: each input's name or None; dims: each input's [(label or None, size or None = any), ...]."""
    from .tree import flatten

    flat, _ = flatten(list(args))
    if len(flat) != len(dtypes):
        raise ValueError(f"inputs: expected {len(dtypes)} arrays, got {len(flat)}")
    arrays = []
    for index, (value, name, input_dims, dtype) in enumerate(zip(flat, names, dims, dtypes)):
        label = f"inputs[{index}] ({name})" if name else f"inputs[{index}]"
        if isinstance(value, (str, bytes)) or value is None or is_graph_variable(value):
            raise ArgumentTypeError(f"{label} must be an array of numbers, got {describe(value)}")
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise ArgumentTypeError(f"{label} must be an array of numbers, got dtype {array.dtype}")
        array_shape(array.shape, input_dims, label)
        arrays.append(np.asarray(array, dtype=dtype))
    return arrays


__all__ = ["ArgumentTypeError", "is_graph_variable", "describe", "real", "number", "positive", "nonnegative",
           "positive_int", "boolean", "vector", "numeric_array", "shape_text", "array_shape", "call_arguments"]
