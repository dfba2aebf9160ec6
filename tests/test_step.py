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


def first_free_colors(body_a, body_b) -> np.ndarray:
    """Reference: each row takes the first color its bodies leave free (the world is not a body)."""
    colors, used = [], {}
    for a, b in zip(body_a, body_b):
        taken = set().union(*(used.get(x, set()) for x in (a, b) if x >= 0))
        c = next(c for c in range(len(body_a) + 1) if c not in taken)
        colors.append(c)
        for x in (a, b):
            if x >= 0:
                used.setdefault(x, set()).add(c)
    return np.array(colors)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gauss_seidel_colors_share_no_body_and_are_balanced(seed):
    """A hub body with 56 rows (the timing quadruped's torso) among 180 random rows on 40 other
    bodies and the world: no two rows of a color share a body, as many colors as first-free
    coloring, and none padded much beyond the mean (first-free puts 19-21 rows in one color)."""
    from symphys.physics.solver_gauss_seidel import color_rows

    rng = np.random.default_rng(seed)
    hub_rows = [(0, 1 + k % 40) for k in range(56)]
    other_rows = [tuple(rng.choice(np.arange(-1, 41), size=2, replace=False)) for _ in range(180)]
    rows = np.array(hub_rows + other_rows)
    rows = rows[rng.permutation(len(rows))]
    colors = color_rows(rows[:, 0], rows[:, 1])
    for c in range(colors.max() + 1):
        bodies = rows[colors == c].ravel()
        bodies = bodies[bodies >= 0]
        assert len(bodies) == len(set(bodies.tolist())), f"color {c} shares a body"
    sizes = np.bincount(colors)
    assert len(sizes) == first_free_colors(rows[:, 0], rows[:, 1]).max() + 1
    assert sizes.max() <= np.ceil(len(rows) / len(sizes)) + 2, sizes  # measured 5-6, mean 3.6
