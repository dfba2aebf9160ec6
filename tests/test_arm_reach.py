"""The arm's global reaching policy: targets, network head and the shipped checkpoint."""

import numpy as np
import pytest

import symphys as sp
from symphys_models import arm, arm_reach


def test_targets_fill_the_reachable_shell():
    targets = arm_reach.sample_targets(4000, np.random.default_rng(0))
    radius = np.linalg.norm(targets, axis=1)
    assert radius.min() >= arm_reach.SHELL[0] and radius.max() <= arm_reach.SHELL[1]
    # Uniform in volume: the median radius splits the shell's volume in two.
    inner, outer = arm_reach.SHELL
    median = ((inner**3 + outer**3) / 2) ** (1 / 3)
    assert abs(np.median(radius) - median) < 0.01
    assert np.abs(targets.mean(axis=0)).max() < 0.03  # every direction
    np.testing.assert_array_equal(arm_reach.held_out_targets(), arm_reach.held_out_targets())
    assert arm_reach.held_out_targets().shape == (256, 3)


def test_network_head_gives_servo_targets():
    pt = sp.backend.pt
    outputs = pt.matrix("outputs")
    (angles,) = sp.compile([outputs], [arm_reach.servo_targets(outputs)])(
        np.array([[0.0, 0.0, 0.0, 0.0, 0.0], [-2.0, -1.0, 50.0, -50.0, 0.3]]))
    np.testing.assert_allclose(angles[0], 0.0)  # untrained network: arm stays straight
    np.testing.assert_allclose(angles[1, 0], np.arctan2(-1.0, -1.0))  # base yaw: any direction
    np.testing.assert_allclose(angles[1, 1:], [np.pi / 2, -np.pi / 2, np.pi / 2 * np.tanh(0.3)])


@pytest.fixture(scope="module")
def shipped():
    net, weights, log, _ = arm_reach.load_checkpoint()
    task = arm_reach.ReachTask(hidden=net.sizes[1:-1], training=False)
    return net, weights, log, task.evaluate(weights)


def test_shipped_policy_reaches_held_out_targets_within_5_cm(shipped):
    net, weights, log, scores = shipped
    assert net.n_parameters == sum(w.size for w in weights)
    assert scores["mean_8s"] <= 0.05, scores["mean_8s"]
    assert scores["mean_5s"] <= 0.05, scores["mean_5s"]
    # The figure logged when the checkpoint was written is reproduced exactly.
    update, mean_5s, mean_8s = log.checkpoints[-1]
    assert update == log.updates
    assert scores["mean_8s"] == pytest.approx(mean_8s, rel=1e-9)


LINK = arm.LINK  # m, upper arm and forearm


def rotation_z(angle):
    c, s, zero, one = np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)
    return np.stack([np.stack([c, -s, zero], -1), np.stack([s, c, zero], -1),
                     np.stack([zero, zero, one], -1)], -2)


def rotation_y(angle):
    c, s, zero, one = np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)
    return np.stack([np.stack([c, zero, s], -1), np.stack([zero, one, zero], -1),
                     np.stack([-s, zero, c], -1)], -2)


def forward_kinematics(angles):
    """Tip (m) of the arm at joint angles (n, 4) (base yaw z, shoulder pitch y, elbow yaw z, elbow
    pitch y, each about its axis as the arm stands at rest along x): two 0.5 m links."""
    shoulder = rotation_z(angles[:, 0]) @ rotation_y(angles[:, 1])
    forearm = shoulder @ rotation_z(angles[:, 2]) @ rotation_y(angles[:, 3])
    along = np.array([LINK, 0.0, 0.0])
    return shoulder @ along + forearm @ along


def policy_angles(net, weights, targets):
    """The servo targets (rad) the shipped policy commands, in numpy (arm_reach.servo_targets)."""
    out = net.apply_numpy(weights, targets)
    return np.column_stack([np.arctan2(out[:, 1], 1.0 + out[:, 0]), np.pi / 2 * np.tanh(out[:, 2:])])


def settled_arm(iterations, angles):
    """(tips m, joint angles rad, largest angular speed rad/s) after 8 s of servos held at ``angles``."""
    model = arm.build_model(iterations=iterations)
    steps = int(round(arm_reach.EVAL_DURATION / model.dt))
    state = sp.symbolic_state(model, len(angles))
    targets = sp.backend.tensor("targets", angles.shape, model.dtype)
    _, trajectory = sp.rollout(model, state, steps,
                               controls=sp.backend.pt.broadcast_to(targets[None], (steps, *angles.shape)))
    final = sp.State(*(field[-1] for field in trajectory.fields()))
    tip = arm.end_effector(model, final.position, final.orientation)
    fn = sp.compile([targets], [tip, sp.joint_angles(model, final), abs(final.angular_velocity).max()])
    return fn(angles)


SAMPLED = [228, 57, 0, 1]  # held-out targets: the two the 6-sweep arm misses most, two others


def test_shipped_policy_reaches_within_5_cm_by_forward_kinematics(shipped):
    """Where the policy's servo targets put the tip, by forward kinematics in numpy: within
    5 cm of the 256 held-out targets on average (measured 3.40 cm).  The engine agrees once its
    servos settle: 8 s with converged solver sweeps (20) leave the joints at their targets
    (measured 1.6e-9 rad), the arm at rest (9e-3 rad/s) and the tip on the forward kinematics
    (0.63 mm: the joints' soft anchors)."""
    net, weights, _, scores = shipped
    targets = scores["targets"]
    angles = policy_angles(net, weights, targets)
    reached = np.linalg.norm(forward_kinematics(angles) - targets, axis=1)
    assert reached.mean() <= 0.05, reached.mean()
    tip, joint_angles, spin = settled_arm(20, angles[SAMPLED])
    np.testing.assert_allclose(joint_angles, angles[SAMPLED], rtol=0, atol=3e-9)
    assert spin < 0.02
    np.testing.assert_allclose(tip, forward_kinematics(angles[SAMPLED]), rtol=0, atol=1.3e-3)


@pytest.mark.xfail(strict=True, reason=(
    "the policy's arm (arm_reach.SOLVER_ITERATIONS = 6 Gauss-Seidel sweeps) never settles: after 8 s "
    "of constant servo targets it still turns at 1.1-2.1 rad/s, joint angles 0.002-0.046 rad off "
    "target, hinge axes up to 0.07 rad off, tip up to 8.4 cm from the forward kinematics; the "
    "shipped 4.6 cm held-out figure is measured on this vibrating arm (20 sweeps: 0.009 rad/s, "
    "0.6 mm). Expected fixed when the arm uses the newton solver (issue 16) or more sweeps"))
def test_policy_arm_settles_on_its_servo_targets(shipped):
    """With the sweeps the policy was trained and scored with, the arm comes to rest at its servo
    targets within 8 s, as it does with converged sweeps."""
    net, weights, _, scores = shipped
    angles = policy_angles(net, weights, scores["targets"][SAMPLED])
    tip, joint_angles, spin = settled_arm(arm_reach.SOLVER_ITERATIONS, angles)
    assert spin < 0.02, spin
    np.testing.assert_allclose(tip, forward_kinematics(angles), rtol=0, atol=1.3e-3)


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(ValueError, match="checkpoint"):
        arm_reach.load_checkpoint(str(tmp_path / "nothing.npz"))
