"""Extreme states are reported, not returned silently.  The ground's speculative contacts set a body
down on it however fast it arrives (measured up to 1e5 m/s: never deeper than the soft contact's
resting sink; before, a body faster than about its own size per time step sank in, 0.1 m at 100 m/s);
a state beyond what the engine represents (1e30 m/s) sinks, and simulate warns (PenetrationWarning)
naming the step, the body and the world; states within the range give no warning.  One compiled
batch of balls dropped at different speeds serves every test."""

import warnings

import numpy as np
import pytest

import symphys as sp
from symphys.physics.penetration import PenetrationWarning, check_penetration, lowest_points

RADIUS = 0.1  # m
DT = 0.01  # s
STEPS = 100
RESTING_DEPTH = 1e-3  # m: the soft contact's resting penetration is g / (2 pi 25 Hz)^2 = 0.4 mm


@pytest.fixture(scope="module")
def drop():
    world = sp.World(dt=DT)
    world.add_ground()
    world.add_sphere(radius=RADIUS, mass=1.0, position=(0, 0, 2 * RADIUS), name="ball")
    # A bystander on the ground, out of body contacts: a ball thrown down at 1e30 m/s would close on it
    # by more than their 0.8 m gap in one step along their normal and meet its speculative row.
    world.add_box(half_extents=(0.1, 0.1, 0.05), mass=1.0, position=(1, 0, 0.05), name="box", contype=0,
                  conaffinity=0)
    return world.build()


def run(model, speeds):
    """simulate with the ball thrown down at each of ``speeds`` (m/s), one world each; the warnings."""
    state = model.initial_state(len(speeds))
    velocity = np.array(state.velocity)
    velocity[:, 0, 2] = -np.asarray(speeds, dtype=float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trajectory = sp.simulate(model, state.replace(velocity=velocity), steps=STEPS)
    return trajectory, [w for w in caught if issubclass(w.category, PenetrationWarning)]


def test_speeds_within_the_range_give_no_warning(drop):
    trajectory, caught = run(drop, [0.0, 1.0, 3.0, 10.0, 20.0])
    assert caught == []
    lowest = lowest_points(drop, trajectory)
    assert np.all(-lowest[-1] < RESTING_DEPTH)  # both at rest on the ground at the end
    assert np.all(-lowest[:, :4] < 0.05)  # never more than 5 cm in up to 10 m/s; 20 m/s: one step deeper
    assert -lowest[:, 4].min() < 2 * RADIUS


def test_fast_impacts_are_set_down_on_the_ground(drop):
    """100 m/s to 1e5 m/s: the ball's speculative contact stops it on the surface in the step it
    would pass it (before, it ended 0.1 m below the ground at 100 m/s and 11 m at 1,000 m/s, silently)."""
    trajectory, caught = run(drop, [100.0, 1e3, 1e4, 1e5, 1.0])
    assert caught == []
    assert np.all(-lowest_points(drop, trajectory)[:, :5, 0] < RESTING_DEPTH)  # measured 0.40 mm at most


@pytest.mark.parametrize("speed, world", [(1e30, 2), (1e30, 4)])
def test_beyond_the_range_is_reported_with_step_body_and_world(drop, speed, world):
    """A velocity of 1e30 m/s used to pass through the ground and stay finite, silently."""
    speeds = [1.0, 3.0, 6.0, 10.0, 10.0]
    speeds[world] = speed
    trajectory, caught = run(drop, speeds)
    assert np.all(np.isfinite(trajectory.position))
    assert len(caught) == 1 and caught[0].filename == __file__  # points at the user's call
    message = str(caught[0].message)
    assert "body 0 ('ball')" in message and f"world {world} of the batch" in message and "at step 1 " in message


def test_check_penetration_on_a_rollout_result(drop):
    """The same check applies to any numeric trajectory; None when nothing sank."""
    trajectory, _ = run(drop, [1.0, 1.0, 1.0, 1.0, 1.0])
    assert check_penetration(drop, trajectory) is None
    sunk = trajectory.replace(position=trajectory.position - np.array([0, 0, 0.3]))
    with pytest.warns(PenetrationWarning, match="body 0 .* at step 0 .*world 0 of the batch"):
        assert "sank into the ground" in check_penetration(drop, sunk)
