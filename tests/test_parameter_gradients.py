"""Exact gradients with respect to restitution (``symbolic_params``), initial position and initial
orientation (``symbolic_state``), through contacts.

- A ball dropped from rest bounces once, at its time of impact t_i within a step: it leaves at e
  times its speed v_i then, so after the bounce z_N depends on e through the rebound only:
  d z_N / d e = v_i (t_N - t_i) and d v_N / d e = v_i, the continuous law, with t_i and v_i those of
  semi-implicit Euler's free fall (its velocities are the half steps'), for e = 0.3, 0.7, 1.
- A tilted box thrown onto the ground lands on a corner, tips and slides: the gradient of its final
  pose with respect to its initial position and orientation quaternion matches central differences,
  and the ground's translation invariance fixes the horizontal part exactly: d x_N / d x_0 = 1,
  d y_N / d x_0 = 0.
- A servo lifts a lever against gravity, at max torque for its first steps and then at the speed
  its gain sets: the gradients of the final angle with respect to the gain and the max torque
  (``params.motor_gain``, ``params.motor_max_torque``) match central differences, and the
  rollout with the values as params equals the rollout of a model built with them.
One compiled rollout with its gradient per scene, batched over three worlds (each world's loss
depends only on its own inputs, so one perturbation of all worlds at once gives all their
differences).
"""

import numpy as np
import pytest
from conftest import G

import symphys as sp
from symphys.rotations import axis_angle_to_quat

DT = 0.01  # s
STEPS = 35  # the ball bounces at step 26 and is still in flight at step 35 in every world
RESTITUTION = np.array([0.3, 0.7, 1.0])
BALL_RADIUS, DROP = 0.1, 0.3  # m
BALL_VELOCITY_WEIGHT = 0.1  # s, weight of the ball's final vertical speed in the loss
# The box of each world: tilt axis, tilt angle (rad) and velocity (m/s).
BOX_TILTS = [((1, 1, 0), 0.3), ((1, -0.5, 0.2), 0.5), ((0.2, 1, 0), -0.4)]
BOX_VELOCITIES = [(1.0, 0.3, -0.5), (-0.5, 1.2, -1.0), (0.3, -0.8, 0.0)]
EPS = 1e-6  # finite-difference step
# Measured: the rebound speed and the restitution gradient equal their closed forms to 6.7e-16
# relative (a few ulp: the tolerance leaves room for another CPU's rounding; a fault moves them
# by > 1e-6), and d loss / d (x_0, y_0) = (1, 0.5) to 0.  Central differences (EPS 1e-6) agree to
# 1.0e-10 (restitution, relative) of the largest component: the differences' own round-off.
RTOL_CLOSED_FORM = 4e-15
RTOL_DIFFERENCES = 2.5e-10
# The box's pose: a step of 1e-6 m crosses the 1e-6 m within which a corner set down by its
# speculative row counts as touching (contact_normal.TOUCH_SLOP), a kink: measured 1 % off in one
# component, and 1e-5 too.  With 1e-7 the differences agree to 3.8e-9 (position) and 8.1e-9
# (orientation) of the largest component, their round-off (eps |loss| / 1e-7).
EPS_POSE = 1e-7
RTOL_POSE_DIFFERENCES = 2.5e-8


@pytest.fixture(scope="module")
def scene():
    """(model, fn): fn(restitution (3, 2), position (3, 2, 3), orientation (3, 2, 4)) ->
    (per-world losses, the ball's vertical speeds over time, d loss / d restitution,
    d loss / d position, d loss / d orientation)."""
    world = sp.World(dt=DT)
    world.add_ground(friction=0.6)
    world.add_sphere(radius=BALL_RADIUS, mass=0.5, position=(0, 0, BALL_RADIUS + DROP))
    world.add_box(half_extents=(0.2, 0.15, 0.1), mass=2.0, friction=0.6, position=(2, 0, 0.45))
    model = world.build()
    batch = len(RESTITUTION)
    state = sp.symbolic_state(model, batch)
    params = sp.symbolic_params(model, batch)
    final, trajectory = sp.rollout(model, state, STEPS, params)
    ball = final.position[:, 0, 2] + BALL_VELOCITY_WEIGHT * final.velocity[:, 0, 2]
    box = (final.position[:, 1, 0] + 0.5 * final.position[:, 1, 1] + 0.3 * final.position[:, 1, 2]
           + final.orientation[:, 1, 2])
    per_world = ball + box
    velocity = model.initial_state(batch).velocity
    velocity[:, 1] = BOX_VELOCITIES
    inputs = [params.body_restitution, state.position, state.orientation]
    fn = sp.compile(inputs + [state.velocity],
                    [per_world, trajectory.velocity[:, :, 0, 2]] + sp.grad(per_world.sum(), inputs))
    return model, lambda *args: fn(*args, velocity)


def initial_values(model):
    batch = len(RESTITUTION)
    restitution = np.column_stack([RESTITUTION, np.zeros(batch)])
    start = model.initial_state(batch)
    orientation = start.orientation.copy()
    orientation[:, 1] = [axis_angle_to_quat(axis, angle) for axis, angle in BOX_TILTS]
    return restitution, start.position, orientation


def impact(height):
    """(j, tau): the last state j of the dropped ball's free fall before the step in which it meets the
    ground, and the part tau of that step before it does (moving at the step's velocity)."""
    n = np.arange(1, 1000)
    j = int(np.argmax(height - G * DT**2 * n * (n + 1) / 2 < BALL_RADIUS))  # state n = j + 1 would be below
    gap = height - G * DT**2 * j * (j + 1) / 2 - BALL_RADIUS
    return j, gap / (G * DT * (j + 1) * DT)


def test_restitution_gradient_is_the_rebound_speed_times_flight_time(scene):
    """d z_N / d e = v_i (t_N - t_i) and d v_N / d e = v_i for e = 0.3, 0.7, 1: the rebound speed
    e v_i scales with e, the time of impact does not move."""
    model, fn = scene
    restitution, position, orientation = initial_values(model)
    loss, ball_speed, d_restitution, _, _ = fn(restitution, position, orientation)
    j, tau = impact(BALL_RADIUS + DROP)
    assert 0 < tau < 1
    impact_speed = G * DT * (j + tau + 0.5)  # the half step's velocity carried to tau into the step
    # The bounce: e v_i at the impact, less what gravity takes from then to the half step j + 1.
    np.testing.assert_allclose(ball_speed[j + 1], RESTITUTION * impact_speed - (0.5 - tau) * G * DT,
                               rtol=RTOL_CLOSED_FORM)
    assert np.all(ball_speed[j + 2:] < ball_speed[j + 1]) and np.all(ball_speed[j] < 0)
    expected = impact_speed * DT * (STEPS - j - tau) + BALL_VELOCITY_WEIGHT * impact_speed
    np.testing.assert_allclose(d_restitution[:, 0], expected, rtol=RTOL_CLOSED_FORM)
    # And central differences (each world's loss depends on its own restitution only).
    step = np.zeros_like(restitution)
    step[:, 0] = EPS
    numeric = (fn(restitution + step, position, orientation)[0]
               - fn(restitution - step, position, orientation)[0]) / (2 * EPS)
    np.testing.assert_allclose(d_restitution[:, 0], numeric, rtol=RTOL_DIFFERENCES)
    np.testing.assert_array_equal(d_restitution[:, 1], 0.0)  # the box never bounces (restitution 0)


def central_differences(fn, args, which, eps=EPS_POSE):
    """(batch, components) central differences of the per-world losses in args[which][:, 1, i]."""
    base = args[which]
    columns = []
    for i in range(base.shape[-1]):
        step = np.zeros_like(base)
        step[:, 1, i] = eps
        plus, minus = list(args), list(args)
        plus[which], minus[which] = base + step, base - step
        columns.append((fn(*plus)[0] - fn(*minus)[0]) / (2 * eps))
    return np.stack(columns, axis=-1)


def test_initial_position_and_orientation_gradients_through_a_tumbling_landing(scene):
    """The box lands on a corner, tips and slides (contacts switching on and off): d loss / d x_0
    and d loss / d q_0 against central differences; horizontally, the flat ground's translation
    invariance gives d loss / d (x_0, y_0) = (1, 0.5) exactly."""
    model, fn = scene
    args = initial_values(model)
    _, _, _, d_position, d_orientation = fn(*args)
    np.testing.assert_allclose(d_position[:, 1, :2], np.tile([1.0, 0.5], (3, 1)), rtol=RTOL_CLOSED_FORM)
    for which, symbolic in ((1, d_position[:, 1]), (2, d_orientation[:, 1])):
        numeric = central_differences(fn, args, which)
        np.testing.assert_allclose(symbolic, numeric, rtol=0, atol=RTOL_POSE_DIFFERENCES * np.abs(numeric).max())
    # The orientation matters: the gradient is O(1) in each world.
    assert np.all(np.abs(d_orientation[:, 1]).max(-1) > 0.1)


# -- motor gain and max torque -------------------------------------------------------------------
LEVER_HALF_EXTENTS = (0.2, 0.02, 0.02)  # m: a 1 kg lever hinged at one end, its centre 0.2 m out
LEVER_TARGET = -0.6  # rad, 0.6 rad above horizontal
LEVER_STEPS = 30
# (gain 1/s, max torque N m) per servo: m g d = 1.96 N m of load, I = 0.053 kg m^2 about the hinge;
# each servo first saturates (accelerating at about (tau_max - m g d) / I), then follows its gain, so
# the final angle (-0.33, -0.45, -0.42 rad) depends on both.  Each servo runs in two worlds of one
# batch: the gain's differences perturb the first three, the max torque's the last three.
LEVER_MOTORS = np.array([(3.0, 3.0), (5.0, 4.0), (8.0, 2.5)])
# Measured: central differences (EPS 1e-6) agree to 1.0e-10 rad s (gain) and 9.0e-11 rad / (N m)
# (max torque) with derivatives of 0.012 to 0.35 (the differences' round-off); the params rollout
# equals the model-built one to 0.
ATOL_MOTOR_DIFFERENCES = 4e-10
ATOL_MODEL_BUILT = 1e-15  # rad


def lever_model(gain=30.0, max_torque=3.0):
    world = sp.World(dt=DT)
    lever = world.add_box(half_extents=LEVER_HALF_EXTENTS, mass=1.0, position=(LEVER_HALF_EXTENTS[0], 0, 1))
    world.add_motor(world.add_hinge(None, lever, anchor=(0, 0, 1), axis=(0, 1, 0)), max_torque=max_torque,
                    gain=gain)
    return world.build()


@pytest.fixture(scope="module")
def lever():
    """fn(gain (6, 1), max_torque (6, 1)) -> (final angle per world, d sum / d gain,
    d sum / d max_torque)."""
    model = lever_model()
    batch = 2 * len(LEVER_MOTORS)
    state = sp.symbolic_state(model, batch)
    params = sp.symbolic_params(model, batch)
    final, _ = sp.rollout(model, state, LEVER_STEPS, params, controls=np.full((LEVER_STEPS, batch, 1), LEVER_TARGET))
    angle = sp.joint_angles(model, final)[:, 0]
    inputs = [params.motor_gain, params.motor_max_torque]
    return sp.compile(inputs, [angle] + sp.grad(angle.sum(), inputs))


def test_servo_gain_and_max_torque_gradients_match_central_differences(lever):
    """d theta_N / d gain and d theta_N / d tau_max against central differences; both negative
    (a stiffer or stronger servo lifts the lever further)."""
    gain, max_torque = np.tile(LEVER_MOTORS[:, :1], (2, 1)), np.tile(LEVER_MOTORS[:, 1:], (2, 1))
    angle, d_gain, d_torque = lever(gain, max_torque)
    assert np.all(angle < -0.3) and np.all(angle > LEVER_TARGET)
    step = np.zeros_like(gain)
    step[:3] = EPS  # worlds 0-2: the gain's, worlds 3-5: the max torque's differences
    plus, minus = lever(gain + step, max_torque + EPS - step)[0], lever(gain - step, max_torque - EPS + step)[0]
    numeric = (plus - minus) / (2 * EPS)
    np.testing.assert_allclose(d_gain[:3, 0], numeric[:3], rtol=0, atol=ATOL_MOTOR_DIFFERENCES)
    np.testing.assert_allclose(d_torque[3:, 0], numeric[3:], rtol=0, atol=ATOL_MOTOR_DIFFERENCES)
    assert np.all(d_gain < -0.005) and np.all(d_torque < -0.005), (d_gain, d_torque)


def test_servo_params_equal_a_model_built_with_them(lever):
    """The gain and max torque given as params (graph inputs, a batch of worlds) move the lever as a
    model built with those values does (constants in its graph, one world)."""
    angle = lever(np.tile(LEVER_MOTORS[:, :1], (2, 1)), np.tile(LEVER_MOTORS[:, 1:], (2, 1)))[0]
    gain, max_torque = LEVER_MOTORS[1]
    model = lever_model(gain, max_torque)
    final, _ = sp.rollout(model, model.initial_state(), LEVER_STEPS, controls=np.full((LEVER_STEPS, 1), LEVER_TARGET))
    (built,) = sp.compile([], [sp.joint_angles(model, final)])()
    np.testing.assert_allclose(built, angle[1], rtol=0, atol=ATOL_MODEL_BUILT)
