"""Checks of what ``simulate`` and ``rollout`` get, against the model, before any graph is built.

Numeric arrays are checked for shape, kind and range; graph variables for their number of
dimensions and the sizes their type knows.  Messages name the argument (``state.velocity``,
``params.body_mass``, ``params.motor_gain``, ``wrench``) and give shapes in the model's terms (steps,
batch, bodies, motors).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import checks
from ..model import Model, Params, State

STATE_WIDTHS = {"position": 3, "orientation": 4, "velocity": 3, "angular_velocity": 3}
# Params: (lower bound, lower bound allowed, upper bound, unit) of their values.
PARAM_RANGES = {
    "body_mass": (0.0, False, np.inf, "kg"),
    "body_friction": (0.0, True, np.inf, "Coulomb coefficient"),
    "body_restitution": (0.0, True, 1.0, "ratio"),
    "ground_friction": (0.0, True, np.inf, "Coulomb coefficient"),
    "ground_restitution": (0.0, True, 1.0, "ratio"),
    "motor_gain": (0.0, False, np.inf, "1/s"),
    "motor_max_torque": (0.0, False, np.inf, "N m"),
}


def check_model(model) -> Model:
    """``model`` if it is a Model (a World is refused with a hint)."""
    if not isinstance(model, Model):
        hint = "; call world.build() first" if type(model).__name__ == "World" else ""
        raise checks.ArgumentTypeError(f"model must be a symphys Model, got {checks.describe(model)}{hint}")
    return model


def check_steps(steps) -> int:
    """steps as an int, if it is a positive integer."""
    return checks.positive_int(steps, "steps")


def _shape(value) -> tuple:
    """Static shape of a numpy array or graph variable (None for sizes the graph does not know)."""
    if checks.is_graph_variable(value):
        return tuple(value.type.shape)
    return np.shape(value)


def check_state(model: Model, state) -> int | None:
    """Check a numpy or symbolic State against the model; its batch size (None: unbatched or unknown
    for a graph variable without a static batch size; -1: batched, size unknown)."""
    if not isinstance(state, State):
        raise checks.ArgumentTypeError(f"state must be a symphys State (model.initial_state() or "
                                       f"symbolic_state(model)), got {checks.describe(state)}")
    n = model.n_bodies
    batch, batched = None, None
    for name, width in STATE_WIDTHS.items():
        label = f"state.{name}"
        value = getattr(state, name)
        if not checks.is_graph_variable(value):
            value = checks.numeric_array(value, label)
        shape = _shape(value)
        if len(shape) not in (2, 3):
            raise ValueError(f"{label} must have shape ([batch,] bodies {n}, {width}), got {shape}")
        dims = [("bodies", n), (None, width)]
        if len(shape) == 3:
            dims.insert(0, ("batch", None if batch in (None, -1) else batch))
        checks.array_shape(shape, dims, label)
        this = (shape[0] if shape[0] is not None else -1) if len(shape) == 3 else None
        if batched is None:
            batched, batch = len(shape) == 3, this
        elif (len(shape) == 3) != batched:
            raise ValueError(f"{label} has {len(shape)} dimensions, state.position {3 if batched else 2}: "
                             "give every field a batch axis or none")
        elif batch == -1:
            batch = this
        if not checks.is_graph_variable(value):
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{label} contains NaN or infinite values")
            if name == "orientation" and np.any(np.linalg.norm(value, axis=-1) < 1e-9):
                raise ValueError("state.orientation contains a zero quaternion")
    return batch


def check_params(model: Model, params, batch: int | None):
    """Check Params (numpy or symbolic) against the model and the state's batch; returns them.

    Per-body fields: shape (bodies,) or, for a batched state, (batch, bodies); per-motor fields
    likewise with motors ((0,) for a model without motors); ground fields: ().  Numeric values must
    lie in their range: mass > 0, friction >= 0, restitution in [0, 1], motor gain and max torque > 0.
    """
    if params is None:
        return None
    if not isinstance(params, Params):
        raise checks.ArgumentTypeError(f"params must be a symphys Params (model.params() or "
                                       f"symbolic_params(model)), got {checks.describe(params)}")
    for field in dataclasses.fields(Params):
        label = f"params.{field.name}"
        value = getattr(params, field.name)
        symbolic = checks.is_graph_variable(value)
        if not symbolic:
            value = checks.numeric_array(value, label)
        else:
            _check_graph_dtype(model, label, value)
        shape = _shape(value)
        items = model.param_items(field.name)
        if items is None:
            checks.array_shape(shape, [], label)
        elif len(shape) == 2:
            if batch is None:
                raise ValueError(f"{label} has per-world values, shape {shape}, but the state has no batch "
                                 f"axis: give ({items[0]} {items[1]},) or a batched state")
            checks.array_shape(shape, [("batch", None if batch == -1 else batch), items], label)
        else:
            checks.array_shape(shape, [items], label)
        if not symbolic:
            _check_range(model, label, field.name, value)
    return params


def _check_graph_dtype(model: Model, label: str, value) -> None:
    """A parameter expression must be floating point, and not wider than the model's float type.

    Integer or boolean expressions are refused rather than cast (a Poisson or Bernoulli random
    variable as a mass is a modelling error).  A float64 expression in a float32 model is refused
    rather than silently downcast: PyMC's random variables follow ``floatX`` (float64 by
    default), so the mismatch usually means a float32 model inside a float64 PyMC model; cast
    the expression explicitly if the precision loss is intended.  float32 into float64 is exact
    and allowed.
    """
    dtype = str(value.dtype)
    if not dtype.startswith("float"):
        raise checks.ArgumentTypeError(f"{label} must be a floating-point expression ({model.dtype}), got dtype "
                                       f"{dtype}")
    if np.dtype(dtype).itemsize > np.dtype(model.dtype).itemsize:
        raise ValueError(f"{label} is a {dtype} expression but the model is {model.dtype}: it would be "
                         f"downcast silently; cast it explicitly (pt.cast(x, {model.dtype!r})) or build the "
                         f"model with dtype={dtype!r}")


def _check_range(model: Model, label: str, name: str, value: np.ndarray) -> None:
    low, closed, high, unit = PARAM_RANGES[name]
    bad = ~np.isfinite(value) | (value > high) | ((value < low) if closed else (value <= low))
    if not bad.any():
        return
    where = np.argwhere(bad)[0] if value.ndim else ()
    at = ""
    if value.ndim:
        item = int(where[-1])
        kind, names = {"bodies": ("body", model.body_names),
                       "motors": ("motor", model.motor_names)}[model.param_items(name)[0]]
        at = f" for {kind} {item} ({names[item]!r})" + (f", world {int(where[0])}" if value.ndim == 2 else "")
    bound = f"{'>=' if closed else '>'} {low:g}" + (f" and <= {high:g}" if np.isfinite(high) else "")
    raise ValueError(f"{label} must be {bound} ({unit}), got {float(value[tuple(where)]):g}{at}")


def check_sequence(model: Model, value, steps: int, batch: int | None, name: str):
    """Check a per-step input: wrench (steps, [batch,] bodies, 6) or controls (steps, [batch,] motors)."""
    if name == "controls" and model.n_motors == 0:
        raise ValueError("controls: this model has no motors (add_motor), so it takes no controls")
    if not checks.is_graph_variable(value):
        value = checks.numeric_array(value, name)
    tail = [("bodies", model.n_bodies), (None, 6)] if name == "wrench" else [("motors", model.n_motors)]
    dims = [("steps", steps)] + ([("batch", None if batch == -1 else batch)] if batch is not None else []) + tail
    checks.array_shape(_shape(value), dims, name)
    if not checks.is_graph_variable(value) and not np.all(np.isfinite(value)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return value


__all__ = ["check_model", "check_steps", "check_state", "check_params", "check_sequence", "STATE_WIDTHS",
           "PARAM_RANGES"]
