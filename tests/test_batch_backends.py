"""Batches against separate simulations; backends against each other."""

import numpy as np
import pytest
from conftest import resting_scene

import symphys as sp

ATOL_BACKENDS = 1e-8  # float64; backends differ only in round-off order
ATOL_BATCH = 1e-10


def mixed_scene():
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.7)
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0.3), velocity=(1, 0, 0), restitution=0.3)
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=2.0, position=(1, 0, 0.15),
                  angular_velocity=(0.5, 1, 0))
    world.add_capsule(radius=0.05, length=0.2, position=(2, 0, 0.2), velocity=(0, 1, 0))
    return world.build()


def test_batch_of_16_equals_separate_simulations(rng):
    model = mixed_scene()
    batch = 16
    state = model.initial_state(batch)
    velocity = state.velocity + rng.normal(0, 0.5, state.velocity.shape)
    angular = state.angular_velocity + rng.normal(0, 1.0, state.angular_velocity.shape)
    state = state.replace(velocity=velocity, angular_velocity=angular)
    batched = sp.simulate(model, state, steps=60)
    assert batched.position.shape == (61, batch, model.n_bodies, 3)
    for i in range(batch):
        single = model.initial_state().replace(velocity=velocity[i], angular_velocity=angular[i])
        alone = sp.simulate(model, single, steps=60)
        for a, b in zip(batched.fields(), alone.fields()):
            np.testing.assert_allclose(a[:, i], b, atol=ATOL_BATCH)
    # The worlds really differ.
    assert np.ptp(batched.position[-1, :, 0, 0]) > 0.1


def test_batch_with_contacts_and_joints_equals_separate_simulations(rng):
    """Contact rows (friction shared by the batch) and joint rows (per world) in one batch."""
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.6)
    base = world.add_box(half_extents=(0.2, 0.2, 0.05), mass=2.0, position=(0, 0, 0.05))
    arm = world.add_capsule(radius=0.03, length=0.3, mass=0.5, position=(0, 0, 0.3))
    joint = world.add_hinge(base, arm, anchor=(0, 0, 0.1), axis=(0, 1, 0), lower=-1.0, upper=1.0)
    world.add_motor(joint, max_torque=5.0, gain=20.0, max_speed=2.0)
    model = world.build()
    batch, steps = 3, 60
    controls = np.repeat(rng.uniform(-0.8, 0.8, (1, batch, 1)), steps, axis=0)
    state = sp.symbolic_state(model, batch)
    _, trajectory = sp.rollout(model, state, steps, controls=controls)
    (batched,) = sp.compile([], [trajectory.position])()
    single_state = sp.symbolic_state(model)
    control_var = sp.backend.tensor("controls", (steps, 1), model.dtype)
    _, single = sp.rollout(model, single_state, steps, controls=control_var)
    alone = sp.compile([control_var], [single.position])
    for i in range(batch):
        (position,) = alone(controls[:, i])
        np.testing.assert_allclose(batched[:, i], position, atol=ATOL_BATCH)
    assert np.ptp(batched[-1, :, 1, 0]) > 0.05  # the worlds really differ


@pytest.mark.aesara
@pytest.mark.backends("jax")
@pytest.mark.parametrize("backend", ["c", pytest.param("numba", marks=pytest.mark.backends("numba"))])
def test_backends_agree_with_jax(backend):
    model = mixed_scene()
    reference = sp.simulate(model, steps=40, backend="jax")
    other = sp.simulate(model, steps=40, backend=backend)
    for a, b in zip(reference.fields(), other.fields()):
        np.testing.assert_allclose(b, a, rtol=0, atol=ATOL_BACKENDS)
    # Something happened: bodies moved and touched the ground.
    assert np.abs(reference.position[-1] - reference.position[0]).max() > 0.05


def test_gauss_seidel_and_jacobi_agree_on_resting_contact():
    jacobi = sp.simulate(resting_scene(method="jacobi"), steps=300)
    gauss_seidel = sp.simulate(resting_scene(method="gauss_seidel"), steps=300)
    np.testing.assert_allclose(jacobi.position[-1], gauss_seidel.position[-1], atol=1e-4)
