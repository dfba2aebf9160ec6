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


def motor_params(**fields):
    return TWO_BODIES.params().replace(**fields)


# Per-motor params (TWO_BODIES has one motor, MODEL none): each to simulate and rollout.
MOTOR_PARAM_CASES = [
    (motor_params(motor_gain=np.array([-1.0])), "params.motor_gain"),
    (motor_params(motor_gain=np.array([0.0])), "params.motor_gain"),
    (motor_params(motor_gain=np.array([np.nan])), "params.motor_gain"),
    (motor_params(motor_gain=np.ones(2)), "params.motor_gain"),
    (motor_params(motor_gain=30.0), "params.motor_gain"),
    (motor_params(motor_gain=np.ones((2, 1))), "params.motor_gain"),  # per world, unbatched state
    (motor_params(motor_gain=None), "params.motor_gain"),
    (motor_params(motor_max_torque=np.array([-5.0])), "params.motor_max_torque"),
    (motor_params(motor_max_torque=np.array([np.inf])), "params.motor_max_torque"),
    (motor_params(motor_max_torque=np.array(["strong"])), "params.motor_max_torque"),
]


@pytest.mark.parametrize("entry", ["simulate", "rollout"])
@pytest.mark.parametrize("case", range(len(MOTOR_PARAM_CASES)))
def test_motor_params(case, entry):
    params, name = MOTOR_PARAM_CASES[case]
    if entry == "simulate":
        rejects(lambda: sp.simulate(TWO_BODIES, steps=3, params=params), name)
    else:
        rejects(lambda: sp.rollout(TWO_BODIES, TWO_BODIES.initial_state(), 3, params), name)


def test_motor_param_messages_name_the_motor_world_and_shapes():
    """A bad max torque's motor and world; a model without motors takes per-motor params of shape (0,);
    an integer expression, or one of the wrong length, is refused, naming the field."""
    message = rejects(lambda: sp.rollout(TWO_BODIES, TWO_BODIES.initial_state(2), 3,
                                         motor_params(motor_max_torque=np.array([[5.0], [-1.0]]))),
                      "params.motor_max_torque")
    assert "> 0 (N m), got -1" in message and "motor 0 ('motor0'), world 1" in message, message
    message = rejects(lambda: sp.simulate(MODEL, steps=3, params=params(motor_gain=np.ones(1))), "params.motor_gain")
    assert "(motors 0,)" in message, message
    with pytest.raises(TypeError, match=r"^params\.motor_gain must be a floating-point expression"):
        sp.rollout(TWO_BODIES, TWO_BODIES.initial_state(), 3, motor_params(motor_gain=tensor("g", (1,), "int64")))
    rejects(lambda: sp.rollout(TWO_BODIES, TWO_BODIES.initial_state(), 3,
                               motor_params(motor_gain=tensor("g", (3,), "float64"))), "params.motor_gain")


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


def test_per_world_motor_params_of_shape_batch_by_motors():
    """simulate takes per-motor params of shape (batch, n_motors), alone or beside per-body ones of
    shape (n_bodies,) (then tiled over the worlds), and the other way round: the arm's 4 kg link
    (7.8 N m of load) held by max torques of 5 and 1 N m sags at different rates; the 1 N m world
    equals the run where both worlds have 1 N m (one compiled simulator for both calls)."""
    world_torques = motor_params(motor_max_torque=np.array([[5.0], [1.0]]))
    both_weak = motor_params(motor_max_torque=np.array([1.0]), body_mass=np.tile(TWO_BODIES.body_mass, (2, 1)))
    mixed = sp.simulate(TWO_BODIES, TWO_BODIES.initial_state(2), steps=10, params=world_torques)
    weak = sp.simulate(TWO_BODIES, TWO_BODIES.initial_state(2), steps=10, params=both_weak)
    np.testing.assert_array_equal(mixed.position[:, 1], weak.position[:, 1])
    np.testing.assert_array_equal(weak.position[:, 0], weak.position[:, 1])
    sag = TWO_BODIES.init_position[1, 2] - mixed.position[-1, :, 1, 2]  # m
    assert 0 < sag[0] < sag[1], sag
