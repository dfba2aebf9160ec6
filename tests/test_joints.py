"""Joints, limits and motors against closed forms and finite differences."""

import numpy as np
import pytest
from conftest import NEWTON, G

import symphys as sp
from symphys import math3d

PERIOD_RTOL = 0.02  # issue acceptance
ANCHOR_LIMIT = 1e-3  # m
LIMIT_OVERSHOOT = 0.01  # rad


def hanging_rod(dt=0.01, length=0.5, mass=1.0, **hinge):
    world = sp.World(dt=dt)
    rod = world.add_box(half_extents=(0.02, 0.02, length / 2), mass=mass, position=(0, 0, -length / 2))
    joint = world.add_hinge(None, rod, anchor=(0, 0, 0), axis=(0, 1, 0), **hinge)
    return world, rod, joint


def swing(model, angular_speed):
    """Initial state of the rod swinging about y through its hinge at the origin."""
    half = model.body_size[0, 2]
    state = model.initial_state()
    return state.replace(angular_velocity=np.array([[0.0, angular_speed, 0.0]]),
                         velocity=np.array([[-angular_speed * half, 0.0, 0.0]]))


def test_pendulum_small_angle_period():
    world, rod, _ = hanging_rod()
    model = world.build()
    traj = sp.simulate(model, swing(model, 0.1), steps=1000)
    x = traj.position[:, 0, 0]
    upward = np.nonzero((x[:-1] < 0) & (x[1:] >= 0))[0]
    period = np.diff(upward).mean() * model.dt
    inertia = model.body_inertia[0, 1] + model.body_mass[0] * 0.25**2
    expected = 2 * np.pi * np.sqrt(inertia / (model.body_mass[0] * G * 0.25))
    assert len(upward) >= 5
    assert abs(period - expected) / expected < PERIOD_RTOL, (period, expected)


def double_pendulum():
    world = sp.World(dt=0.01)
    upper = world.add_box(half_extents=(0.03, 0.03, 0.2), mass=1.0, position=(0, 0, -0.2))
    lower = world.add_capsule(radius=0.03, length=0.3, mass=0.5, position=(0, 0, -0.55))
    world.add_hinge(None, upper, anchor=(0, 0, 0), axis=(0, 1, 0))
    world.add_hinge(upper, lower, anchor=(0, 0, -0.4), axis=(0, 1, 0))
    model = world.build()
    state = model.initial_state().replace(angular_velocity=np.array([[0, 3.0, 0], [0, -2.0, 0]]),
                                          velocity=np.array([[-0.6, 0, 0], [-0.45, 0, 0]]))
    return model, state


def rotate(q, v):
    w, x, y, z = np.moveaxis(q, -1, 0)
    u = np.stack([x, y, z], -1)
    return v + 2 * np.cross(u, np.cross(u, v) + w[..., None] * v)


def test_hinges_keep_anchor_and_axis_over_10_seconds():
    model, state = double_pendulum()
    traj = sp.simulate(model, state, steps=1000)
    p, q = traj.position, traj.orientation
    top = p[:, 0] + rotate(q[:, 0], model.joint_anchor_child[0])
    elbow_upper = p[:, 0] + rotate(q[:, 0], model.joint_anchor_parent[1])
    elbow_lower = p[:, 1] + rotate(q[:, 1], model.joint_anchor_child[1])
    assert np.linalg.norm(top, axis=-1).max() < ANCHOR_LIMIT
    assert np.linalg.norm(elbow_upper - elbow_lower, axis=-1).max() < ANCHOR_LIMIT
    for body in (0, 1):
        axis = rotate(q[:, body], model.joint_axis_child[body])
        assert np.abs(axis[:, [0, 2]]).max() < 1e-3  # still along y
    # It really moved: the lower link swung through a large angle.
    assert np.ptp(p[:, 1, 0]) > 0.2


def floating_chain(masses):
    """Four capsules in a row along x, joined by ball, hinge (axis z) and ball joints, no gravity."""
    world = sp.World(dt=0.01, gravity=(0, 0, 0))
    links = [world.add_capsule(radius=0.05, length=0.2, mass=mass, position=(0.3 * i, 0, 0),
                               orientation=(np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0))
             for i, mass in enumerate(masses)]
    world.add_ball_joint(links[0], links[1], anchor=(0.15, 0, 0))
    world.add_hinge(links[1], links[2], anchor=(0.45, 0, 0), axis=(0, 0, 1))
    world.add_ball_joint(links[2], links[3], anchor=(0.75, 0, 0))
    return world.build()


def anchor_separation(model, traj):
    """(steps + 1, n_joints) distance (m) between each joint's anchor on its parent and on its child."""
    p, q = traj.position, traj.orientation
    gaps = []
    for j in range(model.n_joints):
        a, b = model.joint_parent[j], model.joint_child[j]
        on_parent = p[:, a] + rotate(q[:, a], model.joint_anchor_parent[j])
        on_child = p[:, b] + rotate(q[:, b], model.joint_anchor_child[j])
        gaps.append(np.linalg.norm(on_parent - on_child, axis=-1))
    return np.stack(gaps, axis=1)


def momenta(model, traj, t):
    """Linear momentum (kg m/s) and angular momentum about the centre of mass (kg m^2/s) at step t."""
    mass = model.body_mass[:, None]
    linear = (mass * traj.velocity[t]).sum(0)
    centre = (mass * traj.position[t]).sum(0) / mass.sum()
    angular = np.cross(traj.position[t] - centre, mass * traj.velocity[t]).sum(0)
    for i in range(model.n_bodies):
        r = _rotation(traj.orientation[t, i])
        angular += r @ np.diag(model.body_inertia[i]) @ r.T @ traj.angular_velocity[t, i]
    return linear, angular


# (link masses kg, angular momentum relative error, anchor gap m, hinge axis misalignment rad):
# bounds 2x the measured 6.3e-4, 0.76 mm, 1.7e-3 rad (1-1.6 kg); 3.0e-3, 1.07 mm, 3.1e-3 rad
# (10 g to 1 kg); 1.6e-3, 0.75 mm, 1.2e-3 rad (100 kg to 1 kg).  Free, unjointed bodies
# conserve both momenta too but drift metres apart.
CHAINS = [((1.0, 1.2, 1.4, 1.6), 1.3e-3, 1.5e-3, 3.5e-3),
          ((0.01, 0.05, 0.1, 1.0), 6e-3, 2.2e-3, 6.2e-3),
          ((100.0, 50.0, 10.0, 1.0), 3.2e-3, 1.5e-3, 2.4e-3)]


@pytest.mark.parametrize("masses, rtol_angular, gap_limit, axis_limit", CHAINS, ids=["1kg", "10g-1kg", "100kg-1kg"])
def test_chain_without_gravity_conserves_momentum(masses, rtol_angular, gap_limit, axis_limit):
    """A tumbling chain of ball and hinge joints without gravity: linear momentum and angular
    momentum about the centre of mass are conserved (joint impulses are internal, equal and
    opposite at a shared anchor); the anchors stay together and the hinge keeps its axis."""
    model = floating_chain(masses)
    rng = np.random.default_rng(1)
    state = model.initial_state().replace(velocity=rng.normal(0, 1, (4, 3)),
                                          angular_velocity=rng.normal(0, 2, (4, 3)))
    traj = sp.simulate(model, state, steps=300)
    linear0, angular0 = momenta(model, traj, 0)
    worst = 0.0
    for t in range(1, 301):
        linear, angular = momenta(model, traj, t)
        np.testing.assert_allclose(linear, linear0, atol=1e-12 * np.abs(model.body_mass).sum())
        worst = max(worst, np.abs(angular - angular0).max() / np.linalg.norm(angular0))
    gap = anchor_separation(model, traj).max()
    hinge = 1  # the middle joint
    axis_parent = rotate(traj.orientation[:, 1], model.joint_axis_parent[hinge])
    axis_child = rotate(traj.orientation[:, 2], model.joint_axis_child[hinge])
    misalignment = np.linalg.norm(np.cross(axis_parent, axis_child), axis=-1).max()
    assert worst < rtol_angular
    assert gap < gap_limit
    assert misalignment < axis_limit
    # It tumbled: the chain's links turned through large angles relative to each other.
    assert np.ptp(traj.orientation[:, :, 0]) > 0.5


def _rotation(q):
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def test_limit_holds():
    world, rod, joint = hanging_rod(lower=-0.3, upper=0.4)
    model = world.build()
    state = sp.symbolic_state(model)
    _, traj = sp.rollout(model, state, 300)
    angles = sp.joint_angles(model, traj)
    fn = sp.compile([state.velocity, state.angular_velocity], [angles])
    for speed in (4.0, -4.0):  # enough to swing far past either limit
        start = swing(model, speed)
        (angle,) = fn(start.velocity, start.angular_velocity)
        assert angle.min() > -0.3 - LIMIT_OVERSHOOT and angle.max() < 0.4 + LIMIT_OVERSHOOT
        assert angle.max() > 0.39 if speed > 0 else angle.min() < -0.29  # it reached the limit


def servo_angles(model, steps, target):
    """Joint angles (steps + 1, n_hinges) of a rollout with a constant servo target (rad)."""
    state = sp.symbolic_state(model)
    controls = sp.backend.tensor("controls", (steps, 1), model.dtype)
    _, traj = sp.rollout(model, state, steps, controls=controls)
    (angle,) = sp.compile([controls], [sp.joint_angles(model, traj)])(np.full((steps, 1), target))
    return angle


@pytest.mark.parametrize("target", [0.7, -1.2])
def test_servo_settles_at_target_against_gravity(target):
    world, rod, joint = hanging_rod()
    world.add_motor(joint, max_torque=10.0, gain=30.0, max_speed=np.pi / 4)
    model = world.build()
    angle = servo_angles(model, 400, target)
    assert abs(angle[-1, 0] - target) < 0.01
    # Speed limited to 45 deg/s: it cannot get there faster than |target| / (pi/4).
    reached = np.argmax(np.abs(angle[:, 0] - target) < 0.02) * model.dt
    assert reached >= abs(target) / (np.pi / 4) - 0.05


def test_servo_on_a_free_hinge_takes_the_short_way():
    """A hinge without limits turns freely: a target of 3/2 pi is reached as -pi/2."""
    world = sp.World(dt=0.01, gravity=(0, 0, 0))
    wheel = world.add_box(half_extents=(0.3, 0.05, 0.05), mass=1.0)
    joint = world.add_hinge(None, wheel, anchor=(0, 0, 0), axis=(0, 0, 1))
    world.add_motor(joint, max_torque=10.0, gain=30.0, max_speed=np.pi / 2)
    model = world.build()
    angle = servo_angles(model, 200, 1.5 * np.pi)
    assert angle[:, 0].max() < 1e-6  # it never turned the long way (positive)
    np.testing.assert_allclose(angle[-1, 0], -np.pi / 2, atol=0.01)
    # Quarter turn at max speed pi/2 rad/s: about 1 s.
    reached = np.argmax(np.abs(angle[:, 0] + np.pi / 2) < 0.02) * model.dt
    assert 0.95 < reached < 1.2


def test_servo_torque_limit_is_respected():
    world, rod, joint = hanging_rod()  # holding it horizontal needs m g L/2 = 2.45 N m
    world.add_motor(joint, max_torque=1.0, gain=30.0, max_speed=np.pi)
    angle = servo_angles(world.build(), 300, np.pi / 2)
    # A stalled motor is a constant 1 N m torque: the rod swings from rest up to
    # the angle where the motor's work equals the gain in potential energy,
    # 1 N m * a = m g (L/2) (1 - cos a), far short of the pi/2 target.
    from scipy.optimize import brentq

    highest = brentq(lambda a: 1.0 * a - G * 0.25 * (1 - np.cos(a)), 0.1, 3.0)
    np.testing.assert_allclose(angle[:, 0].max(), highest, atol=0.03)


# Link masses (kg) of the two-link arm below: 10 g to 100 kg, ratios 1:1 to 1:100.
ARM_MASSES = [(1.0, 0.5), (0.01, 0.01), (100.0, 10.0), (0.05, 5.0)]
# Central differences (step 1e-6) against the exact derivatives: measured error up to 1.8e-9 of the
# O(1) derivative (round-off of the loss divided by the step, ~1e-16 / 1e-6, over 40 steps).
RTOL_JOINT_GRADIENT = 4e-9
def two_link_arm_gradients(method, masses, rtol):
    """Tip position plus elbow angle after 0.4 s of a two-link arm (shoulder servo, elbow
    velocity motor): its O(1) derivatives w.r.t. the servo's target and the motor's speed
    (shifted for all steps, and at single steps) equal central differences to ``rtol``."""
    world = sp.World(dt=0.01, method=method)
    upper = world.add_box(half_extents=(0.03, 0.03, 0.2), mass=1.0, position=(0, 0, -0.2))
    lower = world.add_box(half_extents=(0.03, 0.03, 0.15), mass=0.5, position=(0, 0, -0.55))
    shoulder = world.add_hinge(None, upper, anchor=(0, 0, 0), axis=(0, 1, 0))
    elbow = world.add_hinge(upper, lower, anchor=(0, 0, -0.4), axis=(0, 1, 0), lower=-1.5, upper=1.5)
    world.add_motor(shoulder, max_torque=20.0, gain=20.0, max_speed=3.0)
    world.add_motor(elbow, max_torque=20.0, servo=False)
    model = world.build()
    steps = 40
    state = sp.symbolic_state(model)
    params = sp.symbolic_params(model)
    controls = sp.backend.tensor("controls", (steps, 2), model.dtype)
    final, _ = sp.rollout(model, state, steps, params, controls=controls)
    tip = final.position[1] + math3d.quat_rotate(final.orientation[1], np.array([0.0, 0.0, -0.15]))
    loss = tip[0] + sp.joint_angles(model, final)[1]  # m + rad
    fn = sp.compile([controls, params.body_mass], [loss, sp.grad(loss, controls)])
    u = np.column_stack([np.linspace(0, 0.8, steps), 0.5 * np.sin(np.linspace(0, 3, steps))])
    eps = 1e-6

    def central(mass, direction):
        return (fn(u + eps * direction, mass)[0] - fn(u - eps * direction, mass)[0]) / (2 * eps)

    for mass in map(np.array, masses):
        _, g_controls = fn(u, mass)
        scale = 0.0
        for k in range(2):  # the servo's target (rad), then the motor's speed (rad/s), at every step
            direction = np.zeros_like(u)
            direction[:, k] = 1.0
            numeric = central(mass, direction)
            assert abs(numeric) > 0.2, (mass, k, numeric)  # O(1): tens of cm and rad per rad
            assert abs(g_controls[:, k].sum() - numeric) <= rtol * abs(numeric), (mass, k)
            scale = max(scale, abs(numeric))
        for t, k in [(0, 0), (10, 0), (25, 1), (39, 1), (5, 1)]:  # single steps, relative to the O(1) scale
            direction = np.zeros_like(u)
            direction[t, k] = 1.0
            assert abs(g_controls[t, k] - central(mass, direction)) <= rtol * scale, (mass, t, k)


@pytest.mark.parametrize("method", ["auto", NEWTON])
def test_gradient_through_joints_and_motors_matches_finite_differences(method):
    """The two-link arm's gradients on Gauss-Seidel (``auto``) and Newton (implicit differentiation:
    measured <= 1e-9 relative, 8 iterations), link masses from 10 g to 100 kg."""
    two_link_arm_gradients(method, ARM_MASSES, RTOL_JOINT_GRADIENT)


@pytest.mark.parametrize("kwargs, name", [
    (dict(parent=None, child=None), "child"),
    (dict(parent="nobody", child=0), "parent"),
    (dict(parent=0, child=0), "child"),
    (dict(parent=None, child=0, axis=(0, 0, 0)), "axis"),
    (dict(parent=None, child=0, anchor=(0, float("nan"), 0)), "anchor"),
    (dict(parent=None, child=0, lower=0.5, upper=0.2), "lower"),
    (dict(parent=None, child=7), "child"),
])
def test_bad_joints_name_the_argument(kwargs, name):
    world = sp.World()
    world.add_box(half_extents=(0.1, 0.1, 0.1))
    args = dict(anchor=(0, 0, 0), axis=(0, 1, 0))
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        world.add_hinge(**args)


def test_motor_only_on_hinges():
    world = sp.World()
    a = world.add_box(half_extents=(0.1, 0.1, 0.1))
    ball = world.add_ball_joint(None, a, anchor=(0, 0, 0.1))
    with pytest.raises(ValueError, match="joint"):
        world.add_motor(ball, max_torque=1.0)


def test_joint_sensors_of_a_batched_trajectory_are_per_time_and_world():
    """joint_angles/joint_speeds of a (time, batch) trajectory: each time and world's own hinge
    (two worlds spinning one wheel at 1 and -3 rad/s; the batch size differs from the body count)."""
    world = sp.World(dt=0.01, gravity=(0, 0, 0))
    wheel = world.add_box(half_extents=(0.2, 0.1, 0.02), position=(0, 0, 1))
    world.add_hinge(None, wheel, anchor=(0, 0, 1), axis=(0, 0, 1))
    model = world.build()
    state = sp.symbolic_state(model, 2)
    _, trajectory = sp.rollout(model, state, 5)
    spin = np.array([[[0, 0, 1.0]], [[0, 0, -3.0]]])
    angles, speeds = sp.compile([state.angular_velocity],
                                [sp.joint_angles(model, trajectory), sp.joint_speeds(model, trajectory)])(spin)
    assert angles.shape == speeds.shape == (6, 2, 1)
    np.testing.assert_allclose(speeds[..., 0], np.tile([1.0, -3.0], (6, 1)), atol=1e-9)
    # The quaternion update turns by 2 atan(w dt / 2) per step: (w dt)^2 / 12 short of w dt (7.5e-5 at 3 rad/s).
    np.testing.assert_allclose(angles[:, :, 0], np.arange(6)[:, None] * 0.01 * np.array([1.0, -3.0]), rtol=1e-4)
