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
    """Exact gradients of a 0.5 s rollout (the paper's 4 N m servos)."""
    return quadruped_gait.GaitTask(duration=0.5, window=None, truncate=None, gradient_decay=None, max_torque=4.0)


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
    # 1e-7: central differences at 1e-5 and 1e-6 are off by 2.2e-3 and 1.3e-3 on this rollout: steps that
    # large move a foot across a contact regime's edge (a speculative row's set-down within 1e-6 m of the
    # ground counts as touching); at 1e-7 and 1e-8 they agree with the exact gradient to 4e-10 and 5e-9.
    eps = 1e-7
    plus, _ = short_task.velocity_and_grad([w + eps * d for w, d in zip(weights, direction)])
    minus, _ = short_task.velocity_and_grad([w - eps * d for w, d in zip(weights, direction)])
    assert (plus - minus) / (2 * eps) == pytest.approx(norm, rel=1e-3)
    # Single weights of the first and last layers too.
    for layer, index in ((0, (1, 5)), (4, (7, 3)), (6, (0, 2))):
        step = [np.zeros_like(w) for w in weights]
        step[layer][index] = eps
        plus, _ = short_task.velocity_and_grad([w + s for w, s in zip(weights, step)])
        minus, _ = short_task.velocity_and_grad([w - s for w, s in zip(weights, step)])
        assert (plus - minus) / (2 * eps) == pytest.approx(grads[layer][index], rel=1e-3, abs=1e-6)


def test_upright_term_gradient_matches_central_differences():
    """The variant's objective, speed + w x mean(torso z axis . up), is differentiated exactly: over 0.5 s
    its gradient along itself equals central differences, and the upright term changes the gradient."""
    task = quadruped_gait.GaitTask(duration=0.5, gradient_decay=None, max_torque=20.0, upright_weight=1.0)
    weights = perturbed(task.weights0, 0.2)
    velocity, grads = task.velocity_and_grad(weights)
    objective, upright = task.last_objective, task.last_upright
    assert 0.9 < objective - velocity < 1.0  # the mean uprightness: tilted, not fallen, within 0.5 s
    assert upright < 0.999
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    direction = [g / norm for g in grads]
    eps = 1e-6
    task.velocity_and_grad([w + eps * d for w, d in zip(weights, direction)])
    plus = task.last_objective
    task.velocity_and_grad([w - eps * d for w, d in zip(weights, direction)])
    minus = task.last_objective
    assert (plus - minus) / (2 * eps) == pytest.approx(norm, rel=1e-3)


def test_perturbed_starts_average_their_rollouts(short_task):
    """starts=2 with a start speed of 0: two identical worlds, so the batch's mean speed and gradient
    equal one rollout's (the batch axis and the averaging add nothing)."""
    task = quadruped_gait.GaitTask(duration=0.5, window=None, truncate=None, gradient_decay=None, max_torque=4.0,
                                   starts=2, start_speed=0.0)
    weights = perturbed(short_task.weights0)
    velocity, grads = task.velocity_and_grad(weights)
    single, single_grads = short_task.velocity_and_grad(weights)
    assert abs(single) > 0.01 and velocity == pytest.approx(single, rel=1e-9)
    for g, h in zip(grads, single_grads):
        np.testing.assert_allclose(g, h, rtol=1e-7, atol=1e-12)


def test_hand_tuned_baseline_counts_only_trots_that_end_upright():
    """Issue 17's rule: a trot that ends on its back does not count, however far it went. At 20 N m the
    fastest trot of this part of the grid flips (measured 0.1436 m/s, torso z axis . up = -1); the
    baseline is the fastest of those that end upright."""
    result = quadruped_gait.tune_trot(hip=(0.2, 0.6), knee=(0.3, 0.6), lag=(np.pi,), max_torque=20.0,
                                      progress=False)
    grid = result["grid"]
    upright = [trot for trot in grid if quadruped_gait.is_upright(trot["upright"])]
    fastest = max(grid, key=lambda trot: trot["velocity"])
    assert not quadruped_gait.is_upright(fastest["upright"]) and fastest["upright"] < -0.9
    assert result["velocity"] == max(trot["velocity"] for trot in upright) < fastest["velocity"]
    assert quadruped_gait.is_upright(result["upright"]) and result["upright_candidates"] == len(upright)
    assert quadruped_gait.gait_score(fastest["velocity"], fastest["upright"]) < quadruped_gait.gait_score(
        result["velocity"], result["upright"])


# Norm of the exact gradient of the 8 s mean speed (m/s per unit weight) at perturbed(weights0): measured
# 0.0422 since the ground's contacts are speculative (1.18 before them, and 0.552 before the Gauss-Seidel
# colors were balanced, which reorders the sweeps; at perturbed(weights0, seed=1) and seed=2 it was 40.5
# and 1.64: the chaotic rollout's sensitivity depends on its path; the slow test below checks that it is
# the exact derivative).  Its growth over the horizon, measured with the earlier coloring: 4.38 at 0.5 s,
# 7.7 at 1 s, 15.0 at 2 s, 3.2 at 4 s, 0.55 at 8 s.  The legs fold onto their stops within ~1.5 s and the
# robot then barely moves (quadruped_gait's notes), so the 8 s average speed, x_8 / 8 s, is far less
# sensitive than the early one.  A gradient exploding through the 1,600 contact steps (finite values of
# any size passed the old test; Jacobi sweeps give 1e28 on the arm) or one that lost a path back through
# time leaves the band of 2x around the measurement.
NORM_8S = 0.0422
EPS_8S = 1e-7  # below ~1e-6 the chaotic 8 s rollout is locally linear (at 1e-5 slopes are off by 50%)
RTOL_8S = 6e-7  # central differences at EPS_8S against the exact derivative: measured 2.7e-7


@pytest.fixture(scope="module")
def long_task():
    """Exact gradients of the 8 s rollout (no window, no truncation, no decay; the paper's 4 N m servos)."""
    return quadruped_gait.GaitTask(window=None, truncate=None, gradient_decay=None, max_torque=4.0)


def test_exact_gradient_over_8_seconds_is_bounded(long_task):
    """The exact 8 s gradient is finite and its norm stays within 2x of the measured 0.0422."""
    velocity, grads = long_task.velocity_and_grad(perturbed(long_task.weights0))
    assert np.isfinite(velocity)
    assert all(np.all(np.isfinite(g)) for g in grads)
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    assert NORM_8S / 2 < norm < 2 * NORM_8S, norm


@pytest.mark.slow
def test_exact_gradient_over_8_seconds_matches_central_differences(long_task):
    """Along a random direction of the weights, the exact 8 s derivative equals central
    differences with a step small enough for the chaotic rollout to stay linear."""
    weights = perturbed(long_task.weights0)
    _, grads = long_task.velocity_and_grad(weights)
    rng = np.random.default_rng(5)
    direction = [rng.normal(size=w.shape) for w in weights]
    length = np.sqrt(sum(np.sum(d ** 2) for d in direction))
    direction = [d / length for d in direction]
    exact = sum(np.sum(g * d) for g, d in zip(grads, direction))
    plus, _ = long_task.velocity_and_grad([w + EPS_8S * d for w, d in zip(weights, direction)])
    minus, _ = long_task.velocity_and_grad([w - EPS_8S * d for w, d in zip(weights, direction)])
    assert abs(exact) > 1e-4  # measured -1.8e-3 m/s per unit step
    assert (plus - minus) / (2 * EPS_8S) == pytest.approx(exact, rel=RTOL_8S)


# -- the shipped gait (issue 17: 20 N m servos, the paper's recipe) ---------------------------------

ATOL_REPLAY = 1e-9  # m/s: the same compiled 8 s rollout on the same backend is deterministic
# rad: how far the soft limit rows (quadruped.JOINT_FREQUENCY, 140 Hz) let a hip pass its 45 deg stop while
# a 20 N m servo pushes into it under the robot's weight.  Measured 1.57 deg on the shipped gait (it ends on
# its back); standing: 0.  The earlier measurement of a hip folding under the torso: 3.3 deg.
HIP_SLACK = np.radians(2.0)


def test_shipped_gait_reproduces_its_printed_speed_and_stays_physical():
    """`symphys quadruped eval` prints the checkpoint's speed: replayed here to 1e-9. The hips stay within
    their limits (0.5 deg), the torso is upright at 8 s if the checkpoint says so, and the gait walks
    forward."""
    net, weights, log, meta = quadruped_gait.load_checkpoint()
    assert meta["max_torque"] == quadruped_gait.MAX_TORQUE == 20.0
    assert meta["learning_rate"] > 0 and meta["clip"] == 1.0 and len(meta["rollouts"]) == log.updates
    # The weights kept are the best gait by issue 17's rule (a fall ranked last), as logged in training.
    assert -log.best_loss == pytest.approx(quadruped_gait.gait_score(*meta["rollouts"][log.best_index]), abs=1e-12)
    task = quadruped_gait.GaitTask(hidden=net.hidden, training=False, max_torque=meta["max_torque"])
    velocity, position, orientation = task.rollout(weights)
    assert velocity == pytest.approx(meta["velocity"], abs=ATOL_REPLAY)
    torso = task.model.body_index("torso")
    x = position[:, torso, 0]
    assert (x[-1] - x[0]) / quadruped_gait.DURATION == pytest.approx(velocity, abs=1e-12)
    assert velocity > 0.01 and meta["hand_tuned"]["velocity"] > 0
    assert quadruped_gait.is_upright(quadruped_gait.upright(orientation[-1, torso])) == \
        quadruped_gait.is_upright(meta["upright"])
    hips = np.abs(quadruped_gait.pitch_angles(task.model, orientation)[:, 0::2])
    assert hips.max() < quadruped.LIMIT + HIP_SLACK, np.degrees(hips.max())
    assert hips.max() > np.radians(20)  # it does swing its legs


def test_cmaes_command_keeps_the_best_upright_candidate(tmp_path):
    """`symphys quadruped cmaes` writes every rollout's speed and uprightness and the best candidate's
    weights, which replay to the recorded speed (the same compiled 8 s rollout)."""
    import json

    from symphys import cli

    missing = tmp_path / "none.npz"  # no checkpoint to record the figures in
    assert cli.main(["quadruped", "cmaes", "--evaluations", "3", "--checkpoint", str(missing), "--out", str(tmp_path),
                     "--no-progress"]) == 0
    result = json.loads((tmp_path / "cmaes.json").read_text())
    assert len(result["rollouts"]) == 3 and not missing.exists()
    scores = [quadruped_gait.gait_score(v, up) for v, up in result["rollouts"]]
    assert result["best_velocity"] == result["rollouts"][int(np.argmax(scores))][0]
    net, weights, log, meta = quadruped_gait.load_checkpoint(str(tmp_path / "cmaes.npz"))
    velocity, _, _ = quadruped_gait.GaitTask(hidden=net.hidden, training=False).rollout(weights)
    assert velocity == pytest.approx(result["best_velocity"], abs=ATOL_REPLAY)
