"""The one trainer (backprop, CMA-ES), its log and checkpoint format, on small quadratics (no physics)."""

import json
import os

import numpy as np
import pytest

from symphys.learn import optim, train

TARGET = [np.array([1.0, -2.0, 0.5]), np.array([[0.3, -0.1]])]
START = [np.zeros(3), np.zeros((1, 2))]
CHECKPOINT = os.path.join(os.path.dirname(__file__), "..", "symphys_models", "checkpoints", "arm_reach.npz")


def quadratic(weights):
    """(loss, gradients) of the squared distance to TARGET."""
    return (float(sum(np.sum((w - t) ** 2) for w, t in zip(weights, TARGET))),
            [2 * (w - t) for w, t in zip(weights, TARGET)])


def test_backprop_is_adam_with_clipping_and_the_schedule():
    best, last, log = train.backprop(quadratic, START, 50, 0.1, clip=0.5, schedule=train.cosine_to_a_tenth,
                                     rollouts_per_update=4, progress=False)
    adam, weights, losses = optim.Adam(0.1), START, []
    for i in range(50):
        adam.learning_rate = 0.1 * (0.1 + 0.45 * (1 + np.cos(np.pi * i / 50)))
        loss, grads = quadratic(weights)
        losses.append(loss)
        weights = adam.step(weights, optim.clip_by_global_norm(grads, 0.5)[0])
    assert log.loss == losses and (log.updates, log.evaluations) == (50, 200)
    for a, b in zip(last, weights):
        np.testing.assert_array_equal(a, b)
    assert log.best_loss == min(losses) and log.best_index == int(np.argmin(losses))
    assert quadratic(best)[0] == log.best_loss


def test_not_finite_goes_back_to_the_best_weights_then_raises():
    calls = []

    def flaky(weights):
        calls.append(weights)
        loss, grads = quadratic(weights)
        return (float("nan"), grads) if len(calls) in (3, 4) else (loss, grads)

    best, _, log = train.backprop(flaky, START, 6, 0.1, retries=2, progress=False)
    assert np.isnan(log.loss[2]) and np.isnan(log.loss[3]) and log.updates == 6
    assert calls[4] is calls[1]  # back to the best (the last finite) weights
    calls.clear()
    with pytest.raises(FloatingPointError, match="not finite"):
        train.backprop(flaky, START, 6, 0.1, retries=1, progress=False)


def test_checkpoints_periodic_final_and_on_ctrl_c(tmp_path):
    path = str(tmp_path / "run.npz")

    def figures(weights, log):
        log.checkpoints.append((log.updates, quadratic(weights)[0]))
        return None

    _, last, log = train.backprop(quadratic, START, 5, 0.1, checkpoint=path, meta=dict(kind="quadratic"),
                                  checkpoint_every=2, on_checkpoint=figures, progress=False)
    assert [c[0] for c in log.checkpoints] == [2, 4, 5]
    weights, saved, meta = train.load_checkpoint(path)
    assert meta == dict(kind="quadratic") and saved.loss == log.loss
    assert saved.checkpoints == [list(c) for c in log.checkpoints]
    for a, b in zip(weights, last):
        np.testing.assert_array_equal(a, b)

    def interrupted(weights):
        if len(saved.loss) >= 7:  # the log being extended
            raise KeyboardInterrupt
        return quadratic(weights)

    best, _, log = train.backprop(interrupted, weights, 10, 0.1, log=saved, checkpoint=path, keep_best=True,
                                  progress=False)
    assert log.updates == 7  # resumed from 5, stopped by Ctrl-C after 2 more
    weights, saved, _ = train.load_checkpoint(path)
    for a, b in zip(weights, best):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="checkpoint.*nothing.npz"):
        train.load_checkpoint(str(tmp_path / "nothing.npz"))


def test_cmaes_spends_its_budget_and_tracks_the_best():
    losses = []

    def loss(weights):
        losses.append(quadratic(weights)[0])
        return losses[-1]

    mean, log = train.cmaes(loss, START, 4 * 25, 0.3, seed=3, rollouts_per_candidate=4, progress=False)
    assert log.evaluations == 100 and len(losses) == 25 and log.updates == len(log.loss)
    assert log.best_loss == min(losses) == losses[log.best_index]
    assert [w.shape for w in mean] == [w.shape for w in START]


def test_shipped_arm_checkpoint_and_the_gait_s_older_log_load(tmp_path):
    weights, log, meta = train.load_checkpoint(CHECKPOINT)
    assert meta["sizes"] == [3, 128, 128, 5] and len(weights) == 6
    assert log.updates == len(log.loss) and log.checkpoints[-1][0] == log.updates
    old = dict(method="backprop (Adam)", evaluations=2, wall_seconds=1.0, velocity=[0.1, 0.3],
               gradient_norm=[1.0, 2.0], wall=[0.5, 1.0], best_velocity=0.3, best_evaluation=1)
    np.savez(tmp_path / "gait.npz", np.zeros(2), meta=json.dumps(dict(hidden=[128, 128], log=old)))
    _, log, meta = train.load_checkpoint(str(tmp_path / "gait.npz"))
    assert log.loss == [-0.1, -0.3] and (log.best_loss, log.best_index, log.updates) == (-0.3, 1, 2)
