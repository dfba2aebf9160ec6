"""The paper's ball experiment reaches its tolerance with gradients.

Part of the Aesara lane (marker ``aesara``): under ``SYMPHYS_GRAPH=aesara``
the same experiment runs on Aesara's C backend and must find the same
optimized throw as PyTensor (tests/data/ball_reference.npz).
"""

import pathlib

import numpy as np
import pytest

import symphys as sp
from symphys_models import ball

pytestmark = pytest.mark.aesara

# The throw found by the gradient method from rest (seed 0) under PyTensor;
# regenerate with `python tests/data/make_ball_reference.py` when the physics changes.
REFERENCE = pathlib.Path(__file__).parent / "data" / "ball_reference.npz"
ATOL_REFERENCE = 1e-6  # m/s and rad/s; JAX and C differ in round-off only


@pytest.fixture(scope="module")
def problem():
    # The graph library's default backend: JAX under PyTensor, C under Aesara.
    return ball.BallProblem(cma_batch=10, backend=sp.backend.DEFAULT_BACKEND)


@pytest.fixture(scope="module")
def gradient_result(problem):
    # On Aesara's scipy (<= 1.12) ball.least_squares_with_callback emulates scipy 1.16's callback.
    return ball.optimize_gradient(problem, np.zeros(6), progress=False)


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


def test_gradient_method_reaches_tolerance_within_88_iterations(problem, gradient_result):
    result = gradient_result
    assert result.converged, result
    assert result.iterations <= 88
    assert result.position_error < ball.POSITION_TOLERANCE
    assert result.final_speed < ball.SPEED_TOLERANCE
    # The optimized throw really ends at rest at the target in a fresh simulation.
    positions = problem.trajectory(result.initial_velocity)
    np.testing.assert_allclose(positions[-1, :2], ball.TARGET[:2], atol=ball.POSITION_TOLERANCE)
    np.testing.assert_allclose(positions[-1], positions[-50], atol=1e-3)


def test_optimized_initial_state_is_the_same_under_both_graph_libraries(gradient_result):
    """The same optimized throw from the same start (seed 0) under PyTensor and Aesara."""
    reference = np.load(REFERENCE)
    assert int(reference["seed"]) == 0 and np.all(reference["start"] == 0)
    np.testing.assert_allclose(gradient_result.initial_velocity, reference["initial_velocity"],
                               rtol=0, atol=ATOL_REFERENCE)
    assert gradient_result.iterations == int(reference["iterations"])


@pytest.mark.slow
def test_gradient_beats_cmaes_in_wall_time(problem):
    gradient = ball.optimize_gradient(problem, np.zeros(6), progress=False)
    cmaes = ball.optimize_cmaes(problem, np.zeros(6), progress=False)
    assert gradient.converged
    assert gradient.wall_seconds < cmaes.wall_seconds
