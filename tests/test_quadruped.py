"""The quadruped model (issue 4, first part): spec, standing still, a dropped box settling."""

import numpy as np
import pytest

import symphys as sp
from symphys_models import quadruped, quadruped_gait


@pytest.fixture(scope="module")
def model():
    return quadruped.build_model()


def test_quadruped_matches_the_paper_spec(model):
    assert model.body_mass.sum() == pytest.approx(28.7)
    assert model.body_mass[model.body_index("torso")] == pytest.approx(21.0)
    assert model.n_motors == 8
    np.testing.assert_allclose(model.motor_max_torque, 4.0)
    np.testing.assert_allclose(model.joint_upper, np.radians(45.0))
    np.testing.assert_allclose(model.joint_lower, -np.radians(45.0))
    assert model.dt == 0.005
    # The gait experiment's robot (issue 17): the same bodies with 20 N m servos.
    gait_model = quadruped_gait.build_model()
    np.testing.assert_allclose(gait_model.motor_max_torque, 20.0)
    np.testing.assert_array_equal(gait_model.body_mass, model.body_mass)


def test_trot_moves_diagonal_legs_together():
    targets = quadruped.trot(np.arange(400) * quadruped.DT)
    assert targets.shape == (400, 8)
    hips, knees = targets[:, 0::2], targets[:, 1::2]
    np.testing.assert_allclose(hips[:, 0], hips[:, 3])  # front left with rear right
    np.testing.assert_allclose(hips[:, 1], hips[:, 2])
    np.testing.assert_allclose(hips[:, 0], -hips[:, 1], atol=1e-12)  # half a period apart
    assert knees.min() >= 0.0 and np.abs(targets).max() <= np.radians(45.0)


@pytest.mark.parametrize("max_torque", [4.0, 20.0])  # the paper's servos and issue 17's
def test_quadruped_stands_still_for_10_seconds(max_torque):
    """Servos holding 0 rad: the robot stands 10 s, its hips and knees stay near 0, well inside their limits."""
    model = quadruped.build_model(max_torque=max_torque)
    steps = int(round(10.0 / model.dt))
    trajectory = sp.simulate(model, model.initial_state(), steps=steps)
    torso = model.body_index("torso")
    height = trajectory.position[:, torso, 2]
    assert height[0] - height.min() < 0.01  # sinks less than 1 cm (soft contacts and joints)
    tilt = 2 * np.arccos(np.clip(np.abs(trajectory.orientation[:, torso, 0]), 0, 1))
    assert tilt.max() < 0.01
    assert np.abs(trajectory.velocity[-100:]).max() < 1e-3  # at rest, no jitter
    feet = [model.body_index(f"{leg}_tibia") for leg, _, _ in quadruped.LEGS]
    np.testing.assert_allclose(trajectory.position[-1, feet, :2], trajectory.position[0, feet, :2], atol=1e-3)
    # Each femur's and tibia's tilt about y (the hinges' axis) from its quaternion: within 0.5 deg of 0.
    for leg, _, _ in quadruped.LEGS:
        for segment in ("femur", "tibia"):
            q = trajectory.orientation[:, model.body_index(f"{leg}_{segment}")]
            pitch = 2 * np.arctan2(np.abs(q[:, 2]), np.abs(q[:, 0]))
            assert pitch.max() < np.radians(0.5), (leg, segment)


def test_box_dropped_from_1_m_comes_to_rest():
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.8)
    world.add_box(half_extents=(0.2, 0.15, 0.1), mass=3.0, position=(0, 0, 1.1))
    model = world.build()
    trajectory = sp.simulate(model, model.initial_state(), steps=300)
    resting = 0.1 - 9.81 / (2 * np.pi * model.solver.contact_frequency) ** 2
    z = trajectory.position[:, 0, 2]
    settled = z[150:]  # from 0.5 s after the impact
    assert np.abs(settled - resting).max() < 0.005  # sinks no more than 5 mm once down
    assert np.abs(trajectory.velocity[-100:, 0]).max() < 1e-3  # settled, no jitter above 1 mm/s
    assert np.abs(z[-1] - resting) < 0.001
    # Contacts switch on once penetrating (no speculative margin): on impact the
    # box goes in by at most one step of its 4.4 m/s fall, then is pushed out.
    impact_speed = np.sqrt(2 * 9.81 * 1.0)
    assert z.min() > 0.1 - impact_speed * model.dt


def _held_pose_height(max_torque: float, hip: float, seconds: float = 1.5) -> float:
    """Torso height (m) after holding every hip at `hip` rad, knees straight, for `seconds`."""
    model = quadruped.build_model(max_torque=max_torque)
    steps = int(round(seconds / model.dt))
    targets = np.tile(np.array([hip, 0.0] * 4, dtype=model.dtype), (steps, 1, 1))  # (T, 1, 8) rad
    controls = sp.backend.pt.tensor3("controls")
    state = sp.symbolic_state(model, 1)
    _, trajectory = sp.rollout(model, state, steps, controls=controls)
    height = sp.compile([controls, *state.fields()], [trajectory.position[-1, 0, model.body_index("torso"), 2]])
    (z,) = height(targets, *model.initial_state(1).fields())
    return float(z)


def test_servo_torque_limit_decides_whether_a_leaning_stance_holds():
    """Straight legs leaning 0.5 rad: each hip carries a quarter of 28.7 kg at a lever of 0.35 sin 0.5 m,
    ~11.5 N m.  The paper's 4 N m servos give way (legs fold towards the 45 deg limit); 30 N m hold."""
    hip = 0.5
    held = quadruped.HIP_HEIGHT * np.cos(hip) + quadruped.TORSO[2]  # torso centre over leaning legs (m)
    lever_torque = 28.7 * 9.81 / 4 * quadruped.HIP_HEIGHT * np.sin(hip)
    assert 4.0 < lever_torque < 30.0
    assert _held_pose_height(30.0, hip) == pytest.approx(held, abs=0.01)
    folded = quadruped.HIP_HEIGHT * np.cos(quadruped.LIMIT) + quadruped.TORSO[2]
    assert _held_pose_height(4.0, hip) < held - 0.5 * (held - folded)
