"""Bad input to simulate, rollout, symbolic_state/symbolic_params: a ValueError whose message starts with
the argument's name (``params.body_mass``, ``state.velocity``, ``wrench``), with shapes in the model's terms,
raised before any graph is built (nothing here compiles, except the per-world params test at the end).
"""

import numpy as np
import pytest

import symphys as sp
from symphys.backend import tensor

G = 9.81


def ball_model():
    world = sp.World(dt=0.01)
    world.add_ground(friction=0.5)
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0.3), name="ball")
    return world


def arm_model():
    """Two boxes on a motorized hinge (one motor)."""
    world = sp.World(dt=0.01)
    base = world.add_box(half_extents=(0.1, 0.1, 0.1), position=(0, 0, 1))
    link = world.add_box(half_extents=(0.2, 0.05, 0.05), position=(0.3, 0, 1))
    world.add_fixed(None, base)
    world.add_motor(world.add_hinge(base, link, anchor=(0.1, 0, 1), axis=(0, 1, 0)), max_torque=5.0)
    return world.build()


MODEL = ball_model().build()
TWO_BODIES = arm_model()


def rejects(call, name):
    """``call()`` raises a ValueError whose message starts with ``name``; returns the message."""
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value).startswith(name), str(error.value)
    return str(error.value)


def params(**fields):
    return MODEL.params().replace(**fields)


def state(batch=None, **fields):
    return MODEL.initial_state(batch).replace(**fields)


SIMULATE_CASES = [
    (dict(model=ball_model()), "model"), (dict(model=None), "model"), (dict(model="ball"), "model"),
    (dict(steps=None), "steps"), (dict(steps="ten"), "steps"), (dict(steps=0), "steps"), (dict(steps=2.5), "steps"),
    (dict(steps=True), "steps"), (dict(state="initial"), "state"), (dict(state=TWO_BODIES.initial_state()), "state"),
    (dict(state=state(velocity=np.zeros((2, 1, 3)))), "state.velocity"),
    (dict(state=state(position=np.zeros((1, 2)))), "state.position"),
    (dict(state=state(orientation=np.zeros((1, 4)))), "state.orientation"),
    (dict(state=state(velocity=np.full((1, 3), np.inf))), "state.velocity"),
    (dict(state=state(angular_velocity=[["a", "b", "c"]])), "state.angular_velocity"),
    (dict(backend="gpu"), "backend"), (dict(check="yes"), "check"), (dict(params={"body_mass": 1}), "params"),
    (dict(params=params(body_mass=np.array([-1.0]))), "params.body_mass"),
    (dict(params=params(body_mass=np.array([0.0]))), "params.body_mass"),
    (dict(params=params(body_mass=np.array([np.nan]))), "params.body_mass"),
    (dict(params=params(body_mass=np.array([1.0, 2.0]))), "params.body_mass"),
    (dict(params=params(body_mass=np.array(["heavy"]))), "params.body_mass"),
    (dict(params=params(body_mass=2.0)), "params.body_mass"),
    (dict(params=params(body_mass=np.ones((2, 1)))), "params.body_mass"),
    (dict(params=params(body_friction=np.array([-0.5]))), "params.body_friction"),
    (dict(params=params(body_restitution=np.array([5.0]))), "params.body_restitution"),
    (dict(params=params(body_restitution=np.array([-0.1]))), "params.body_restitution"),
    (dict(params=params(ground_restitution=-0.1)), "params.ground_restitution"),
    (dict(params=params(ground_friction=-1.0)), "params.ground_friction"),
    (dict(params=params(ground_friction=np.ones(1))), "params.ground_friction"),
    (dict(params=params(ground_friction=None)), "params.ground_friction"),
    (dict(state=state(2), params=params(body_mass=np.ones((3, 1)))), "params.body_mass"),
    (dict(state=state(2), params=params(body_mass=np.array([[1.0], [-1.0]]))), "params.body_mass"),
    (dict(state=sp.symbolic_state(MODEL)), "state"), (dict(params=sp.symbolic_params(MODEL)), "params"),
]


@pytest.mark.parametrize("case", range(len(SIMULATE_CASES)))
def test_simulate(case):
    kwargs, name = SIMULATE_CASES[case]
    kwargs = dict(dict(model=MODEL, steps=3), **kwargs)
    rejects(lambda: sp.simulate(**kwargs), name)


def test_messages_name_the_body_world_and_shapes():
    """Expected and received shapes in the model's terms; a bad value's body and world."""
    message = rejects(lambda: sp.simulate(MODEL, state(2), 3, params=params(body_restitution=np.array([[0.5], [5.0]]))),
                      "params.body_restitution")
    assert "got 5" in message and "body 0 ('ball'), world 1" in message
    message = rejects(lambda: sp.simulate(MODEL, TWO_BODIES.initial_state(), 3), "state.position")
    assert "bodies 1" in message and "(2, 3)" in message
    message = rejects(lambda: sp.rollout(TWO_BODIES, TWO_BODIES.initial_state(3), 5, controls=np.zeros((5, 2, 1))),
                      "controls")
    assert "(steps 5, batch 3, motors 1)" in message and "(5, 2, 1)" in message


ROLLOUT_CASES = [
    (dict(state=None), "state"), (dict(model=ball_model()), "model"), (dict(steps=None), "steps"),
    (dict(wrench=np.zeros((3, 2, 6))), "wrench"), (dict(wrench=np.zeros((4, 1, 6))), "wrench"),
    (dict(wrench=np.zeros((3, 1, 3))), "wrench"), (dict(wrench="push"), "wrench"),
    (dict(wrench=np.full((3, 1, 6), np.nan)), "wrench"),
    (dict(wrench=tensor("w", (3, 2, 6), "float64")), "wrench"), (dict(controls=np.zeros((3, 1))), "controls"),
    (dict(controller=5), "controller"), (dict(gradient_decay="x"), "gradient_decay"),
    (dict(gradient_decay=1.5), "gradient_decay"), (dict(truncate_gradient=0), "truncate_gradient"),
    (dict(gradient_window="all"), "gradient_window"), (dict(params=params(body_mass=np.array([-1.0]))), "params"),
    (dict(params=params(body_mass=tensor("m", (2,), "float64"))), "params.body_mass"),
    (dict(state=sp.symbolic_state(MODEL).replace(velocity=tensor("v", (1, 4), "float64"))), "state.velocity"),
]


@pytest.mark.parametrize("case", range(len(ROLLOUT_CASES)))
def test_rollout(case):
    kwargs, name = ROLLOUT_CASES[case]
    kwargs = dict(dict(model=MODEL, state=MODEL.initial_state(), steps=3), **kwargs)
    rejects(lambda: sp.rollout(**kwargs), name)


MOTOR_CASES = [
    (dict(controls=np.zeros((3, 2))), "controls"), (dict(controls=np.zeros((3, 1, 1))), "controls"),
    (dict(controls=np.zeros((3, 1)), controller=lambda s, t: s.position[:, :1, 0]), "controls"),
]


@pytest.mark.parametrize("case", range(len(MOTOR_CASES)))
def test_rollout_with_motors(case):
    kwargs, name = MOTOR_CASES[case]
    rejects(lambda: sp.rollout(TWO_BODIES, TWO_BODIES.initial_state(), 3, **kwargs), name)


INPUT_CASES = [
    (lambda: sp.symbolic_state(ball_model()), "model"), (lambda: sp.symbolic_state(MODEL, batch="many"), "batch"),
    (lambda: sp.symbolic_params(MODEL, batch=0), "batch"), (lambda: sp.symbolic_params(None), "model"),
]


@pytest.mark.parametrize("case", range(len(INPUT_CASES)))
def test_symbolic_inputs(case):
    call, name = INPUT_CASES[case]
    rejects(call, name)


def test_per_world_params_of_shape_batch_by_bodies():
    """simulate takes per-body params of shape (batch, n_bodies), one row per world: a ball dropped from
    0.3 m in two worlds of restitution 0 and 0.8 (and masses 1 and 3 kg) falls the same way, and bounces in
    the second world only; each world equals an unbatched run with its own params."""
    drop = ball_model().build()
    per_world = drop.params().replace(body_mass=np.array([[1.0], [3.0]]), body_restitution=np.array([[0.0], [0.8]]))
    batched = sp.simulate(drop, drop.initial_state(2), steps=40, params=per_world)
    assert batched.position.shape == (41, 2, 1, 3)
    z = batched.position[:, :, 0, 2]
    fall = slice(0, 15)  # before the ball reaches the ground (~0.2 s)
    np.testing.assert_allclose(z[fall, 0], z[fall, 1], rtol=0, atol=1e-12)
    assert z[-1, 0] < 0.11 and z[-1, 1] > 0.15  # resting vs rebounding
    single = sp.simulate(drop, drop.initial_state(), steps=40,
                         params=drop.params().replace(body_mass=np.array([3.0]), body_restitution=np.array([0.8])))
    np.testing.assert_allclose(batched.position[:, 1], single.position, rtol=0, atol=1e-9)
