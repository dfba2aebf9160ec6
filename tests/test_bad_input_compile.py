"""Bad input to grad, compile and compiled functions: a ValueError (or TypeError) raised by symphys whose
message starts with the argument's name, before the graph library sees it.  One small graph without a
scan is compiled for the calls (module fixture)."""

import numpy as np
import pytest

import symphys as sp
from symphys.backend import tensor

world = sp.World()
world.add_ground()
world.add_sphere(radius=0.1, position=(0, 0, 1))
world.add_box(half_extents=(0.1, 0.1, 0.1), position=(1, 0, 1))
MODEL = world.build()
BATCH = 4
STATE = sp.symbolic_state(MODEL, BATCH)
PARAMS = sp.symbolic_params(MODEL, BATCH)
HEIGHT = (STATE.position[:, :, 2] * PARAMS.body_mass).sum()  # a scalar of the inputs


def rejects(call, name):
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value).startswith(name), str(error.value)
    return str(error.value)


GRAD_CASES = [
    (lambda: sp.grad(HEIGHT, "velocity"), "wrt"), (lambda: sp.grad(HEIGHT, None), "wrt"),
    (lambda: sp.grad(HEIGHT, [STATE.position, np.zeros(3)]), "wrt[1]"),
    (lambda: sp.grad(STATE.position, STATE.position), "cost"), (lambda: sp.grad("loss", STATE.position), "cost"),
    (lambda: sp.grad(None, STATE.position), "cost"),
]


@pytest.mark.parametrize("case", range(len(GRAD_CASES)))
def test_grad(case):
    call, name = GRAD_CASES[case]
    rejects(call, name)


COMPILE_CASES = [
    (lambda: sp.compile([np.zeros((BATCH, 2, 3))], [HEIGHT]), "inputs[0]"),
    (lambda: sp.compile([STATE.position], None), "outputs"), (lambda: sp.compile(None, [HEIGHT]), "inputs"),
    (lambda: sp.compile([STATE.position, "velocity"], [HEIGHT]), "inputs[1]"),
    (lambda: sp.compile([STATE.position * 2], [HEIGHT]), "inputs[0]"),
    (lambda: sp.compile([STATE.position, STATE.position], [HEIGHT]), "inputs"),
    (lambda: sp.compile([STATE.position], ["height"]), "outputs[0]"),
    (lambda: sp.compile([STATE.position], [HEIGHT, None]), "outputs[1]"),
    (lambda: sp.compile([STATE.position], [HEIGHT], backend="gpu"), "backend"),
]


@pytest.mark.parametrize("case", range(len(COMPILE_CASES)))
def test_compile(case):
    call, name = COMPILE_CASES[case]
    rejects(call, name)


@pytest.fixture(scope="module")
def height():
    """Compiled (position, masses, x) -> (height, 2 x); x a plain (3,) input without model labels."""
    x = tensor("x", (3,), "float64")
    return sp.compile([STATE.position, PARAMS.body_mass, x], [HEIGHT, 2 * x])


def good():
    return [np.ones((BATCH, 2, 3)), np.ones((BATCH, 2)), np.ones(3)]


CALL_CASES = [
    (0, "up", "inputs[0] (position)"), (0, np.ones((2, 3)), "inputs[0] (position)"),
    (0, np.ones((BATCH, 3, 3)), "inputs[0] (position)"), (0, np.ones((BATCH + 1, 2, 3)), "inputs[0] (position)"),
    (0, None, "inputs[0] (position)"), (0, np.array([["a"] * 3] * 2), "inputs[0] (position)"),
    (1, np.ones(2), "inputs[1] (body_mass)"), (1, np.array([[1.0, "x"]] * BATCH), "inputs[1] (body_mass)"),
    (2, np.ones(4), "inputs[2] (x)"), (2, STATE.velocity, "inputs[2] (x)"),
]


@pytest.mark.parametrize("case", range(len(CALL_CASES)))
def test_compiled_function_call(height, case):
    index, value, name = CALL_CASES[case]
    args = good()
    args[index] = value
    rejects(lambda: height(*args), name)


def test_compiled_function_messages_are_in_model_terms(height):
    args = good()
    args[0] = np.ones((2, 3))
    assert "(batch 4, bodies 2, 3), got (2, 3)" in rejects(lambda: height(*args), "inputs[0] (position)")
    args = good()
    args[2] = np.ones(4)
    assert "(3,), got (4,)" in rejects(lambda: height(*args), "inputs[2] (x)")
    rejects(lambda: height(*good()[:2]), "inputs")
    total, doubled = height(*good())
    assert total == pytest.approx(2 * BATCH) and doubled.tolist() == [2.0, 2.0, 2.0]
