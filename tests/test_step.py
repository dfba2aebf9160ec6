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


def serial_gauss_seidel(body_a, body_b, normal_row, row_data, impulse, velocity, colors, iterations, relaxation):
    """Reference: projected Gauss-Seidel in numpy, one row at a time, colors in order (rows of a color
    share no body, so their order within it does not matter), one batch entry."""
    impulse, velocity = impulse.copy(), velocity.copy()
    target, compliance, inv_den, lower, upper, friction = row_data[:, :6].T
    sides = [(body_a, row_data[:, 6:12], row_data[:, 12:18]), (body_b, row_data[:, 18:24], row_data[:, 24:30])]
    for _ in range(iterations):
        for c in range(colors.max() + 1):
            bound = friction * impulse[normal_row]  # the normal impulses as the color step starts
            for r in np.nonzero(colors == c)[0]:
                row_velocity = sum(jac[r] @ velocity[body[r]] for body, jac, _ in sides if body[r] >= 0)
                delta = -(row_velocity - target[r] + compliance[r] * impulse[r]) * inv_den[r]
                low, high = lower[r] - bound[r], upper[r] + bound[r]
                new = low if high <= low else min(max(impulse[r] + relaxation * delta, low), high)
                for body, _, minv_jt in sides:
                    if body[r] >= 0:
                        velocity[body[r]] += minv_jt[r] * (new - impulse[r])
                impulse[r] = new
    return impulse, velocity


@pytest.mark.parametrize("seed", [0, 1])
def test_gauss_seidel_sweeps_equal_serial_projected_gauss_seidel(seed):
    """The colored sweeps (colors laid out in padded slots, data gathered per color, nested scans)
    give the impulses and velocities of plain serial projected Gauss-Seidel in numpy: random rows
    on 12 bodies and the world, a hub body with many rows, contacts of a normal row and two friction
    rows bounded by mu times its impulse, joint-like open rows and one-sided limit rows."""
    from types import SimpleNamespace

    from symphys import backend as B
    from symphys.physics.solver_gauss_seidel import color_rows, colored_sweeps

    rng = np.random.default_rng(seed)
    n_bodies, iterations, relaxation = 12, 4, 0.9
    body_a, body_b, normal_row, kind = [], [], [], []
    for k in range(60):
        a = 0 if k % 3 == 0 else int(rng.integers(0, n_bodies))  # body 0 is the hub
        b = int(rng.choice([x for x in range(-1, n_bodies) if x != a]))
        if rng.random() < 0.4:  # a contact: its normal row, then two friction rows on the same bodies
            first = len(body_a)
            body_a += [a] * 3
            body_b += [b] * 3
            normal_row += [first] * 3
            kind += ["normal", "friction", "friction"]
        else:
            body_a.append(a)
            body_b.append(b)
            normal_row.append(len(normal_row))
            kind.append(rng.choice(["open", "limit"]))
    body_a, body_b, normal_row = np.array(body_a), np.array(body_b), np.array(normal_row)
    n_rows = len(body_a)
    kind = np.array(kind)
    data = np.zeros((n_rows, 30))
    data[:, 0] = rng.normal(size=n_rows)  # target velocity
    data[:, 1] = rng.uniform(0.0, 0.2, n_rows)  # compliance
    data[:, 6:30] = rng.normal(size=(n_rows, 24))  # J and M^-1 J^T on each side
    data[:, 12:18] = 0.3 * data[:, 6:12] + 0.05 * rng.normal(size=(n_rows, 6))
    data[:, 24:30] = 0.3 * data[:, 18:24] + 0.05 * rng.normal(size=(n_rows, 6))
    data[body_b < 0, 18:30] = 0.0  # the world's side
    own = np.sum(data[:, 6:12] * data[:, 12:18], axis=1) + np.sum(data[:, 18:24] * data[:, 24:30], axis=1)
    data[:, 2] = 1.0 / (own + data[:, 1])  # 1 / (k + c)
    open_bound = 1e30
    data[:, 3] = np.where(kind == "open", -open_bound, 0.0)  # normal, friction and limit rows: lower 0
    data[:, 4] = np.where(kind == "friction", 0.0, open_bound)
    data[:, 5] = np.where(kind == "friction", 0.7, 0.0)
    impulse0 = np.where(kind == "open", rng.normal(size=n_rows), np.abs(rng.normal(size=n_rows)))
    impulse0[kind == "friction"] = 0.0
    velocity0 = rng.normal(size=(n_bodies, 6))

    model = SimpleNamespace(solver=SimpleNamespace(iterations=iterations, relaxation=relaxation), dtype="float64",
                            n_bodies=n_bodies)
    rows = SimpleNamespace(body_a=body_a, body_b=body_b, normal_row=normal_row, n_rows=n_rows)
    inputs = [B.pt.tensor(name, shape=shape, dtype="float64")
              for name, shape in (("data", (1, n_rows, 30)), ("impulse", (1, n_rows)), ("velocity", (1, n_bodies, 6)))]
    packed = colored_sweeps(model, rows, *inputs[:1], 2, *inputs[1:], 1)
    fn = B.function(inputs, packed, mode=B.make_mode("jax"))
    with B.float_context("float64"):
        got = np.asarray(fn(data[None], impulse0[None], velocity0[None]))[0]
    colors = color_rows(body_a, body_b)
    assert colors.max() >= 19  # the hub's rows are serial
    impulse, velocity = serial_gauss_seidel(body_a, body_b, normal_row, data, impulse0, velocity0, colors,
                                            iterations, relaxation)
    np.testing.assert_allclose(got[:n_rows], impulse, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got[n_rows:].reshape(n_bodies, 6), velocity, rtol=1e-10, atol=1e-10)
