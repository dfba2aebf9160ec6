"""Rollouts inside PyMC models: physical parameters as random variables, trajectories as likelihoods.

symphys's graphs are PyTensor graphs, PyMC's graph library, so a rollout whose
:class:`~symphys.model.Params` are PyMC random variables is an ordinary part of
a PyMC model: NUTS differentiates it with the exact symbolic gradient of the
rollout (no wrapper Op, no finite differences)::

    import pymc as pm
    import symphys as sp
    from symphys.pymc import trajectory

    with pm.Model():
        mu = pm.LogNormal("friction", mu=np.log(0.4), sigma=0.5)
        mass = pm.LogNormal("mass", mu=np.log(1.5), sigma=0.5)
        positions = trajectory(model, {"body_mass": pt.stack([mass]), "ground_friction": mu},
                               steps=100, observed_bodies=["box"], every=2)
        pm.Normal("observed", mu=positions, sigma=0.002, observed=data)  # data: (51, 1, 3) m
        posterior = pm.sample()

Motors' servo gains and max torques are params too (``{"motor_gain": pt.stack([gain])}`` with
``gain = pm.LogNormal("gain", mu=np.log(20.0), sigma=0.5)``), to infer a servo's stiffness from
the motion it drives.

``trajectory`` itself needs only PyTensor; :func:`require_pymc` imports PyMC with an
installation hint (``pip install symphys[pymc]``).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import checks
from .model import PARAM_FIELDS, Model, Params, State
from .physics.arguments import check_model, check_steps
from .physics.rollout import rollout


def require_pymc():
    """The ``pymc`` module, or ImportError saying how to install it."""
    try:
        import pymc
    except ImportError as error:
        raise ImportError("symphys.pymc needs PyMC (>= 6): pip install 'symphys[pymc]' "
                          f"(it could not be imported: {error})") from None
    return pymc


def as_params(model: Model, params) -> Params:
    """Params from a Params or from a mapping {field name: value or graph expression}.

    Fields missing from the mapping keep the model's values (``model.params()``), so a PyMC model
    names only its unknowns.  Shapes, dtypes and ranges are checked by ``rollout``.
    """
    if isinstance(params, Params):
        return params
    if params is None:
        return model.params()
    if not hasattr(params, "items"):
        raise checks.ArgumentTypeError("params must be a symphys Params or a dict {field: value}, got "
                                       f"{checks.describe(params)}")
    unknown = sorted(set(params) - set(PARAM_FIELDS))
    if unknown:
        raise ValueError(f"params: unknown field(s) {', '.join(map(repr, unknown))}; the fields are "
                         f"{', '.join(PARAM_FIELDS)}")
    return model.params().replace(**params)


def body_indices(model: Model, bodies, name: str = "observed_bodies") -> np.ndarray:
    """Indices of ``bodies`` (indices, names or Body handles with ``.index``), checked."""
    single = isinstance(bodies, (str, numbers.Integral)) or isinstance(getattr(bodies, "index", None), numbers.Integral)
    if single:
        bodies = [bodies]
    try:
        items = list(bodies)
    except TypeError:
        raise checks.ArgumentTypeError(f"{name} must be body indices, names or handles, got "
                                       f"{checks.describe(bodies)}") from None
    if not items:
        raise ValueError(f"{name} must name at least one body")
    out = []
    for item in items:
        if isinstance(item, str):
            index = model.body_index(item)
        elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
            index = int(item)
        elif isinstance(getattr(item, "index", None), numbers.Integral):
            index = int(item.index)
        else:
            raise checks.ArgumentTypeError(f"{name} must be body indices, names or handles, got "
                                           f"{checks.describe(item)}")
        if not 0 <= index < model.n_bodies:
            raise ValueError(f"{name}: body index {index} is out of range (the model has {model.n_bodies} bodies)")
        out.append(index)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: a body is listed twice ({items})")
    return np.array(out, dtype=np.int64)


def trajectory(model: Model, params, steps: int, observed_bodies, state: State | None = None,
               every: int = 1, wrench=None, controls=None):
    """Symbolic positions (m) of the observed bodies' centres of mass over a rollout.

    model: a symphys Model.  params: Params, or a dict of the fields that differ from the model's
        values; each a number, a numpy array or any PyTensor expression (PyMC random variables,
        ``pt.stack([...])`` of them): per-body fields (n_bodies,), per-motor fields (n_motors,)
        (``motor_gain`` 1/s, ``motor_max_torque`` N m), ground fields ().  Expressions
        must be floating point and not wider than the model's dtype (ValueError naming
        ``params.<field>`` otherwise, as for a wrong shape).
    steps: time steps of ``model.dt`` seconds to simulate.
    observed_bodies: body indices, names or handles.
    state: initial State (numpy or symbolic, unbatched); default ``model.initial_state()``.
    every: keep every this many steps (e.g. 2 for 50 Hz observations of a 100 Hz model).
    wrench, controls: known external forces (steps, n_bodies, 6) and motor targets, as in ``rollout``.
    Returns a graph variable of shape (steps // every + 1, n_observed, 3): positions at times
    0, every dt, 2 every dt, ... (the initial state first), the mean of a likelihood such as
    ``pm.Normal("x", mu=positions, sigma=..., observed=data)``.
    Bad arguments raise ValueError/TypeError naming them before any graph is built.
    """
    model = check_model(model)
    steps = check_steps(steps)
    every = checks.positive_int(every, "every")
    if every > steps:
        raise ValueError(f"every ({every}) must be <= steps ({steps})")
    bodies = body_indices(model, observed_bodies)
    params = as_params(model, params)
    state = model.initial_state() if state is None else state
    if isinstance(state, State) and np.ndim(state.position) == 3 or (
            checks.is_graph_variable(getattr(state, "position", None)) and state.position.ndim == 3):
        raise ValueError("state: trajectory takes one world (no batch axis); use rollout for batches")
    _, history = rollout(model, state, steps, params=params, wrench=wrench, controls=controls)
    return history.position[::every][:, bodies]


__all__ = ["trajectory", "as_params", "body_indices", "require_pymc"]
