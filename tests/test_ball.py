"""The paper's ball experiment reaches its tolerance with gradients."""

import numpy as np
import pytest

from models import ball


@pytest.fixture(scope="module")
def problem():
    return ball.BallProblem(cma_batch=10)


def test_jacobian_matches_finite_differences(problem):
    u = np.array([6.0, 0.5, 2.0, 0.3, -10.0, 0.1])
    residual, jacobian = problem.residual_and_jacobian(u)
    eps = 1e-6
    numeric = np.zeros_like(jacobian)
    for j in range(6):
        step = np.zeros(6)
        step[j] = eps
        numeric[:, j] = (problem.residual_and_jacobian(u + step)[0]
                         - problem.residual_and_jacobian(u - step)[0]) / (2 * eps)
    np.testing.assert_allclose(jacobian, numeric, atol=1e-4 * np.abs(numeric).max())
    # The batched CMA-ES path computes the same residuals.
    np.testing.assert_allclose(problem.batch_residuals(np.repeat(u[None], 10, 0))[3], residual,
                               atol=1e-10)


def test_gradient_method_reaches_tolerance_within_88_iterations(problem):
    result = ball.optimize_gradient(problem, np.zeros(6), progress=False)
    assert result.converged, result
    assert result.iterations <= 88
    assert result.position_error < ball.POSITION_TOLERANCE
    assert result.final_speed < ball.SPEED_TOLERANCE
    # The optimized throw really ends at rest at the target in a fresh simulation.
    positions = problem.trajectory(result.initial_velocity)
    np.testing.assert_allclose(positions[-1, :2], ball.TARGET[:2], atol=ball.POSITION_TOLERANCE)
    np.testing.assert_allclose(positions[-1], positions[-50], atol=1e-3)


@pytest.mark.slow
def test_gradient_beats_cmaes_in_wall_time(problem):
    gradient = ball.optimize_gradient(problem, np.zeros(6), progress=False)
    cmaes = ball.optimize_cmaes(problem, np.zeros(6), progress=False)
    assert gradient.converged
    assert gradient.wall_seconds < cmaes.wall_seconds
