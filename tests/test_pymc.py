"""symphys inside PyMC (symphys/pymc.py, symphys_models/sysid.py): parameter expressions, bad input
refused before sampling, PyMC's logp gradient against central differences, and a posterior that
covers the true friction of symphys-made data without divergences."""

from __future__ import annotations

import numpy as np
import pytest

pm = pytest.importorskip("pymc")

import symphys as sp  # noqa: E402
from symphys.pymc import trajectory  # noqa: E402
from symphys_models import sysid  # noqa: E402

pt = sp.backend.pt
# Central differences of a float64 logp of ~100 observations in the transformed (log) space:
# step 1e-5 leaves truncation ~1e-10 and round-off ~1e-16 * |logp| / 1e-5 ~ 1e-8 relative.
FD_STEP = 1e-5
FD_RTOL = 1e-5
SHORT_STEPS = 60  # 0.6 s: the push, the slide, the ball's first bounce; keeps the test file short


def _evaluate(output, givens=None):
    """A graph's value, compiled with JAX (``.eval()`` compiles with the default C/Numba mode: minutes)."""
    givens = givens or {}
    return sp.backend.function(list(givens), output, mode=sp.backend.make_mode("jax"))(*givens.values())


@pytest.fixture(scope="module")
def model():
    return sysid.build_model()


def _data(model, seed=0):
    """Symphys-made observations (TRUTH) of the first SHORT_STEPS steps."""
    _, every = sysid.steps_and_every(model)
    params = sysid.scene_params(model, *(pt.constant(sysid.TRUTH[n]) for n in sysid.NAMES))
    clean = _evaluate(trajectory(model, params, SHORT_STEPS, list(sysid.BODIES), every=every,
                                 wrench=sysid.push_wrench(model, SHORT_STEPS)))
    rng = np.random.default_rng(seed)
    return sysid.Observations(np.arange(len(clean)) / sysid.RATE, clean + rng.normal(0, sysid.NOISE, clean.shape),
                              "symphys", dict(sysid.TRUTH), sysid.NOISE, clean)


def test_expressions_of_random_variables_reach_the_rollout(model):
    """pt.stack and pt.full of PyMC variables as params: the positions are those of the same numbers."""
    with pm.Model():
        mu = pm.LogNormal("mu", 0.0, 1.0)
        mass = pm.LogNormal("mass", 0.0, 1.0)
        params = {"body_mass": pt.stack([mass, pt.constant(float(model.body_mass[1]))]),
                  "body_friction": pt.full((model.n_bodies,), mu), "ground_friction": mu}
        positions = trajectory(model, params, 20, ["box"], wrench=sysid.push_wrench(model, 20))
    values = _evaluate(positions, {mu: np.float64(0.5), mass: np.float64(2.0)})
    numeric = trajectory(model, {"body_mass": np.array([2.0, model.body_mass[1]]),
                                 "body_friction": np.full(model.n_bodies, 0.5), "ground_friction": 0.5},
                         20, ["box"], wrench=sysid.push_wrench(model, 20))
    numeric = _evaluate(numeric)
    np.testing.assert_allclose(values, numeric, rtol=0, atol=1e-12)


@pytest.mark.parametrize("field, value, match", [
    ("body_mass", lambda m: pt.stack([m, m, m]), r"params\.body_mass must have shape"),
    ("body_friction", lambda m: pt.stack([[m, m]]), r"params\.body_friction has per-world values"),
    ("ground_friction", lambda m: pt.stack([m, m]), r"params\.ground_friction must have shape"),
    ("ground_restitution", lambda m: pt.cast(m > 1, "int64"), r"params\.ground_restitution must be a floating"),
    ("motor_gain", lambda m: pt.stack([m]), r"params\.motor_gain must have shape \(motors 0,\)"),  # no motors
])
def test_bad_parameter_expressions_are_refused_before_sampling(model, field, value, match):
    """Wrong static shape, wrong number of dimensions or an integer dtype: ValueError naming the field,
    raised while the PyMC model is built (before any compile or draw)."""
    with pm.Model():
        m = pm.LogNormal("m", 0.0, 1.0)
        with pytest.raises(ValueError, match=match):
            trajectory(model, {field: value(m)}, 10, ["box"])


def test_float64_expression_into_float32_model_is_refused():
    model32 = sysid.build_model("float32")
    with pm.Model():
        m = pm.LogNormal("m", 0.0, 1.0)  # float64 (PyMC follows floatX)
        with pytest.raises(ValueError, match=r"params\.ground_friction is a float64 expression but the model is "
                                             r"float32"):
            trajectory(model32, {"ground_friction": m}, 10, ["box"])


def test_servo_gain_and_max_torque_as_random_variables_reach_the_likelihood():
    """LogNormal gain and max torque of a servo lifting a lever: the likelihood's gradient graph
    reaches both value variables (PyMC replaces the random variables, which enter the rollout's
    scan as inputs, not copied inside it).  Graphs only; nothing is compiled."""
    world = sp.World(dt=0.01)
    lever = world.add_box(half_extents=(0.2, 0.02, 0.02), mass=1.0, position=(0.2, 0, 1), name="lever")
    world.add_motor(world.add_hinge(None, lever, anchor=(0, 0, 1), axis=(0, 1, 0)), max_torque=3.0, gain=5.0)
    servo = world.build()
    steps = 10
    with pm.Model() as pmm:
        gain = pm.LogNormal("gain", mu=np.log(4.0), sigma=0.5)
        torque = pm.LogNormal("torque", mu=np.log(3.0), sigma=0.3)
        positions = trajectory(servo, {"motor_gain": pt.stack([gain]), "motor_max_torque": pt.stack([torque])},
                               steps, ["lever"], controls=np.full((steps, 1), -0.6))
        pm.Normal("observed", mu=positions, sigma=0.001, observed=np.zeros((steps + 1, 1, 3)))
    likelihood = pmm.logp(vars=pmm.observed_RVs)
    gradients = pt.grad(likelihood, pmm.value_vars, disconnected_inputs="raise")
    assert len(gradients) == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"observed_bodies": ["nope"]}, "unknown body name"),
    ({"observed_bodies": [5]}, "observed_bodies: body index 5"),
    ({"observed_bodies": []}, "observed_bodies must name at least one body"),
    ({"every": 0}, "every must be a positive integer"),
    ({"params": {"friction": 0.5}}, "params: unknown field"),
])
def test_bad_helper_arguments(model, kwargs, match):
    arguments = {"params": {}, "steps": 10, "observed_bodies": ["box"], **kwargs}
    with pytest.raises(ValueError, match=match):
        trajectory(model, **arguments)


@pytest.fixture(scope="module")
def short_pymc_model(model):
    return sysid.pymc_model(model, _data(model), steps=SHORT_STEPS)


def test_logp_gradient_matches_central_differences(short_pymc_model):
    """d logp / d (log friction, logit restitution, log mass, log sigma) from PyMC's compiled gradient
    (through symphys's scan) against central differences of PyMC's compiled logp."""
    pmm = short_pymc_model
    mode = sp.backend.make_mode("jax")
    logp = pmm.compile_logp(mode=mode)
    dlogp = pmm.compile_dlogp(mode=mode)
    point = pmm.initial_point()
    # A point inside the posterior's bulk, away from the prior's start (the friction's kinks are
    # at the frames where the box stops; central differences straddle none of them at this step).
    truth = {"friction_log__": np.log(0.52), "restitution_logodds__": np.log(0.55 / 0.45),
             "mass_log__": np.log(1.9), "sigma_log__": np.log(0.003)}
    point = {k: np.asarray(truth[k]) for k in point}
    gradient = dlogp(point)
    names = list(point)
    for i, name in enumerate(names):
        up, down = dict(point), dict(point)
        up[name] = point[name] + FD_STEP
        down[name] = point[name] - FD_STEP
        numeric = (logp(up) - logp(down)) / (2 * FD_STEP)
        np.testing.assert_allclose(gradient[i], numeric, rtol=FD_RTOL, atol=1e-6, err_msg=name)


def test_posterior_covers_the_truth_without_divergences(short_pymc_model):
    """Symphys-made data, fixed seed: the 94% HDIs of friction, restitution and mass cover the truth,
    the chains mix (R-hat <= 1.01) and no transition diverges."""
    # nutpie on the JAX-compiled logp with a low-rank mass matrix (sysid.sample): ~3 gradients per draw.
    posterior, _ = sysid.sample(short_pymc_model, draws=500, tune=500, chains=4, seed=2, sampler="nutpie")
    assert sysid.divergences(posterior) == 0
    for row in sysid.summary(posterior, sysid.TRUTH):
        assert row["rhat"] <= 1.01, row
        if row["name"] in sysid.NAMES:
            assert row["low"] <= row["truth"] <= row["high"], row
