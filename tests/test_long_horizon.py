"""Long horizons: 10,000 steps on the default solver (`make test-slow`).

Scenes at rest, or coming to rest, must stay there: no drift beyond 1 mm once settled, no energy
growth, the final state at rest.  A resting box; a ball rolling on the ground (no rolling
resistance: it keeps rolling, and its energy must not grow); the quadruped standing on its servos;
the arm holding a pose on its servos.  (A resting stack waits for body-body contacts.)  Each test
prints its figures (benchmarks/RESULTS.md, "Reliability").
"""

import time

import numpy as np
import pytest

import symphys as sp
from symphys.rotations import quat_to_matrix
from symphys_models import arm, quadruped

STEPS = 10_000
SETTLE = 0.2  # share of the run after which a resting scene counts as settled
DRIFT = 1e-3  # m, largest displacement of any body after settling
REST_SPEED = 1e-3  # m/s and rad/s, final speeds of a scene at rest
ENERGY_GROWTH = 1e-6  # J/kg, largest rise of the energy above its settled value

pytestmark = pytest.mark.slow


def energy(model, trajectory, gravity):
    """(steps + 1,) kinetic plus potential energy (J) of all bodies."""
    m = model.body_mass
    kinetic = 0.5 * (m * np.sum(trajectory.velocity**2, -1)).sum(-1)
    rotation = np.stack([quat_to_matrix(q) for q in trajectory.orientation.reshape(-1, 4)]).reshape(
        *trajectory.orientation.shape[:-1], 3, 3)
    inertia = np.einsum("tnij,nj,tnkj->tnik", rotation, model.body_inertia, rotation)
    spin = 0.5 * np.einsum("tni,tnij,tnj->t", trajectory.angular_velocity, inertia, trajectory.angular_velocity)
    potential = -(m * (trajectory.position @ np.asarray(gravity))).sum(-1)
    return kinetic + spin + potential


def figures(name, model, trajectory, seconds, gravity):
    settled = int(SETTLE * STEPS)
    drift = np.linalg.norm(trajectory.position[settled:] - trajectory.position[settled], axis=-1).max()
    e = energy(model, trajectory, gravity)
    growth = (e[settled:] - e[settled]).max() / model.body_mass.sum()
    speed = max(np.abs(trajectory.velocity[-1]).max(), np.abs(trajectory.angular_velocity[-1]).max())
    print(f"\n{name}: {STEPS} steps ({STEPS * model.dt:g} s) in {seconds:.1f} s; drift after settling "
          f"{drift * 1e3:.3g} mm; energy rise {growth:.2e} J/kg; final speed {speed:.2e}")
    return drift, growth, speed


def test_resting_box_stays_put():
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.8)
    world.add_box(half_extents=(0.2, 0.1, 0.05), mass=2.0, position=(0, 0, 0.05))
    world.add_capsule(radius=0.05, length=0.3, mass=0.5, position=(1, 0, 0.05),
                      orientation=(np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0))
    model = world.build()
    start = time.perf_counter()
    trajectory = sp.simulate(model, steps=STEPS)
    drift, growth, speed = figures("resting box and capsule", model, trajectory, time.perf_counter() - start,
                                   model.gravity)
    assert drift < DRIFT and growth < ENERGY_GROWTH and speed < REST_SPEED


def test_rolling_ball_never_gains_energy():
    """No rolling resistance: the ball rolls on at (nearly) its initial speed; its energy never grows."""
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.8)
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0.1), velocity=(1.0, 0, 0), angular_velocity=(0, 10.0, 0))
    model = world.build()
    start = time.perf_counter()
    trajectory = sp.simulate(model, steps=STEPS)
    seconds = time.perf_counter() - start
    e = energy(model, trajectory, model.gravity)
    rise = (e - e[0]).max()
    loss = 1 - e[-1] / e[0]
    z = trajectory.position[:, 0, 2]
    print(f"\nrolling ball: {STEPS} steps in {seconds:.1f} s; energy rise {rise:.2e} J, lost {loss:.2%}; final "
          f"speed {np.linalg.norm(trajectory.velocity[-1]):.4f} m/s, "
          f"height {z.min() * 1e3:.2f}-{z[100:].max() * 1e3:.2f} mm")
    assert rise < 1e-9 and abs(z[100:] - 0.1).max() < DRIFT


def test_quadruped_stands_on_its_servos():
    model = quadruped.build_model()
    state = sp.symbolic_state(model)
    _, trajectory = sp.rollout(model, state, STEPS, controls=np.zeros((STEPS, model.n_motors)))
    fn = sp.compile([state.position], trajectory)
    start = time.perf_counter()
    result = fn(model.initial_state().position)
    sp.check_finite(model, result)
    drift, growth, speed = figures("quadruped standing on its servos", model, result, time.perf_counter() - start,
                                   model.gravity)
    assert drift < DRIFT and growth < ENERGY_GROWTH and speed < REST_SPEED


@pytest.mark.xfail(strict=True, reason=(
    "measured: the joint angles reach the pose exactly, but the chain keeps wobbling on its soft joints "
    "(the base rocks about its hinge to the world, ~0.01 rad at ~3 Hz): the forearm moves 19 mm peak to "
    "peak over the last 10 s, speeds 0.07 m/s / 0.18 rad/s at 100 s, decaying slowly (0.32 rad/s at 5 s)"))
def test_arm_holds_a_pose():
    """The arm (no gravity) driven to a pose by its servos, then held for the rest of the run."""
    model = arm.build_model()
    pose = np.array([0.3, 0.5, -0.2, -0.6])  # rad: base yaw, shoulder pitch, elbow yaw, elbow pitch
    state = sp.symbolic_state(model)
    _, trajectory = sp.rollout(model, state, STEPS, controls=np.tile(pose, (STEPS, 1)))
    fn = sp.compile([state.position], trajectory)
    start = time.perf_counter()
    result = fn(model.initial_state().position)
    sp.check_finite(model, result)
    drift, growth, speed = figures("arm holding a pose", model, result, time.perf_counter() - start, np.zeros(3))
    angles = sp.compile([state.position, state.orientation], [sp.joint_angles(model, state)])
    (final,) = angles(result.position[-1], result.orientation[-1])
    print(f"arm: final joint angles {np.round(final, 4).tolist()} rad, target {pose.tolist()}")
    np.testing.assert_allclose(final, pose, atol=1e-2)
    assert drift < DRIFT and growth < ENERGY_GROWTH and speed < REST_SPEED
