"""Gradients on the C and Numba backends against JAX, on a jointed, contacting model.

A base box resting on the ground (four corner contacts, friction) carries a two-link arm: a limited
hinge driven by a servo, then a hinge driven by a velocity motor.  The gradient of the tip's final
position through 30 steps, with respect to the motors' controls at every step, the initial
velocities and the masses, must be the same on every backend (they differ only in the order of
round-off), and JAX's must match central differences (so that what is compared is the gradient).
Cold compiles of this gradient take minutes (measured on 2 busy cores: C 300 s, Numba 1,310 s;
Numba 675 s warm, as its scans cannot be cached): both are marked slow.
"""

import numpy as np
import pytest

import symphys as sp

STEPS = 30
EPS = 1e-5  # finite-difference step: round-off ~1e-16 / EPS, truncation ~EPS^2 (both ~1e-11 here)
# Measured: JAX matches central differences to 2.3e-9 of the largest component of each gradient
# (the tip's mass; 1.5e-10 for controls, 4.2e-10 for velocities).  C agrees with JAX to 8.1e-15
# of the largest component, Numba to 2.6e-14 (both the mass gradient; losses identical).  Since
# Gauss-Seidel's gradient is its own pullback (solver_gauss_seidel.py), which sums in another order
# than the automatic one, Numba agrees to 8.4e-14 (the mass gradient).  Float64 round-off is 2.2e-16
# per operation; a real error in a gradient shows at 1e-6 and above.
RTOL_DIFFERENCES = 5e-9
RTOL_BACKENDS = 2e-13


def arm_on_the_ground():
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.8)
    base = world.add_box(half_extents=(0.15, 0.1, 0.05), mass=2.0, position=(0, 0, 0.05))
    link = world.add_capsule(radius=0.03, length=0.3, mass=0.5, position=(0, 0, 0.28))
    tip = world.add_capsule(radius=0.03, length=0.3, mass=0.3, position=(0, 0, 0.64))
    shoulder = world.add_hinge(base, link, anchor=(0, 0, 0.1), axis=(0, 1, 0), lower=-1.0, upper=1.0)
    elbow = world.add_hinge(link, tip, anchor=(0, 0, 0.46), axis=(0, 1, 0))
    world.add_motor(shoulder, max_torque=5.0, gain=20.0, max_speed=2.0)
    world.add_motor(elbow, max_torque=3.0, servo=False)
    return world.build()


def gradient_function(model, backend):
    """fn(controls, velocity, mass) -> (loss, d/d controls, d/d velocity, d/d mass) on ``backend``."""
    state = sp.symbolic_state(model)
    params = sp.symbolic_params(model)
    controls = sp.backend.tensor("controls", (STEPS, model.n_motors), model.dtype)
    final, _ = sp.rollout(model, state, STEPS, params, controls=controls)
    loss = final.position[2, 0] + 0.5 * final.position[2, 2] + final.orientation[0, 2]
    wrt = [controls, state.velocity, params.body_mass]
    return sp.compile(wrt, [loss] + sp.grad(loss, wrt), backend=backend)


def inputs(model):
    controls = np.column_stack([np.linspace(0.0, 0.6, STEPS), np.full(STEPS, 1.0)])  # rad, rad/s
    velocity = model.initial_state().velocity
    velocity[0] = (0.2, 0.0, 0.0)  # the base slides on the ground while the arm lifts
    return controls, velocity, model.body_mass.copy()


@pytest.fixture(scope="module")
def reference():
    """The model, its inputs and JAX's loss and gradients."""
    model = arm_on_the_ground()
    args = inputs(model)
    fn = gradient_function(model, "jax")
    return model, args, fn, fn(*args)


def scaled_error(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.slow  # needs the JAX reference; its own check of the reference is cheap
@pytest.mark.backends("jax")
def test_jax_gradient_matches_central_differences(reference):
    """The reference is the gradient: central differences in a few controls, velocities, masses."""
    model, (controls, velocity, mass), fn, (_, d_controls, d_velocity, d_mass) = reference
    assert np.abs(d_controls).max() > 1e-2  # the loss depends on the controls
    for grad, which, index in [(d_controls, 0, (3, 0)), (d_controls, 0, (8, 0)), (d_controls, 0, (10, 1)),
                               (d_controls, 0, (28, 1)), (d_velocity, 1, (0, 0)), (d_velocity, 1, (2, 2)),
                               (d_mass, 2, (0,)), (d_mass, 2, (2,))]:
        args = [controls, velocity, mass]
        plus, minus = [a.copy() for a in args], [a.copy() for a in args]
        plus[which][index] += EPS
        minus[which][index] -= EPS
        numeric = (fn(*plus)[0] - fn(*minus)[0]) / (2 * EPS)
        assert abs(grad[index] - numeric) <= RTOL_DIFFERENCES * np.abs(grad).max(), (which, index)


@pytest.mark.slow  # cold gradient compile: minutes on 2 cores
@pytest.mark.backends("jax")
@pytest.mark.parametrize("backend", [pytest.param("c", marks=pytest.mark.backends("c")),
                                     pytest.param("numba", marks=pytest.mark.backends("numba"))])
def test_backend_gradients_agree_with_jax(reference, backend):
    """Loss and gradients (controls, initial velocities, masses) equal JAX's to round-off."""
    model, args, _, expected = reference
    actual = gradient_function(model, backend)(*args)
    np.testing.assert_allclose(actual[0], expected[0], rtol=RTOL_BACKENDS)
    for a, b in zip(actual[1:], expected[1:]):
        assert scaled_error(a, b) < RTOL_BACKENDS, scaled_error(a, b)
