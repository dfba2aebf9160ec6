"""The quadruped's neural gait (issue 4): controller, gradients over 8 s and against finite differences."""

import numpy as np
import pytest

from symphys_models import quadruped, quadruped_gait


def perturbed(weights, scale=0.05, seed=0):
    """Weights moved off the zero output layers (where the hidden layers' gradients vanish)."""
    rng = np.random.default_rng(seed)
    return [w + scale * rng.normal(size=w.shape) for w in weights]


@pytest.fixture(scope="module")
def short_task():
    """Exact gradients of a 0.5 s rollout."""
    return quadruped_gait.GaitTask(duration=0.5, window=None, truncate=None)


def test_controller_is_the_papers_and_starts_still():
    net = quadruped_gait.GaitNetwork()
    assert net.n_parameters == 17_952
    weights = net.init(0)
    np.testing.assert_array_equal(quadruped_gait.servo_targets(net, weights, 100), 0.0)
    targets = quadruped_gait.servo_targets(net, perturbed(weights, 0.3), 800)
    assert np.abs(targets).max() <= quadruped.LIMIT and targets.std() > 0.01
    # The phase input repeats every 1 / 1.5 Hz, so do the targets: 3 periods are 2 s = 400 steps.
    period = int(round(3 / (quadruped_gait.FREQUENCY * quadruped.DT)))
    np.testing.assert_allclose(targets[period:2 * period], targets[:period], atol=1e-9)


def test_gradient_matches_central_differences_over_half_a_second(short_task):
    weights = perturbed(short_task.weights0)
    velocity, grads = short_task.velocity_and_grad(weights)
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    assert abs(velocity) > 0.01 and norm > 0.1  # the legs push the torso along
    direction = [g / norm for g in grads]
    eps = 1e-5
    plus, _ = short_task.velocity_and_grad([w + eps * d for w, d in zip(weights, direction)])
    minus, _ = short_task.velocity_and_grad([w - eps * d for w, d in zip(weights, direction)])
    assert (plus - minus) / (2 * eps) == pytest.approx(norm, rel=1e-3)
    # Single weights of the first and last layers too.
    for layer, index in ((0, (1, 5)), (4, (7, 3)), (6, (0, 2))):
        step = [np.zeros_like(w) for w in weights]
        step[layer][index] = 1e-5
        plus, _ = short_task.velocity_and_grad([w + s for w, s in zip(weights, step)])
        minus, _ = short_task.velocity_and_grad([w - s for w, s in zip(weights, step)])
        assert (plus - minus) / 2e-5 == pytest.approx(grads[layer][index], rel=1e-3, abs=1e-6)


def test_exact_gradients_over_8_seconds_are_finite():
    task = quadruped_gait.GaitTask(window=None, truncate=None)
    velocity, grads = task.velocity_and_grad(perturbed(task.weights0))
    assert np.isfinite(velocity)
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert sum(np.abs(g).sum() for g in grads) > 0
