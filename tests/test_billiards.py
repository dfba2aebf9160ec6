"""Billiards (symphys_models/billiards.py): the cloth's rolling resistance against its closed form,
the exact Jacobian of a combination shot against central differences, and Gauss-Newton sinking the
target ball on a reduced table (three balls, no cushions, 2.5 s)."""

import numpy as np
import pytest

import symphys as sp
from symphys import cli
from symphys_models import billiards

R = billiards.BALL_RADIUS
EPS = 1e-6  # m/s: central-difference step of the cue velocity
RTOL_GRADIENT = 1e-4  # issue acceptance
# The reduced table: a short combination shot cue > one > target that ends within 2.5 s.
POSITIONS = {"cue": (-0.3, 0.0), "one": (0.0, 0.02), "target": (0.2, 0.1)}
POCKET = (0.5, 0.22)  # m
DURATION = 2.5  # s


@pytest.fixture(scope="module")
def problem():
    return billiards.BilliardsProblem(backend=sp.backend.DEFAULT_BACKEND, duration=DURATION, cushions=False,
                                      other=False, positions=POSITIONS, pocket=POCKET)


def test_rolling_ball_stops_where_the_rolling_resistance_says():
    """A ball rolling at v0 (w = v0 / R, no slip) decelerates at (5/7) mu_r g f(v / R), f(w) =
    w / sqrt(w^2 + w0^2) the smoothed sign, and stops after s = (7 / (5 mu_r g)) * integral_0^v0
    sqrt(v^2 + (R w0)^2) dv.  Semi-implicit Euler moves each step with the step's end velocity: it
    falls short by v0 dt / 2 to first order in dt (measured 2.520 mm against 2.5 mm).  The ball starts
    at the depth it rests at on the cloth's soft contact, so it rolls from the first step."""
    v0, dt, steps = 0.5, 0.01, 300
    world = sp.World(dt=dt)
    world.add_ground(friction=billiards.CLOTH_FRICTION)
    rest_depth = 9.81 / (2 * np.pi * world.solver.contact_frequency) ** 2  # m
    world.add_sphere(radius=R, mass=billiards.BALL_MASS, position=(0, 0, R - rest_depth), velocity=(v0, 0, 0),
                     angular_velocity=(0, v0 / R, 0), friction=billiards.BALL_FRICTION)
    model = world.build()
    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, steps, wrench=billiards.rolling_resistance(model))
    (position, velocity) = sp.compile([state.velocity], [final.position, final.velocity])(model.init_velocity)
    c = R * billiards.STOP_SPIN
    integral = 0.5 * (v0 * np.hypot(v0, c) + c * c * np.arcsinh(v0 / c))
    distance = 7.0 / (5.0 * billiards.ROLLING_RESISTANCE * 9.81) * integral
    assert np.linalg.norm(velocity) < 1e-6  # stopped (3 s; the stop takes ~2.4 s)
    assert -1.02 * v0 * dt / 2 <= position[0, 0] - distance <= 0, (position[0, 0], distance)
    np.testing.assert_allclose(position[0, 1], 0.0, atol=1e-12)


def test_jacobian_of_the_shot_matches_central_differences(problem):
    """d(final target position)/d(cue velocity) at the ghost-ball aim, where the chain cue > one >
    target does not change within the finite-difference steps."""
    u = billiards.ghost_ball_aim(problem.model, POCKET, speed=1.6)
    outcome, jacobian, final = problem.shot(u)
    assert np.linalg.norm(final[problem.target, :2] - POSITIONS["target"]) > 0.05, "the target was hit"
    numeric = np.zeros((2, 2))
    for j in range(2):
        step = np.zeros(2)
        step[j] = EPS
        numeric[:, j] = (problem.outcome_and_jacobian(u + step)[0][:2]
                         - problem.outcome_and_jacobian(u - step)[0][:2]) / (2 * EPS)
    np.testing.assert_allclose(jacobian, numeric, rtol=RTOL_GRADIENT, atol=RTOL_GRADIENT * np.abs(numeric).max())


def test_gauss_newton_sinks_the_target_within_2_cm(problem):
    u0 = billiards.ghost_ball_aim(problem.model, POCKET, speed=1.6)
    start = problem.outcome_and_jacobian(u0)[0]
    result = billiards.optimize_gradient(problem, u0, max_iterations=8, progress=False)
    assert result.converged, result
    assert result.position_error < billiards.POSITION_TOLERANCE < np.linalg.norm(start[:2])
    # The target lies at rest on the table at the pocket point: the final state, recomputed.
    outcome, _, final = problem.shot(result.cue_velocity)
    np.testing.assert_allclose(final[problem.target, :2], POCKET, atol=billiards.POSITION_TOLERANCE)
    assert np.linalg.norm(outcome[2:]) < billiards.SPEED_TOLERANCE
    assert abs(final[problem.target, 2] - R) < 1e-3  # on the cloth, not bounced off the table
    assert np.linalg.norm(final[problem.model.body_names.index("one"), :2] - POSITIONS["one"]) > 0.05


@pytest.mark.parametrize("call, name", [
    (lambda: billiards.build_model(dt=0), "dt"),
    (lambda: billiards.build_model(positions={"cue": (0, 0), "target": (1, 0)}), "positions"),
    (lambda: billiards.build_model(positions={**POSITIONS, "one": (0, np.nan)}), "positions['one']"),
    (lambda: billiards.BilliardsProblem(duration=-1.0), "duration"),
    (lambda: billiards.BilliardsProblem(pocket=(1.0, 2.0, 3.0)), "pocket"),
    (lambda: billiards.optimize_gradient(None, np.zeros(2), max_iterations=0), "max_iterations"),
    (lambda: billiards.optimize_cmaes(None, np.zeros(2), sigma0=-0.1), "sigma0"),
    (lambda: billiards.optimize_gradient(None, np.zeros(3)), "u"),
    (lambda: billiards.run(out_dir=""), "out_dir"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_cli_refuses_a_bad_seed(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["billiards", "--seed", "one"])
    assert exit_.value.code == 2
    assert "--seed" in capsys.readouterr().err
