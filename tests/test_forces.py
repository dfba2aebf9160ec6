"""The forward effect of an external wrench, ``rollout(..., wrench=...)``, on free bodies.

A wrench is [force N, torque N m] at each body's centre of mass, world frame.
Without constraints semi-implicit Euler has exact discrete solutions, so a
constant force must give x_n = x0 + v0 n dt + a dt^2 n (n + 1) / 2 with
a = F / m + g, and a torque about a principal axis must spin the body up as
w_n = n dt tau / I.  A force F applied at a point r off the centre of mass is
the wrench [F, r x F]: the centre moves as if F acted there, and the body's
angular momentum grows as (r x F) t.  Bodies from 10 g to 100 kg, batched
(one wrench per world) and unbatched.
"""

import numpy as np
import pytest
from conftest import G

import symphys as sp
from symphys.rotations import axis_angle_to_quat, quat_multiply, quat_to_matrix

DT = 0.01  # s
STEPS = 60
GRAVITY = np.array([0.0, 0.0, -G])
MASSES = (0.01, 1.0, 100.0)  # kg: a 10 g sphere, a 1 kg box, a 100 kg box
SPHERE_RADIUS = 0.02  # m
HALF_EXTENTS = ((0.1, 0.2, 0.3), (0.5, 0.25, 0.15))  # m, the two boxes
BATCH = 3
# The exact discrete solutions hold to float64 round-off: measured 8e-15 of the largest value
# compared (positions, velocities, rotation vectors).  A batch equals separate runs to 4.4e-16
# on JAX 0.10, and to 4.3e-14 on JAX 0.12, whose XLA fuses batched and unbatched products
# differently (fused multiply-adds): still round-off, a thousand times below any physics bound.
RTOL_EXACT = 2e-14
RTOL_BATCH = 1e-12
# Angular momentum of a tumbling asymmetric body under a constant torque: the explicit
# gyroscopic term makes L drift from L0 + tau t at first order in dt (measured on the 1 kg box:
# 9.6e-3, 4.8e-3, 2.4e-3, 1.2e-3 for dt = 10, 5, 2.5, 1.25 ms; 0.21 without the gyroscopic
# term).  Measured here, dt 10 ms, 0.6 s, |w| up to 6 rad/s: 2.3e-2 relative.
RTOL_MOMENTUM = 0.03


def free_bodies():
    """Three free bodies in one world, posed at arbitrary orientations, with gravity."""
    world = sp.World(dt=DT, gravity=tuple(GRAVITY))
    world.add_sphere(radius=SPHERE_RADIUS, mass=MASSES[0], position=(0, 0, 5), velocity=(1, -2, 3))
    world.add_box(half_extents=HALF_EXTENTS[0], mass=MASSES[1], position=(2, 0, 5), velocity=(0, 0.5, 0),
                  orientation=axis_angle_to_quat((1, 2, 3), 0.7))
    world.add_box(half_extents=HALF_EXTENTS[1], mass=MASSES[2], position=(-2, 1, 0), velocity=(-1, 0, 2),
                  orientation=axis_angle_to_quat((-2, 1, 0.5), 2.1))
    return world.build()


def principal_inertia(model):
    """(n_bodies, 3) principal moments, kg m^2, from the shapes' closed forms (not the model's)."""
    sphere = 0.4 * MASSES[0] * SPHERE_RADIUS**2 * np.ones(3)
    boxes = [m / 3 * np.array([b * b + c * c, a * a + c * c, a * a + b * b])
             for m, (a, b, c) in zip(MASSES[1:], HALF_EXTENTS)]
    return np.array([sphere, *boxes])


@pytest.fixture(scope="module")
def model():
    return free_bodies()


@pytest.fixture(scope="module")
def run(model):
    """run(wrench) -> trajectory State: wrench (STEPS, [BATCH,] 3, 6), constant per step.

    Two compiled rollouts (batched over BATCH worlds, and unbatched), compiled on first use.
    """
    compiled = {}

    def call(wrench):
        batched = wrench.ndim == 4
        if batched not in compiled:
            state = sp.symbolic_state(model, BATCH if batched else None)
            w = sp.backend.tensor("wrench", wrench.shape, model.dtype)
            _, trajectory = sp.rollout(model, state, STEPS, wrench=w)
            compiled[batched] = sp.compile([w], trajectory)
        return compiled[batched](wrench)

    return call


def constant(per_world):
    """(STEPS, [BATCH,] 3, 6) wrench sequence repeating ``per_world``."""
    return np.repeat(np.asarray(per_world, dtype=float)[None], STEPS, axis=0)


def expected_position(x0, v0, acceleration):
    """Semi-implicit Euler's exact discrete solution under constant acceleration: (STEPS+1, ..., 3)."""
    shape = np.broadcast_shapes(np.shape(x0), np.shape(v0), np.shape(acceleration))
    n = np.arange(STEPS + 1).reshape(-1, *([1] * len(shape)))
    return x0 + v0 * n * DT + acceleration * DT**2 * n * (n + 1) / 2


def assert_close(actual, expected, rtol=RTOL_EXACT):
    expected = np.broadcast_to(expected, actual.shape)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol * scale)


FORCES = np.array([[[0.3, -0.1, 0.2], [5.0, 0.0, -9.0], [-400.0, 1000.0, 981.0]],
                   [[0.0, 0.0, 0.0981], [-2.0, 3.0, 1.0], [1500.0, 0.0, -200.0]],
                   [[-0.05, 0.05, 0.0], [0.0, 0.0, 9.81], [0.0, -700.0, 0.0]]])  # N, (world, body, xyz)


@pytest.mark.parametrize("batched", [True, False])
def test_constant_force_gives_uniform_acceleration(model, run, batched):
    """x_n = x0 + v0 n dt + (F / m + g) dt^2 n (n + 1) / 2, v_n = v0 + n dt (F / m + g) for every
    body and world; a force of m g upward (second world, sphere; third world, 1 kg box) holds it
    level."""
    forces = FORCES if batched else FORCES[1]
    wrench = np.concatenate([forces, np.zeros_like(forces)], axis=-1)
    trajectory = run(constant(wrench))
    acceleration = forces / model.body_mass[:, None] + GRAVITY
    x0, v0 = model.init_position, model.init_velocity
    assert_close(trajectory.position, expected_position(x0, v0, acceleration))
    n = np.arange(STEPS + 1).reshape(-1, *([1] * forces.ndim))
    assert_close(trajectory.velocity, v0 + n * DT * acceleration)
    # No torque: the bodies do not start to spin.
    assert np.abs(trajectory.angular_velocity).max() == 0.0


def rotation_vector(q0, q1):
    """Axis times angle (rad, world frame) of the rotation taking unit quaternions q0 to q1."""
    relative = quat_multiply(q1, q0 * np.array([1, -1, -1, -1]))
    relative = relative * np.sign(relative[..., :1])
    sine = np.linalg.norm(relative[..., 1:], axis=-1, keepdims=True)
    return 2 * np.arctan2(sine, relative[..., :1]) * relative[..., 1:] / sine.clip(1e-300)


@pytest.mark.parametrize("batched", [True, False])
def test_torque_about_a_principal_axis_spins_up_linearly(model, run, batched):
    """A torque tau along a body's principal axis k: w_n = n dt tau / I_k about that axis (no
    gyroscopic torque, as I w is parallel to w), and the centre of mass does not move off its
    free-fall path.  Each world drives another principal axis of each body."""
    inertia = principal_inertia(model)
    torque_size = 0.5 * inertia.max(axis=1)  # N m: 0.5 rad/s^2 at the largest moment
    axes = np.array([[0, 1, 2], [1, 2, 0], [2, 0, 1]])[:BATCH if batched else 1]  # (world, body)
    rotation = quat_to_matrix(model.init_orientation)  # (bodies, 3, 3) body -> world
    direction = np.stack([rotation[np.arange(3), :, k] for k in axes])  # (world, body, 3): R e_k
    torque = torque_size[:, None] * direction
    moment = np.take_along_axis(inertia[None].repeat(len(axes), 0), axes[..., None], -1)[..., 0]
    wrench = np.concatenate([np.zeros_like(torque), torque], axis=-1)
    if not batched:
        wrench, direction, moment = wrench[0], direction[0], moment[0]
    trajectory = run(constant(wrench))
    n = np.arange(STEPS + 1).reshape(-1, *([1] * direction.ndim))
    spin = n * DT * (torque_size / moment)[..., None]  # (steps, ..., 1) rad/s about the axis
    assert_close(trajectory.angular_velocity, spin * direction)
    # Orientation: the first-order quaternion update turns by 2 atan(|w| dt / 2) per step about
    # the fixed axis, which is |w| dt - (|w| dt)^3 / 12 + ...
    step_angle = spin[1:, ..., 0] * DT
    turned = np.cumsum(2 * np.arctan(step_angle / 2), axis=0)
    rotated = rotation_vector(model.init_orientation, trajectory.orientation[1:])
    assert_close(rotated, turned[..., None] * direction)
    shortfall = step_angle.sum(0) - turned[-1]
    assert np.all((shortfall > 0) & (shortfall <= (step_angle**3 / 12).sum(0))), shortfall
    free_fall = expected_position(model.init_position, model.init_velocity, GRAVITY)
    assert_close(trajectory.position, free_fall[:, None] if batched else free_fall)


def test_force_off_centre_adds_the_moment_r_cross_f(model, run):
    """A force F at a point r (from the centre of mass) off the centre, wrench [F, r x F]: the
    centre of mass follows F / m + g exactly, whatever r (worlds 1-3: r = 0, r, -2 r); the body
    spins from rest at w_1 = dt I_world^-1 (r x F) after the first step; and its angular
    momentum about the centre grows as (r x F) t while it tumbles (to the explicit gyroscopic
    term's first-order drift)."""
    inertia = principal_inertia(model)
    force = np.array([[4e-4, 0.0, 2e-4], [0.3, -0.1, 0.2], [25.0, 17.0, -8.0]])  # N per body: ~5 rad/s^2
    lever = np.array([[0.0, SPHERE_RADIUS, 0.0], [0.1, 0.2, -0.3], [0.5, -0.25, 0.15]])  # m
    scale = np.array([0.0, 1.0, -2.0])[:, None, None]  # the three worlds
    moment = scale * np.cross(lever, force)  # (world, body, 3)
    wrench = np.concatenate([np.repeat(force[None], BATCH, 0), moment], axis=-1)
    trajectory = run(constant(wrench))
    acceleration = force / model.body_mass[:, None] + GRAVITY
    assert_close(trajectory.position,
                 expected_position(model.init_position, model.init_velocity, acceleration)[:, None])
    # First step: the world-frame inverse inertia R diag(1/I) R^T applied to the moment.
    rotation = quat_to_matrix(model.init_orientation)
    inv_inertia = np.einsum("bij,bj,bkj->bik", rotation, 1 / inertia, rotation)
    assert_close(trajectory.angular_velocity[1], DT * np.einsum("bij,wbj->wbi", inv_inertia, moment))
    # Angular momentum about the centre of mass, L = R diag(I) R^T w, against L0 + (r x F) t.
    world_rotation = quat_to_matrix(trajectory.orientation)
    momentum = np.einsum("...ij,...j,...kj,...k->...i", world_rotation, inertia, world_rotation,
                         trajectory.angular_velocity)
    t = DT * np.arange(STEPS + 1)[:, None, None, None]
    expected = t * moment
    error = np.abs(momentum - expected).max(axis=(0, 3)) / np.abs(expected).max(axis=(0, 3)).clip(1e-300)
    assert np.all(error[1:] < RTOL_MOMENTUM), error
    assert np.abs(trajectory.angular_velocity[:, 0]).max() == 0.0  # r = 0: no spin
    # They tumble: the angular velocity turned away from the moment's direction.
    w_end = trajectory.angular_velocity[-1, 1:]
    cosine = np.sum(w_end * moment[1:], -1) / np.linalg.norm(w_end, axis=-1) / np.linalg.norm(moment[1:], axis=-1)
    assert cosine.min() < 0.99, cosine


def test_batched_wrench_equals_separate_unbatched_rollouts(run):
    """Each world of a batch feels its own wrench: world k of the batch equals the unbatched
    rollout under world k's wrench."""
    rng = np.random.default_rng(3)
    wrench = rng.normal(0, 1, (STEPS, BATCH, 3, 6)) * np.array([0.05, 5.0, 500.0])[None, None, :, None]
    batched = run(wrench)
    for k in range(BATCH):
        alone = run(wrench[:, k])
        for a, b in zip(batched.fields(), alone.fields()):
            np.testing.assert_allclose(a[:, k], b, rtol=0, atol=RTOL_BATCH * np.abs(b).max())
    assert np.ptp(batched.position[-1, :, 2, 0]) > 1e-3  # the worlds differ

