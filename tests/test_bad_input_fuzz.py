"""Random bad input, drawn by hypothesis, for every entry point at once:

- invalid arguments to the builder methods and to simulate/rollout: always a ValueError raised by
  symphys whose message starts with the argument's name, before any graph exists;
- mutations of valid MJCF and URDF files (attributes deleted or given wrong values, unknown elements,
  elements deleted, files truncated): either the file still loads, or MJCFError/URDFError naming the
  file and the line; never another exception.  Building what loaded may still raise the World's
  ValueError naming its argument (a file whose only body was deleted has no bodies).

Nothing here compiles, so `make test` runs 50 reproducible examples per test;
SYMPHYS_PROPERTY_EXAMPLES=200 (`make fuzz`) runs 200 random ones.
"""

import math
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symphys as sp

FUZZ = "SYMPHYS_PROPERTY_EXAMPLES" in os.environ
CHEAP = settings(max_examples=int(os.environ.get("SYMPHYS_PROPERTY_EXAMPLES", "50")), deadline=None,
                 derandomize=not FUZZ, database=None, suppress_health_check=[HealthCheck.too_slow])
ROOT = Path(__file__).resolve().parent.parent

# -- values that are wrong for every argument of a kind -------------------------------------------
NOT_NUMBERS = st.sampled_from(["1", "ten", None, [1.0], {"x": 1}, (1, 2), b"1", True, object()])
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
BAD_VECTOR = st.one_of(
    st.floats(allow_nan=True), st.integers(-5, 5),  # a scalar is not broadcast
    st.lists(st.floats(-10, 10), max_size=6).filter(lambda v: len(v) != 3),
    st.tuples(st.floats(-1, 1), NON_FINITE, st.floats(-1, 1)), st.just("0 0 1"), st.just(None),
    st.just((True, False, True)), st.just({"x": 0}), st.just(np.zeros((1, 3))))
BAD = {
    "vector": BAD_VECTOR,
    "positive": st.one_of(NOT_NUMBERS, NON_FINITE, st.floats(max_value=0.0)),
    "nonnegative": st.one_of(NOT_NUMBERS, NON_FINITE, st.floats(max_value=-1e-12, min_value=-1e300)),
    "fraction": st.one_of(NOT_NUMBERS, NON_FINITE, st.floats(max_value=-1e-12, min_value=-1e3),
                          st.floats(min_value=1.0 + 1e-9, max_value=1e300)),
    "quaternion": st.one_of(st.just((0, 0, 0, 0)), st.floats(-1, 1), st.just((1, 0, 0)), st.just("identity"),
                            st.tuples(st.just(1.0), NON_FINITE, st.just(0.0), st.just(0.0))),
    "angle": st.one_of(st.just("low"), st.just(math.nan), st.floats(min_value=math.pi + 1e-6, max_value=1e300),
                       st.floats(max_value=-math.pi - 1e-6, min_value=-1e300), st.just([0.5]), st.just(True)),
    "bool": st.sampled_from(["no", "yes", 0, 1, None, "False", 1.0]),
    "count": st.one_of(st.just("ten"), st.just(None), st.integers(-10, 0), st.just(2.5), st.just(True),
                       st.just(math.nan)),
}


def world_with(n_bodies=2):
    world = sp.World()
    world.add_ground()
    bodies = [world.add_sphere(radius=0.1, position=(i, 0, 1)) for i in range(n_bodies)]
    return world, bodies


def call_builder(method, argument, value):
    """Call a builder method with one argument replaced by ``value``."""
    world, (a, b) = world_with()
    hinge = world.add_hinge(a, b, anchor=(0.5, 0, 1), axis=(0, 1, 0))
    calls = {
        "World": lambda kw: sp.World(**kw),
        "add_ground": lambda kw: sp.World().add_ground(**kw),
        "add_sphere": lambda kw: world.add_sphere(**dict(dict(radius=0.1), **kw)),
        "add_box": lambda kw: world.add_box(**dict(dict(half_extents=(0.1, 0.1, 0.1)), **kw)),
        "add_capsule": lambda kw: world.add_capsule(**dict(dict(radius=0.1, length=0.2), **kw)),
        "add_hinge": lambda kw: world.add_hinge(**dict(dict(parent=a, child=b, anchor=(0.5, 0, 1), axis=(0, 0, 1)),
                                                       **kw)),
        "add_ball_joint": lambda kw: world.add_ball_joint(**dict(dict(parent=a, child=b, anchor=(0.5, 0, 1)), **kw)),
        "add_motor": lambda kw: world.add_motor(**dict(dict(joint=hinge, max_torque=1.0), **kw)),
    }
    return calls[method]({argument: value})


BODY_ARGUMENTS = [("position", "vector"), ("velocity", "vector"), ("angular_velocity", "vector"),
                  ("orientation", "quaternion"), ("mass", "positive"), ("density", "positive"),
                  ("friction", "nonnegative"), ("restitution", "fraction")]
BUILDER_ARGUMENTS = (
    [("World", "dt", "positive"), ("World", "gravity", "vector"), ("World", "iterations", "count"),
     ("World", "warm_start", "bool"), ("add_ground", "friction", "nonnegative"),
     ("add_ground", "restitution", "fraction"), ("add_sphere", "radius", "positive"),
     ("add_box", "half_extents", "vector"), ("add_capsule", "length", "positive"),
     ("add_hinge", "anchor", "vector"), ("add_hinge", "axis", "vector"), ("add_hinge", "lower", "angle"),
     ("add_hinge", "upper", "angle"), ("add_ball_joint", "anchor", "vector"), ("add_motor", "servo", "bool"),
     ("add_motor", "max_torque", "positive"), ("add_motor", "gain", "positive"),
     ("add_motor", "max_speed", "positive")]
    + [(method, argument, kind) for method in ("add_sphere", "add_box", "add_capsule")
       for argument, kind in BODY_ARGUMENTS])


@st.composite
def bad_builder_calls(draw):
    method, argument, kind = draw(st.sampled_from(BUILDER_ARGUMENTS))
    return method, argument, draw(BAD[kind])


def rejects(call, name):
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value).startswith(name), str(error.value)


@CHEAP
@given(case=bad_builder_calls())
def test_random_invalid_builder_arguments_are_named(case):
    method, argument, value = case
    # None is a valid choice for these: mass/density not given; anchor at the child's centre.
    assume(not (argument in ("mass", "density", "anchor") and value is None))
    if argument == "density":  # given with mass, density is refused whatever its value; alone it is checked
        rejects(lambda: call_builder(method, "density", value), "density")
    else:
        rejects(lambda: call_builder(method, argument, value), argument)


def motor_model():
    """Two spheres on a motorized hinge: per-body and per-motor params."""
    world, (a, b) = world_with(2)
    world.add_motor(world.add_hinge(a, b, anchor=(0.5, 0, 1), axis=(0, 1, 0)), max_torque=1.0)
    return world.build()


MODEL = motor_model()
PER_ITEM = ("body_mass", "body_friction", "body_restitution", "motor_gain", "motor_max_torque")
POSITIVE = ("body_mass", "motor_gain", "motor_max_torque")  # > 0; the others >= 0


@st.composite
def bad_params(draw):
    """(field, value) with a value out of range, of the wrong shape or not numbers."""
    field = draw(st.sampled_from(PER_ITEM + ("ground_friction", "ground_restitution")))
    good = np.asarray(getattr(MODEL.params(), field), dtype=float)
    kind = draw(st.sampled_from(["range", "shape", "kind"]))
    if kind == "shape":
        shape = draw(st.lists(st.integers(1, 3), max_size=3).filter(lambda s: tuple(s) != good.shape))
        return field, np.full(shape, 0.5)
    if kind == "kind":
        return field, draw(st.sampled_from([np.array(["a"] * max(good.size, 1)).reshape(good.shape), None, "1"]))
    low = 0.0 if field in POSITIVE else -1e-9
    bad = draw(st.one_of(NON_FINITE, st.floats(max_value=low, min_value=-1e300),
                         *([st.floats(min_value=1 + 1e-9, max_value=1e300)] if "restitution" in field else [])))
    if good.ndim == 0:
        return field, np.float64(bad)
    value = good.copy()
    value[draw(st.integers(0, good.size - 1))] = bad
    return field, value


@CHEAP
@given(case=bad_params(), entry=st.sampled_from(["simulate", "rollout"]))
def test_random_invalid_params_are_named(case, entry):
    field, value = case
    params = MODEL.params().replace(**{field: value})
    run = (lambda: sp.simulate(MODEL, steps=5, params=params)) if entry == "simulate" else (
        lambda: sp.rollout(MODEL, MODEL.initial_state(), 5, params))
    rejects(run, f"params.{field}")


@CHEAP
@given(field=st.sampled_from(["position", "orientation", "velocity", "angular_velocity"]),
       shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), steps=BAD["count"])
def test_random_invalid_states_and_steps_are_named(field, shape, steps):
    good = getattr(MODEL.initial_state(), field)
    if tuple(shape) != good.shape and not (len(shape) == 3 and tuple(shape[1:]) == good.shape):
        rejects(lambda: sp.simulate(MODEL, MODEL.initial_state().replace(**{field: np.ones(shape)}), 5),
                f"state.{field}")
    rejects(lambda: sp.simulate(MODEL, steps=steps), "steps")
    rejects(lambda: sp.rollout(MODEL, MODEL.initial_state(), steps), "steps")


# -- mutated model files ----------------------------------------------------------------------------
SOURCES = {
    "mjcf": [ROOT / "symphys_models" / name for name in ("arm.xml", "quadruped.xml", "timing_quadruped.xml")]
    + [ROOT / "tests" / "data" / name for name in ("pendulum.xml", "pendulum2.xml", "falling_box.xml")],
    "urdf": [ROOT / "tests" / "data" / "pendulum.urdf"],
}
ATTRIBUTE = re.compile(r'(\s)([\w:]+)="([^"]*)"')
ELEMENT = re.compile(r"<(\w+)[\s/>]")
WRONG_VALUES = ["abc", "nan", "inf", "", "1 2", "-1", "1e400", "0", "true", "-5 -5 -5", "1,2,3"]


@st.composite
def mutated_files(draw):
    """(loader name, file, mutated text, what was done)."""
    kind = draw(st.sampled_from(["mjcf", "urdf"]))
    path = draw(st.sampled_from(SOURCES[kind]))
    text = path.read_text()
    mutation = draw(st.sampled_from(["delete attribute", "wrong value", "unknown element", "delete element",
                                     "truncate"]))
    if mutation in ("delete attribute", "wrong value"):
        match = draw(st.sampled_from(list(ATTRIBUTE.finditer(text))))
        new = "" if mutation == "delete attribute" else f'{match[1]}{match[2]}="{draw(st.sampled_from(WRONG_VALUES))}"'
        text = text[:match.start()] + new + text[match.end():]
        what = f"{mutation} {match[2]}"
    elif mutation == "unknown element":
        match = draw(st.sampled_from([m for m in ELEMENT.finditer(text)][1:]))
        text = text[:match.start()] + "<symphys_unknown_element/>" + text[match.start():]
        what = f"unknown element before <{match[1]}>"
    elif mutation == "delete element":
        match = draw(st.sampled_from([m for m in ELEMENT.finditer(text)][1:]))
        end = text.find("/>", match.start())
        closing = text.find(f"</{match[1]}>", match.start())
        if end < 0 or (0 <= closing < end) or ">" in text[match.start():end]:
            end = closing + len(f"</{match[1]}>") if closing >= 0 else end + 2
        else:
            end += 2
        text = text[:match.start()] + text[end:]
        what = f"delete <{match[1]}>"
    else:
        cut = draw(st.integers(1, len(text) - 1))
        text = text[:cut]
        what = f"truncate at {cut}"
    return kind, path, text, what


@CHEAP
@given(case=mutated_files())
def test_mutated_model_files_load_or_raise_naming_file_and_line(case, tmp_path_factory):
    kind, path, text, what = case
    copy = tmp_path_factory.mktemp("mutated") / path.name
    copy.write_text(text)
    if path.parent.name == "data" and kind == "mjcf":  # includes are relative to the file
        copy = path.parent / f".mutated_{os.getpid()}_{path.name}"
        copy.write_text(text)
    load, error = (sp.load_mjcf, sp.MJCFError) if kind == "mjcf" else (sp.load_urdf, sp.URDFError)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (sp.MJCFWarning, sp.URDFWarning))
            world = load(copy)
    except error as raised:
        assert re.search(rf"{re.escape(str(copy))}, line \d+", str(raised)), (what, str(raised))
        return
    finally:
        if copy.parent == path.parent:
            copy.unlink()
    try:  # what the file describes loaded; building it is the World's check (e.g. no bodies left)
        world.build()
    except ValueError as raised:
        assert re.match(r"\w+: ", str(raised)), (what, str(raised))
