"""The arm's global reaching policy: targets, network head and the shipped checkpoint."""

import numpy as np
import pytest

import symphys as sp
from symphys_models import arm_reach


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
    assert log.wall_seconds < 3600  # trained within the hour on 2 cores


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(ValueError, match="checkpoint"):
        arm_reach.load_checkpoint(str(tmp_path / "nothing.npz"))
