"""Random valid worlds build and simulate: hypothesis draws 1-8 bodies of random shapes, sizes and masses
(1e-3 to 1e3 kg), random joints (hinges with and without limits, ball joints, welds, to another body or
to the world), motors, and initial states within the documented ranges, then simulates 200 steps on the
default solver.  The only outcomes allowed are the documented ones: a finite trajectory (possibly with
a PenetrationWarning), or a NonFiniteStateError naming step, body and world.

Every world is a new graph (about 10 s of compilation each on 2 cores), so `make test` draws 3
reproducible worlds; SYMPHYS_PROPERTY_EXAMPLES=200 (`make fuzz`) draws 200 random ones.
"""

import math
import os
import re
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symphys as sp
from symphys.physics.penetration import PenetrationWarning

FUZZ = "SYMPHYS_PROPERTY_EXAMPLES" in os.environ
WORLDS = settings(max_examples=int(os.environ.get("SYMPHYS_PROPERTY_EXAMPLES", "3")), deadline=None,
                  derandomize=not FUZZ, database=None, suppress_health_check=[HealthCheck.too_slow])
STEPS = 200
SPEED = 5.0  # m/s, within the documented range for the smallest body (0.02 m at dt 0.01 s: 2 m/s per size)
SPIN = 10.0  # rad/s


def log_uniform(low, high):
    return st.floats(math.log(low), math.log(high)).map(math.exp)


def vector(bound):
    return st.tuples(*[st.floats(-bound, bound)] * 3)


quaternions = st.tuples(*[st.floats(-1, 1)] * 4).filter(lambda q: np.linalg.norm(q) > 0.1)


@st.composite
def bodies(draw):
    shape = draw(st.sampled_from(["sphere", "box", "capsule"]))
    size = draw(log_uniform(0.02, 0.5))
    if shape == "sphere":
        geometry, height = dict(radius=size), size
    elif shape == "box":
        geometry = dict(half_extents=(size, draw(log_uniform(0.02, 0.5)), draw(log_uniform(0.02, 0.5))))
        height = float(np.linalg.norm(geometry["half_extents"]))
    else:
        geometry = dict(radius=size, length=draw(log_uniform(0.02, 1.0)))
        height = size + geometry["length"] / 2
    return shape, dict(geometry, mass=draw(log_uniform(1e-3, 1e3)), orientation=draw(quaternions),
                       velocity=draw(vector(SPEED / math.sqrt(3))), angular_velocity=draw(vector(SPIN / math.sqrt(3))),
                       friction=draw(st.floats(0, 1.5)), restitution=draw(st.floats(0, 1))), height


@st.composite
def limits(draw):
    lower = draw(st.none() | st.floats(-math.pi, math.pi - 0.1))
    upper = draw(st.none() | st.floats(-math.pi + 0.1, math.pi))
    if lower is not None and upper is not None and not lower < upper:
        lower, upper = min(lower, upper) - 0.05, max(lower, upper) + 0.05
    return lower, upper


@st.composite
def worlds(draw):
    """(World, description) with 1-8 bodies, joints and motors."""
    world = sp.World(dt=0.01)
    world.add_ground(friction=draw(st.floats(0, 1.5)), restitution=draw(st.floats(0, 1)))
    handles, positions, described = [], [], []
    for i in range(draw(st.integers(1, 8))):
        shape, kwargs, height = draw(bodies())
        position = (1.5 * i, 0.0, height + draw(st.floats(0.0, 1.0)))
        handles.append(getattr(world, f"add_{shape}")(position=position, **kwargs))
        positions.append(np.array(position))
        described.append(f"{shape} {kwargs['mass']:.3g} kg")
        kind = draw(st.sampled_from(["none", "hinge", "ball", "fixed"]))
        if kind == "none":
            continue
        parent = draw(st.sampled_from([None, *handles[:-1]]))
        anchor = positions[-1] if parent is None else (positions[-1] + positions[parent.index]) / 2
        if kind == "hinge":
            lower, upper = draw(limits())
            joint = world.add_hinge(parent, handles[-1], anchor=anchor, axis=draw(vector(1).filter(
                lambda a: np.linalg.norm(a) > 0.1)), lower=lower, upper=upper)
            if draw(st.booleans()):
                world.add_motor(joint, max_torque=draw(log_uniform(0.1, 100)), servo=draw(st.booleans()),
                                gain=draw(log_uniform(1, 50)), max_speed=draw(log_uniform(0.5, 10)))
        elif kind == "ball":
            world.add_ball_joint(parent, handles[-1], anchor=anchor)
        else:
            world.add_fixed(parent, handles[-1])
        described[-1] += f" {kind} to {'world' if parent is None else parent.index}"
    return world, described


NON_FINITE = re.compile(r"non-finite at step \d+ \(t = .* s\): \w+ of body \d+ \('.*'\)")


@WORLDS
@given(drawn=worlds())
def test_random_valid_worlds_simulate_or_report_where_they_fail(drawn):
    world, described = drawn
    model = world.build()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenetrationWarning)  # documented: a report, not a failure
        try:
            trajectory = sp.simulate(model, steps=STEPS)
        except sp.NonFiniteStateError as error:
            assert NON_FINITE.search(str(error)), (str(error), described)
            return
    assert trajectory.position.shape == (STEPS + 1, model.n_bodies, 3)
    for field in trajectory.fields():
        assert np.all(np.isfinite(field)), described
    np.testing.assert_allclose(np.linalg.norm(trajectory.orientation, axis=-1), 1.0, atol=1e-6)
