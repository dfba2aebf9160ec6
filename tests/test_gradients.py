"""Exact symbolic gradients against central finite differences."""

import numpy as np
import pytest
from conftest import G

import symphys as sp

RTOL_GRADIENT = 1e-4  # issue acceptance; float64 central differences reach ~1e-8 here
EPS = 1e-6  # finite-difference step


def central_difference(f, x, eps=EPS):
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def assert_gradient_close(symbolic, numeric):
    scale = max(np.abs(numeric).max(), 1e-8)
    np.testing.assert_allclose(symbolic, numeric, rtol=0, atol=RTOL_GRADIENT * scale)


@pytest.fixture(scope="module")
def sliding_box():
    """A box sliding on the ground for 0.3 s (still sliding at the end, all
    four bottom corners in contact throughout: no contact switching)."""
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.4)
    omega = 2 * np.pi * world.solver.contact_frequency
    box = world.add_box(half_extents=(0.2, 0.15, 0.1), mass=2.0, friction=0.4,
                        position=(0, 0, 0.1 - G / omega**2), velocity=(2.0, 0.5, 0.0))
    model = world.build()
    state = sp.symbolic_state(model)
    params = sp.symbolic_params(model)
    steps = 30
    wrench = sp.backend.tensor("wrench", (steps, 1, 6), model.dtype)
    final, _ = sp.rollout(model, state, steps, params, wrench=wrench)
    loss = final.position[box.index, 0] + 0.5 * final.position[box.index, 1] + final.orientation[box.index, 3]
    wrt = [state.velocity, params.body_mass, params.body_friction, wrench]
    fn = sp.compile([state.velocity, params.body_mass, params.body_friction, wrench],
                    [loss] + sp.grad(loss, wrt))
    push = np.zeros((steps, 1, 6))
    push[:, 0, 0] = 3.0  # N along x
    push[:, 0, 5] = 0.2  # N m about z: the box turns while it slides
    return model, fn, push


@pytest.mark.aesara
def test_gradient_wrt_initial_velocity_mass_friction_and_controls(sliding_box):
    model, fn, push = sliding_box
    v0 = model.initial_state().velocity
    mass, friction = model.body_mass.copy(), model.body_friction.copy()
    loss, g_v, g_mass, g_friction, g_wrench = fn(v0, mass, friction, push)
    assert np.all(np.abs(g_v[0, :2]) > 0.1), "final position must depend on initial velocity"
    assert abs(g_mass[0]) > 1e-3 and abs(g_friction[0]) > 1e-2

    assert_gradient_close(g_v, central_difference(lambda v: fn(v, mass, friction, push)[0], v0))
    assert_gradient_close(g_mass, central_difference(lambda m: fn(v0, m, friction, push)[0], mass))
    assert_gradient_close(g_friction,
                          central_difference(lambda f: fn(v0, mass, f, push)[0], friction))
    # Controls: check a few time steps of the force sequence.
    for t in (0, 12, 29):
        def at_step(value, t=t):
            w = push.copy()
            w[t, 0, :] = value
            return fn(v0, mass, friction, w)[0]
        numeric = central_difference(at_step, push[t, 0, :])
        assert_gradient_close(g_wrench[t, 0], numeric)


@pytest.mark.aesara
def test_gradient_of_free_spinning_body_wrt_angular_velocity():
    """Orientation after 0.5 s of torque-free tumbling (gyroscopic term)."""
    world = sp.World(dt=0.01, gravity=(0, 0, 0))
    world.add_box(half_extents=(0.3, 0.2, 0.1), mass=1.0, angular_velocity=(0.5, 2.0, 0.3))
    model = world.build()
    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, 50)
    loss = final.orientation[0, 1] + 2 * final.orientation[0, 3] + final.angular_velocity[0, 0]
    fn = sp.compile([state.angular_velocity], [loss, sp.grad(loss, state.angular_velocity)])
    w0 = model.initial_state().angular_velocity
    value, symbolic = fn(w0)
    assert_gradient_close(symbolic, central_difference(lambda w: fn(w)[0], w0))


# A ball (radius 0.1 m) dropped from 0.5 m with 1 m/s forward, restitution 0.5, for 35 steps.
BALL_DT, BALL_Z0, BALL_RADIUS, BALL_E, BALL_STEPS = 0.01, 0.5, 0.1, 0.5, 35
ROLLING = 5 / 7  # a ball's speed after friction stops its contact point from sliding


def first_contact_step(vz):
    """First step n at which the dropped ball would reach the ground (semi-implicit Euler free flight)."""
    n = np.arange(1, BALL_STEPS + 1)
    z = BALL_Z0 + n * BALL_DT * vz - G * BALL_DT**2 * n * (n + 1) / 2
    return int(n[np.argmax(z < BALL_RADIUS)])


def test_gradient_across_a_contact_switch_is_continuous_and_exact():
    """The step in which the ball meets the ground switches as the drop speed vz crosses vz*.  The
    bounce acts at its time of impact within the step, so the final position is continuous there
    (before, it jumped by 2-3 cm: the bounce turned the ball a whole step early or late), and on
    each side, however close to vz*, the exact gradient equals central differences taken on that
    side.  Horizontally the ball flies at vx until the impact and rolls at 5/7 vx after it:
    dx/dvx = x / vx = t_i + 5/7 (T - t_i), t_i the impact time (within dt of free fall's)."""
    world = sp.World(dt=BALL_DT)
    world.add_ground()
    world.add_sphere(radius=BALL_RADIUS, position=(0, 0, BALL_Z0), velocity=(1, 0, -1), restitution=BALL_E)
    model = world.build()
    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, BALL_STEPS)
    x, z = final.position[0, 0], final.position[0, 2]
    fn = sp.compile([state.velocity], [x, z, sp.grad(x, state.velocity), sp.grad(z, state.velocity)])

    def at(vz):
        velocity = model.initial_state().velocity.copy()
        velocity[0, 2] = vz
        x_end, z_end, dx, dz = fn(velocity)
        return float(x_end), float(z_end), dx[0], dz[0]

    n = 20  # vz* makes the ball reach the ground exactly at the end of step 20
    switch = (BALL_RADIUS - BALL_Z0 + G * BALL_DT**2 * n * (n + 1) / 2) / (n * BALL_DT)
    assert first_contact_step(switch - 1e-6) == n and first_contact_step(switch + 1e-6) == n + 1
    below, above = at(switch - 1e-8), at(switch + 1e-8)
    # Continuous: the values differ by what the gradient (< 0.03) carries over 2e-8 m/s.
    assert abs(above[0] - below[0]) < 1e-9 and abs(above[1] - below[1]) < 1e-9
    duration = BALL_STEPS * BALL_DT
    for side in (-1, 1):
        for distance in (1e-2, 1e-4, 1e-6):  # approaching the switch
            vz = switch + side * distance
            x_end, _, dx, dz = at(vz)
            step = min(distance / 10, 1e-6)  # both evaluations stay on this side of the switch
            central = [(a - b) / (2 * step) for a, b in zip(at(vz + step)[:2], at(vz - step)[:2])]
            np.testing.assert_allclose([dx[2], dz[2]], central, rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(dx[0], x_end / 1.0, rtol=1e-12)  # x is linear in vx = 1 m/s
            impact = (vz + np.sqrt(vz**2 + 2 * G * (BALL_Z0 - BALL_RADIUS))) / G  # free fall's impact time
            assert abs(dx[0] - (impact + ROLLING * (duration - impact))) < (1 - ROLLING) * BALL_DT


def pushed_box_gradients(model, push, **rollout_options):
    """(loss, d loss / d initial velocity, d loss / d wrench) of the sliding box under ``push``."""
    state = sp.symbolic_state(model)
    wrench = sp.backend.tensor("wrench", push.shape, model.dtype)
    final, _ = sp.rollout(model, state, push.shape[0], wrench=wrench, **rollout_options)
    loss = final.position[0, 0] + 0.5 * final.position[0, 1] + final.orientation[0, 3]
    return sp.compile([wrench], [loss] + sp.grad(loss, [state.velocity, wrench]))(push)


@pytest.mark.aesara
def test_truncated_gradient_is_exact_inside_its_window_and_zero_before(sliding_box):
    """rollout(truncate_gradient=k) backpropagates through the last k steps only."""
    model, fn, push = sliding_box
    window = 10
    value, d_velocity, d_wrench = pushed_box_gradients(model, push, truncate_gradient=window)
    full_value, *full_grads = fn(model.initial_state().velocity, model.body_mass, model.body_friction, push)
    assert value == pytest.approx(full_value, rel=1e-12)  # the forward pass is the same
    np.testing.assert_array_equal(d_velocity, 0.0)
    np.testing.assert_array_equal(d_wrench[:-window], 0.0)
    np.testing.assert_allclose(d_wrench[-window:], full_grads[3][-window:], rtol=1e-9, atol=1e-12)
    assert np.abs(d_wrench[-window:]).max() > 1e-5  # not trivially zero (the scale is dt^2 / m)


@pytest.mark.aesara
@pytest.mark.parametrize("window", [0, -3, 2.5, True])
def test_truncate_gradient_must_be_a_positive_integer(sliding_box, window):
    model, _, _ = sliding_box
    with pytest.raises(ValueError, match="truncate_gradient"):
        sp.rollout(model, model.initial_state(), 5, truncate_gradient=window)


def test_gradient_decay_scales_gradients_by_alpha_per_step(sliding_box):
    """rollout(gradient_decay=a): a gradient from t steps later counts a**t; forward unchanged."""
    model, fn, push = sliding_box
    steps, alpha = push.shape[0], 0.9
    value, d_velocity, d_wrench = pushed_box_gradients(model, push, gradient_decay=alpha)
    full_value, d_velocity_full, _, _, d_wrench_full = fn(
        model.initial_state().velocity, model.body_mass, model.body_friction, push)
    assert value == pytest.approx(full_value, rel=1e-12)
    later = alpha ** np.arange(steps - 1, -1, -1)  # wrench of step t: steps - 1 - t carries to the end
    np.testing.assert_allclose(d_wrench, d_wrench_full * later[:, None, None], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(d_velocity, d_velocity_full * alpha**steps, rtol=1e-9, atol=1e-14)
    with pytest.raises(ValueError, match="gradient_decay"):
        sp.rollout(model, model.initial_state(), 5, gradient_decay=1.5)


def test_gradient_window_differentiates_each_window_from_a_fixed_start(sliding_box):
    """rollout(gradient_window=k): the sum over windows of (loss at a window's end - loss at its
    start, the start not differentiated) has, in each window, the exact gradient of that
    window's end; the forward pass is unchanged."""
    model, fn, push = sliding_box
    steps, window = push.shape[0], 10
    state = sp.symbolic_state(model)
    wrench = sp.backend.tensor("wrench", push.shape, model.dtype)
    _, trajectory = sp.rollout(model, state, steps, wrench=wrench, gradient_window=window)

    def loss_at(t):
        return trajectory.position[t, 0, 0] + 0.5 * trajectory.position[t, 0, 1] + trajectory.orientation[t, 0, 3]

    edges = np.arange(0, steps + 1, window)
    windowed = sum(loss_at(b) - sp.backend.zero_grad(loss_at(a)) for a, b in zip(edges[:-1], edges[1:]))
    value, d_velocity, d_wrench = sp.compile([wrench], [windowed] + sp.grad(windowed, [state.velocity, wrench]))(push)
    full_value, *_ = fn(model.initial_state().velocity, model.body_mass, model.body_friction, push)
    start_state = model.initial_state()
    initial = start_state.position[0, 0] + 0.5 * start_state.position[0, 1] + start_state.orientation[0, 3]
    assert value == pytest.approx(full_value - initial, rel=1e-12)  # the windows add up to end - start
    for start, end in zip(edges[:-1], edges[1:]):
        _, _, d_exact = pushed_box_gradients(model, push[:end])
        np.testing.assert_allclose(d_wrench[start:end], d_exact[start:end], rtol=1e-9, atol=1e-14)
        assert np.abs(d_exact[start:end]).max() > 1e-5
    # Only the first window reaches the initial state: as a rollout of `window` steps.
    _, d_velocity_first, _ = pushed_box_gradients(model, push[:window])
    np.testing.assert_allclose(d_velocity, d_velocity_first, rtol=1e-9, atol=1e-14)
    with pytest.raises(ValueError, match="gradient_window"):
        sp.rollout(model, model.initial_state(), 5, gradient_window=0)
