"""Bad input to the builder (World and its add_* methods): a ValueError whose message starts with the
argument's name, raised where the argument is given.  Nothing here compiles a graph.

One list of cases per entry point; a new builder method adds its own list.
"""

import math

import numpy as np
import pytest

import symphys as sp


def world_with_ground():
    world = sp.World()
    world.add_ground()
    return world


def two_bodies():
    """A world with two spheres and a hinge between them: (world, a, b, hinge)."""
    world = world_with_ground()
    a = world.add_sphere(radius=0.1, position=(0, 0, 1))
    b = world.add_sphere(radius=0.1, position=(0, 0, 1.3))
    hinge = world.add_hinge(a, b, anchor=(0, 0, 1.15), axis=(0, 1, 0))
    return world, a, b, hinge


def rejects(call, name):
    """``call()`` raises a ValueError whose message starts with ``name``."""
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value).startswith(name), str(error.value)
    return str(error.value)


WORLD_CASES = [
    (dict(gravity=-9.81), "gravity"), (dict(gravity=(0, 0, -9.81, 0)), "gravity"), (dict(gravity="down"), "gravity"),
    (dict(gravity=None), "gravity"), (dict(gravity=(0, 0, np.nan)), "gravity"), (dict(gravity=(True, 0, 0)), "gravity"),
    (dict(dt="fast"), "dt"), (dict(dt=True), "dt"), (dict(dt=np.inf), "dt"), (dict(dt=[0.01]), "dt"),
    (dict(iterations="ten"), "iterations"), (dict(iterations=2.5), "iterations"), (dict(iterations=True), "iterations"),
    (dict(newton_iterations=0), "newton_iterations"), (dict(warm_start="yes"), "warm_start"),
    (dict(newton_gradient="adjoint"), "solver newton_gradient"),
    (dict(gyroscopic=1), "gyroscopic"), (dict(relaxation="x"), "relaxation"), (dict(method=3), "method"),
    (dict(dtype=64), "dtype"), (dict(solver={}), "solver"), (dict(iteration=10), "iteration"),
    (dict(relaxation=np.nan), "solver relaxation"),
]


@pytest.mark.parametrize("kwargs, name", WORLD_CASES)
def test_world(kwargs, name):
    rejects(lambda: sp.World(**kwargs), name)


GROUND_CASES = [
    (dict(friction=-1), "friction"), (dict(friction="high"), "friction"), (dict(restitution=2), "restitution"),
    (dict(restitution=-0.1), "restitution"), (dict(height="x"), "height"), (dict(height=(0, 0)), "height"),
    (dict(height=np.nan), "height"),
]


@pytest.mark.parametrize("kwargs, name", GROUND_CASES)
def test_add_ground(kwargs, name):
    rejects(lambda: sp.World().add_ground(**kwargs), name)


SPHERE_CASES = [
    (dict(position=5), "position"), (dict(velocity=1), "velocity"), (dict(angular_velocity=0), "angular_velocity"),
    (dict(position="origin"), "position"), (dict(position=(0, 0, 1, 0)), "position"), (dict(position=None), "position"),
    (dict(orientation=5), "orientation"), (dict(orientation="up"), "orientation"), (dict(mass="1kg"), "mass"),
    (dict(mass=True), "mass"), (dict(mass=-1), "mass"), (dict(density=0), "density"), (dict(radius=None), "radius"),
    (dict(radius="big"), "radius"), (dict(friction=None), "friction"), (dict(restitution="bouncy"), "restitution"),
    (dict(name=3), "name"), (dict(velocity=(0, 0, 1e400)), "velocity"),
]


@pytest.mark.parametrize("kwargs, name", SPHERE_CASES)
def test_add_sphere(kwargs, name):
    kwargs = dict(dict(radius=0.1), **kwargs)
    rejects(lambda: world_with_ground().add_sphere(**kwargs), name)


SHAPE_CASES = [
    (lambda w: w.add_box(half_extents=0.1), "half_extents"),
    (lambda w: w.add_box(half_extents=(1, 1, -1)), "half_extents"),
    (lambda w: w.add_capsule(radius=0.1, length="long"), "length"),
    (lambda w: w.add_capsule(radius=0.1, length=-1), "length"),
    (lambda w: w.add_body(sp.Shape.SPHERE, (-1, 0, 0)), "size"),
    (lambda w: w.add_body(sp.Shape.BOX, (0.1, 0.1, 0)), "size"),
    (lambda w: w.add_body(sp.Shape.CAPSULE, (0.1, 0, 0)), "size"),
    (lambda w: w.add_body(sp.Shape.SPHERE, 0.1), "size"), (lambda w: w.add_body(sp.Shape.SPHERE, "small"), "size"),
    (lambda w: w.add_body(7, (0.1, 0, 0)), "shape"), (lambda w: w.add_body("ball", (0.1, 0, 0)), "shape"),
]


@pytest.mark.parametrize("case", range(len(SHAPE_CASES)))
def test_add_shapes(case):
    call, name = SHAPE_CASES[case]
    rejects(lambda: call(world_with_ground()), name)


def test_add_body_size_is_not_a_negative_mass():
    """add_body(Shape.SPHERE, (-1, 0, 0)) used to give a negative mass; a valid size still works."""
    world = world_with_ground()
    world.add_body(sp.Shape.SPHERE, (0.1, 0, 0))
    assert world.build().body_mass[0] == pytest.approx(1000 * 4 / 3 * math.pi * 0.1**3)


JOINT_CASES = [
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), lower=np.nan, upper=np.nan), "lower"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), lower=-10, upper=10), "lower"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), lower=-1, upper=10), "upper"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), lower=4, upper=5), "lower"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), lower="low"), "lower"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), upper=np.nan), "upper"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), lower=0.5, upper=0.5), "lower"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), lower=1, upper=-1), "lower"),
    (lambda w, a, b: w.add_hinge(a, b, 1, (0, 1, 0)), "anchor"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 0, 0)), "axis"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), "y"), "axis"),
    (lambda w, a, b: w.add_hinge(3.5, b, (0, 0, 1), (0, 1, 0)), "parent"),
    (lambda w, a, b: w.add_hinge(a, None, (0, 0, 1), (0, 1, 0)), "child"),
    (lambda w, a, b: w.add_hinge(a, a, (0, 0, 1), (0, 1, 0)), "child"),
    (lambda w, a, b: w.add_hinge(a, "nobody", (0, 0, 1), (0, 1, 0)), "child"),
    (lambda w, a, b: w.add_hinge(a, 7, (0, 0, 1), (0, 1, 0)), "child"),
    (lambda w, a, b: w.add_hinge(a, True, (0, 0, 1), (0, 1, 0)), "child"),
    (lambda w, a, b: w.add_hinge(a, b, (0, 0, 1), (0, 1, 0), name=""), "name"),
    (lambda w, a, b: w.add_ball_joint(a, b, anchor="here"), "anchor"),
    (lambda w, a, b: w.add_fixed(a, [b]), "child"),
]


@pytest.mark.parametrize("case", range(len(JOINT_CASES)))
def test_add_joint(case):
    call, name = JOINT_CASES[case]
    world = world_with_ground()
    a = world.add_sphere(radius=0.1, position=(0, 0, 1))
    b = world.add_sphere(radius=0.1, position=(0, 0, 1.3))
    rejects(lambda: call(world, a, b), name)


def test_hinge_limit_errors_report_the_given_values():
    """lower=4, upper=5 used to report a clipped lower of pi; lower=-10, upper=10 was silently clipped."""
    world, a, b, _ = two_bodies()
    assert "got 4" in rejects(lambda: world.add_hinge(a, b, (0, 0, 1), (1, 0, 0), lower=4, upper=5), "lower")
    assert "got -10" in rejects(lambda: world.add_hinge(a, b, (0, 0, 1), (1, 0, 0), lower=-10, upper=10), "lower")
    # In range, and open sides (None or infinite) are the hinge's full circle.
    world.add_hinge(a, b, (0, 0, 1), (1, 0, 0), lower=-math.pi, upper=math.pi)
    world.add_hinge(a, b, (0, 0, 1), (0, 0, 1), lower=None, upper=0.5)
    world.add_hinge(a, b, (0, 0, 1), (1, 1, 0), lower=-0.5, upper=np.inf)
    model = world.build()
    np.testing.assert_allclose(model.joint_lower, [-np.inf, -math.pi, -math.pi, -0.5])
    np.testing.assert_allclose(model.joint_upper, [np.inf, math.pi, 0.5, math.pi])


MOTOR_CASES = [
    (lambda w, j: w.add_motor(j, 1.0, servo="no"), "servo"), (lambda w, j: w.add_motor(j, 1.0, servo=1), "servo"),
    (lambda w, j: w.add_motor(j, 1.0, servo=None), "servo"), (lambda w, j: w.add_motor("hinge0", 1.0), "joint"),
    (lambda w, j: w.add_motor(j, -1.0), "max_torque"), (lambda w, j: w.add_motor(j, "strong"), "max_torque"),
    (lambda w, j: w.add_motor(j, 1.0, gain=0), "gain"),
    (lambda w, j: w.add_motor(j, 1.0, max_speed="fast"), "max_speed"),
    (lambda w, j: w.add_motor(j, 1.0, name=""), "name"),
]


@pytest.mark.parametrize("case", range(len(MOTOR_CASES)))
def test_add_motor(case):
    call, name = MOTOR_CASES[case]
    world, _, _, hinge = two_bodies()
    rejects(lambda: call(world, hinge), name)


def test_motor_on_a_ball_joint():
    world, a, b, _ = two_bodies()
    ball = world.add_ball_joint(a, b, anchor=(0, 0, 1.15))
    rejects(lambda: world.add_motor(ball, 1.0), "joint")


def test_handles_from_another_world_are_refused():
    """Handles know their World: another world's body (at a valid index) or hinge (on a ball joint's
    index) is refused, naming the argument, instead of wiring the wrong bodies."""
    world, a, b, _ = two_bodies()
    other, c, d, other_hinge = two_bodies()
    other_ball = other.add_ball_joint(c, d, anchor=(0, 0, 1.15))
    world.add_ball_joint(a, b, anchor=(0, 0, 1.15))  # index 1 here: other_ball's index
    for call, name in [(lambda: world.add_hinge(c, b, (0, 0, 1), (0, 1, 0)), "parent"),
                       (lambda: world.add_hinge(a, d, (0, 0, 1), (0, 1, 0)), "child"),
                       (lambda: world.add_fixed(None, c), "child"),
                       (lambda: world.add_motor(other_hinge, 1.0), "joint"),
                       (lambda: world.add_motor(other_ball, 1.0), "joint")]:
        assert "another World" in rejects(call, name)
    assert world.build().n_motors == 0


BUILT_MODEL_CASES = [
    (lambda m: m.initial_state(batch="many"), "batch"), (lambda m: m.initial_state(batch=0), "batch"),
    (lambda m: m.initial_state(batch=2.5), "batch"), (lambda m: m.body_index("cube"), "body"),
    (lambda m: sp.World().build(), "bodies"),
]


@pytest.mark.parametrize("case", range(len(BUILT_MODEL_CASES)))
def test_model(case):
    call, name = BUILT_MODEL_CASES[case]
    world, _, _, _ = two_bodies()
    rejects(lambda: call(world.build()), name)
