"""Physics against closed-form answers."""

import numpy as np
import pytest
from conftest import NEWTON, G, resting_scene

import symphys as sp

ATOL_FREE_FALL = 1e-9  # float64 round-off over 200 steps
DRIFT_LIMIT = 1e-3  # m, issue acceptance: resting bodies stay within 1 mm
ROTATION_LIMIT = 0.01  # rad
STOP_TOLERANCE = 0.05  # relative, sliding stop distance vs v^2 / (2 mu g)


def rotation_angle(q0, q1):
    """Angle (rad) of the rotation taking unit quaternion q0 to q1."""
    return 2 * np.arccos(np.clip(np.abs(np.sum(q0 * q1, axis=-1)), 0, 1))


@pytest.mark.aesara
def test_free_fall_matches_semi_implicit_euler():
    dt, z0, vz0, steps = 0.01, 3.0, 2.0, 200
    world = sp.World(dt=dt)
    world.add_sphere(radius=0.1, mass=1.5, position=(0.5, -1.0, z0), velocity=(0.3, 0.0, vz0))
    traj = sp.simulate(world.build(), steps=steps)
    n = np.arange(steps + 1)
    expected_z = z0 + n * dt * vz0 - G * dt**2 * n * (n + 1) / 2
    np.testing.assert_allclose(traj.position[:, 0, 2], expected_z, rtol=0, atol=ATOL_FREE_FALL)
    np.testing.assert_allclose(traj.position[:, 0, 0], 0.5 + 0.3 * dt * n, atol=ATOL_FREE_FALL)
    np.testing.assert_allclose(traj.velocity[:, 0, 2], vz0 - G * dt * n, atol=ATOL_FREE_FALL)


@pytest.mark.aesara
@pytest.mark.parametrize("method", ["jacobi", "gauss_seidel", NEWTON])
def test_resting_bodies_stay_put(method):
    model = resting_scene(method=method)
    traj = sp.simulate(model, steps=1000)  # 10 s
    drift = np.linalg.norm(traj.position[-1] - traj.position[0], axis=-1)
    assert np.all(drift < DRIFT_LIMIT), drift
    angle = rotation_angle(traj.orientation[0], traj.orientation[-1])
    assert np.all(angle < ROTATION_LIMIT), angle
    # Settled: no jitter over the last second.
    assert np.abs(traj.velocity[-100:]).max() < 1e-3
    # A sphere's resting penetration is the soft contact's static deflection
    # g / omega^2 (one contact whose effective mass is the sphere's mass).
    omega = 2 * np.pi * model.solver.contact_frequency
    sink = model.init_position[:, 2] - traj.position[-1, :, 2]
    np.testing.assert_allclose(sink[0], G / omega**2, rtol=1e-3)


@pytest.mark.aesara
@pytest.mark.parametrize("method", ["jacobi", "gauss_seidel", NEWTON])
def test_sliding_box_stopping_distance(method):
    v0, mu = 2.0, 0.5
    world = sp.World(dt=0.01, method=method)
    world.add_ground(friction=mu)
    omega = 2 * np.pi * world.solver.contact_frequency
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=2.0, friction=mu,
                  position=(0, 0, 0.1 - G / omega**2), velocity=(v0, 0, 0))
    traj = sp.simulate(world.build(), steps=100)
    distance = traj.position[-1, 0, 0]
    expected = v0**2 / (2 * mu * G)
    assert abs(distance - expected) / expected < STOP_TOLERANCE, (distance, expected)
    assert np.abs(traj.velocity[-1, 0]).max() < 1e-6  # stopped, and static friction holds
    # Discrete semi-implicit Euler stops exactly where its recurrence says.
    n = int(v0 / (mu * G * 0.01))
    discrete = 0.01 * (n * v0 - mu * G * 0.01 * n * (n + 1) / 2)
    assert abs(distance - discrete) < 2e-3


@pytest.mark.aesara
def test_sliding_ball_starts_rolling_at_five_sevenths():
    """A sliding, non-spinning solid sphere rolls on at 5/7 of its speed
    (angular momentum about the contact point is conserved)."""
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.5)
    world.add_sphere(radius=0.2, mass=1.0, position=(0, 0, 0.2 - G / (2 * np.pi * 25) ** 2),
                     velocity=(3.0, 0, 0), friction=0.5)
    traj = sp.simulate(world.build(), steps=200)
    np.testing.assert_allclose(traj.velocity[-1, 0, 0], 5 / 7 * 3.0, rtol=2e-3)
    np.testing.assert_allclose(traj.angular_velocity[-1, 0, 1], 5 / 7 * 3.0 / 0.2, rtol=2e-3)


# Restitution sweep: e^2 differs from e and e / 2 by at least 6 cm at these e and heights.
BOUNCES = [  # (restitution, drop height m, mass kg)
    (0.3, 1.0, 1.0), (0.7, 1.0, 0.01), (0.9, 1.0, 100.0), (0.3, 0.5, 0.01), (0.7, 0.3, 100.0), (0.9, 0.8, 1.0)]
# The flight after the bounce has e^2 of the energy before it, in the invariant semi-implicit Euler's
# free flight keeps, g z + v^2 / 2 - g dt v / 2: measured within 1.2e-5 relative at dt 0.001 (the bounce
# is placed at its time of impact within the step, contact_normal.py), and the apex within 1.1 um of
# e^2 h (before: the rebound speed was exactly e times the step's approach speed, and the apex up to
# 3.5 mm low, the bounce starting from up to one step's travel deep).
RTOL_REBOUND = 3e-5
APEX_ATOL = 5e-6  # m
@pytest.mark.aesara
def test_bounce_height_scales_with_restitution_squared():
    """A sphere dropped from h rebounds at e times its impact speed and rises to e^2 h, for
    e = 0.3, 0.7, 0.9, masses 10 g to 100 kg (one batch, each world its own e and mass)."""
    dt, radius, steps = 0.001, 0.1, 1500
    e, h0, mass = (np.array(column) for column in zip(*BOUNCES))
    world = sp.World(dt=dt)
    world.add_ground(restitution=0.0)  # the pair's restitution is the larger of the two
    world.add_sphere(radius=radius, mass=1.0, position=(0, 0, radius + 1.0))
    model = world.build()
    batch = len(BOUNCES)
    state = sp.symbolic_state(model, batch)
    params = sp.symbolic_params(model, batch)
    _, trajectory = sp.rollout(model, state, steps, params)
    start = model.initial_state(batch)
    position = start.position.copy()
    position[:, 0, 2] = radius + h0
    (z,) = sp.compile([state.position, params.body_mass, params.body_restitution],
                      [trajectory.position[:, :, 0, 2] - radius])(
        position, mass[:, None], e[:, None])
    speed = np.diff(z, axis=0) / dt  # (steps, batch) m/s: speed[n] is the state n + 1's velocity
    for b in range(batch):
        # The first state of free flight after the bounce (the bounce step moves the sphere at its
        # approach speed until the impact, then at its rebound speed: that step is not free flight).
        after = np.argmax(speed[:, b] > 0) + 2
        rebound = speed[after - 1, b]
        energy = G * z[after, b] + 0.5 * rebound**2 - 0.5 * G * dt * rebound
        np.testing.assert_allclose(energy / (G * h0[b]), e[b] ** 2, rtol=RTOL_REBOUND)
        apex = z[after:, b].max()
        assert abs(apex - e[b] ** 2 * h0[b]) < APEX_ATOL, (e[b], h0[b], apex)


@pytest.mark.aesara
def test_free_rigid_body_conserves_momentum_and_energy():
    """A spinning box in free flight: linear and angular momentum are
    conserved; kinetic energy stays within first-order integration error."""
    world = sp.World(dt=0.001, gravity=(0, 0, 0))
    world.add_box(half_extents=(0.3, 0.2, 0.1), mass=3.0, velocity=(1, 2, 3),
                  angular_velocity=(0.2, 3.0, 0.1))
    model = world.build()
    traj = sp.simulate(model, steps=1000)
    np.testing.assert_allclose(traj.velocity[-1, 0], [1, 2, 3], atol=1e-12)
    inertia = model.body_inertia[0]

    def world_inertia(q):
        w, x, y, z = q
        r = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                      [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                      [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])
        return r @ np.diag(inertia) @ r.T

    momentum = [world_inertia(q) @ w for q, w in zip(traj.orientation[:, 0], traj.angular_velocity[:, 0])]
    energy = [0.5 * w @ world_inertia(q) @ w for q, w in zip(traj.orientation[:, 0], traj.angular_velocity[:, 0])]
    np.testing.assert_allclose(momentum[-1], momentum[0], rtol=2e-2)
    np.testing.assert_allclose(energy[-1], energy[0], rtol=2e-2)
    np.testing.assert_allclose(np.linalg.norm(traj.orientation[:, 0], axis=-1), 1.0, atol=1e-12)


@pytest.mark.aesara
def test_non_finite_simulation_names_step_and_body():
    world = sp.World(dt=0.01, gravity=(0, 0, 0))
    world.add_sphere(radius=0.1, name="calm", position=(0, 3, 0))  # clear of the wild box
    world.add_box(half_extents=(1, 0.1, 0.1), name="wild", angular_velocity=(1e150, 1e150, 0))
    with pytest.raises(sp.NonFiniteStateError, match=r"step \d+.*body 1 \('wild'\)"):
        sp.simulate(world.build(), steps=5)


FLOAT32_SCRIPT = """
import sys, numpy as np, symphys as sp
world = sp.World(dt=0.01, dtype=sys.argv[1])
world.add_ground(friction=0.5)
world.add_box(half_extents=(0.1, 0.1, 0.1), position=(0, 0, 0.1), velocity=(2, 0, 0), friction=0.5)
np.save(sys.argv[2], sp.simulate(world.build(), steps=60).position)
"""


def test_float32_model_stays_float32_and_matches_float64(tmp_path):
    # Each dtype in its own process, as a user's scripts would run them (both in one process:
    # tests/test_timing_quadruped.py).
    import subprocess
    import sys

    results = {}
    for dtype in ("float32", "float64"):
        path = tmp_path / f"{dtype}.npy"
        subprocess.run([sys.executable, "-c", FLOAT32_SCRIPT, dtype, str(path)], check=True)
        results[dtype] = np.load(path)
    assert results["float32"].dtype == np.float32 and results["float64"].dtype == np.float64
    np.testing.assert_allclose(results["float32"], results["float64"], atol=1e-4)
