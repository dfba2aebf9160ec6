"""symphys.physics.step: each stage of one step, read by name from its StepData record."""

import numpy as np
import pytest
from conftest import G

import symphys as sp
from symphys.physics.step import StepData, step_record

DT = 0.01


def evaluate(*variables):
    """Values of graph variables with no inputs (numeric states), on the C backend's default mode."""
    return sp.compile([], list(variables))()


def test_a_free_body_has_no_rows_and_follows_semi_implicit_euler():
    world = sp.World(dt=DT)
    world.add_box(half_extents=(0.1, 0.2, 0.3), mass=2.0, position=(0, 0, 5), velocity=(1, 0, 2),
                  angular_velocity=(0, 0, 3))
    model = world.build()
    state = model.initial_state()
    data = step_record(model, state)
    assert isinstance(data, StepData)
    assert data.rows is None and data.impulse is None
    free, x_new, v_new = evaluate(data.free_motion.velocity, data.next_state.position, data.next_state.velocity)
    # v* = v + dt g; a box spinning about a principal axis has no gyroscopic torque.
    np.testing.assert_allclose(free[0, 0], [1, 0, 2 - G * DT, 0, 0, 3], atol=1e-12)
    np.testing.assert_allclose(v_new[0, 0], free[0, 0, :3], atol=0)
    np.testing.assert_allclose(x_new[0, 0], state.position[0] + DT * v_new[0, 0], atol=1e-15)


def test_a_resting_sphere_has_one_normal_and_two_friction_rows_carrying_its_weight():
    mass = 3.0
    world = sp.World(dt=DT)
    world.add_ground(friction=0.5)
    world.add_sphere(radius=0.1, mass=mass, position=(0, 0, 0.099))
    model = world.build()
    data = step_record(model, model.initial_state())
    assert data.rows.n_rows == 3
    impulse, velocity, next_velocity = evaluate(data.impulse, data.velocity, data.next_state.velocity)
    # The normal impulse at least cancels the step's weight, and no friction acts on a body at rest.
    assert impulse[0, 0] >= mass * G * DT * (1 - 1e-9)
    np.testing.assert_allclose(impulse[0, 1:], 0.0, atol=1e-12)
    np.testing.assert_allclose(velocity[0, 0, :3], next_velocity[0, 0], atol=0)


@pytest.mark.parametrize("batch", [None, 3])
def test_step_returns_the_records_next_state(batch):
    world = sp.World(dt=DT)
    world.add_ground()
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0.2), velocity=(0.5, 0, -1))
    model = world.build()
    state = model.initial_state(batch=batch)
    new = sp.step(model, state)
    data = step_record(model, state)
    expected = evaluate(*data.next_state.fields())
    got = evaluate(*new.fields())
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(e if batch else e[0], g)
