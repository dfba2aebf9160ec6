"""The paper's ball experiment reaches its tolerance with gradients, and its answer is physics.

Part of the Aesara lane (marker ``aesara``): under ``SYMPHYS_GRAPH=aesara`` the same
experiment runs on Aesara's C backend; whatever throw the optimizer finds must pass the same
physics checks: no angular momentum about the contact point (a ball that ends at rest had
none), the flight and landing that numpy computes from the throw, and a rerun with the other
solver ending at rest on the target.
"""

import numpy as np
import pytest
from conftest import G

import symphys as sp
from symphys_models import ball

pytestmark = pytest.mark.aesara

RADIUS = ball.RADIUS
MU, RESTITUTION = 1.0, 0.5  # the ball's and the ground's friction, the ball's restitution


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


def test_optimized_throw_has_no_angular_momentum_about_the_contact_point(gradient_result):
    """A sphere's angular momentum about its contact point, L / (m R) = v + (2/5) R (w x z),
    is conserved by flight, by impacts and by rolling contact (gravity, the normal and the
    friction force all act through that point or along the line to the centre).  At rest it is
    zero, so the optimized throw's is within the residual's speed tolerance of zero:
    v_x + (2/5) R w_y, v_y - (2/5) R w_x and R w_z (no torque turns the spin about z)."""
    v, w = gradient_result.initial_velocity[:3], gradient_result.initial_velocity[3:]
    momentum = np.array([v[0] + 0.4 * RADIUS * w[1], v[1] - 0.4 * RADIUS * w[0], RADIUS * w[2]])
    assert np.linalg.norm(momentum) < ball.SPEED_TOLERANCE, momentum
    assert np.linalg.norm(v) > 5.0  # the throw itself is fast: 10 m away


def test_optimized_throw_lands_where_its_flight_and_impact_say(problem, gradient_result):
    """Numpy's account of the throw: it flies the semi-implicit Euler parabola until its impact, tau
    into the step from state j in which it would reach the ground; with no angular momentum about the
    contact point, the impact stops its sliding and spin at once when friction can supply the
    momentum, m |v_t| <= mu (1 + e) m |v_z|; then it only bounces in place.  So it ends where the
    parabola meets the ground, (v_x, v_y) (j + tau) dt."""
    u = gradient_result.initial_velocity
    dt = problem.model.dt
    k = np.arange(problem.steps + 1)
    flight = np.stack([u[0] * k * dt, u[1] * k * dt, RADIUS + u[2] * k * dt - G * dt**2 * k * (k + 1) / 2], -1)
    j = int(np.argmax(flight[:, 2] < RADIUS)) - 1  # state j + 1 of the parabola would be below the ground
    tau = (flight[j, 2] - RADIUS) / (flight[j, 2] - flight[j + 1, 2])  # the step moves at one velocity
    approach = u[2] - G * dt * (j + 1)  # vertical speed in the step of the impact, m/s
    assert MU * (1 + RESTITUTION) * abs(approach) >= np.linalg.norm(u[:2])  # friction stops it
    landing = flight[j, :2] + tau * (flight[j + 1, :2] - flight[j, :2])
    np.testing.assert_allclose(landing, ball.TARGET[:2], atol=ball.POSITION_TOLERANCE)
    positions = problem.trajectory(u)
    # The engine flies the same parabola (to round-off, measured 1e-14 m) and stays where it landed.
    np.testing.assert_allclose(positions[:j + 1], flight[:j + 1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(positions[j + 1:, :2], np.broadcast_to(landing, (len(k) - j - 1, 2)), rtol=0,
                               atol=1e-10)


def test_other_solver_ends_the_optimized_throw_at_rest_on_target(gradient_result):
    """The optimized throw rerun with the other solver (Gauss-Seidel; the experiment uses
    Jacobi): it comes to rest on the target, and its angular momentum about the contact point
    is conserved at every step (measured to 3e-15 m/s over 1000 steps; bound: round-off)."""
    model = ball.build_model()
    assert model.solver_method == "jacobi"
    world = sp.World(dt=model.dt, method="gauss_seidel")
    world.add_ground(friction=MU)
    world.add_sphere(radius=RADIUS, density=1000.0, friction=MU, restitution=RESTITUTION,
                     position=(0.0, 0.0, RADIUS))
    other = world.build()
    np.testing.assert_array_equal(other.body_mass, model.body_mass)
    u = gradient_result.initial_velocity
    start = other.initial_state().replace(velocity=u[None, :3], angular_velocity=u[None, 3:])
    traj = sp.simulate(other, start, steps=int(round(ball.DURATION / other.dt)))
    v, w = traj.velocity[:, 0], traj.angular_velocity[:, 0]
    assert np.linalg.norm(traj.position[-1, 0, :2] - ball.TARGET[:2]) < ball.POSITION_TOLERANCE
    assert np.linalg.norm(v[-1]) + RADIUS * np.linalg.norm(w[-1]) < ball.SPEED_TOLERANCE
    momentum = v[:, 0] + 0.4 * RADIUS * w[:, 1]
    np.testing.assert_allclose(momentum, momentum[0], rtol=0, atol=1e-12)


@pytest.mark.slow
def test_gradient_beats_cmaes_in_wall_time(problem):
    gradient = ball.optimize_gradient(problem, np.zeros(6), progress=False)
    cmaes = ball.optimize_cmaes(problem, np.zeros(6), progress=False)
    assert gradient.converged
    assert gradient.wall_seconds < cmaes.wall_seconds
