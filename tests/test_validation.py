"""Bad input raises ValueError naming the argument, before any graph exists."""

import numpy as np
import pytest

import symphys as sp


def world_with_ground():
    world = sp.World()
    world.add_ground()
    return world


@pytest.mark.parametrize("kwargs, name", [
    (dict(radius=0.1, mass=-1.0), "mass"),
    (dict(radius=0.1, mass=0.0), "mass"),
    (dict(radius=0.1, mass=float("nan")), "mass"),
    (dict(radius=0.1, density=-5.0), "density"),
    (dict(radius=0.1, mass=1.0, density=1000.0), "density"),
    (dict(radius=0.0), "radius"),
    (dict(radius=-0.2), "radius"),
    (dict(radius=float("nan")), "radius"),
    (dict(radius=0.1, orientation=(0, 0, 0, 0)), "orientation"),
    (dict(radius=0.1, orientation=(1, 0, 0)), "orientation"),
    (dict(radius=0.1, position=(0, 0, float("nan"))), "position"),
    (dict(radius=0.1, position=(0, 0)), "position"),
    (dict(radius=0.1, velocity=(0, float("inf"), 0)), "velocity"),
    (dict(radius=0.1, angular_velocity=[[0, 0, 0]]), "angular_velocity"),
    (dict(radius=0.1, friction=-0.1), "friction"),
    (dict(radius=0.1, restitution=1.5), "restitution"),
    (dict(radius=0.1, name=""), "name"),
])
def test_add_sphere_rejects(kwargs, name):
    with pytest.raises(ValueError, match=name):
        world_with_ground().add_sphere(**kwargs)


@pytest.mark.parametrize("half_extents", [(0.1, 0.0, 0.1), (0.1, -1, 0.1), (0.1, 0.1), "big"])
def test_add_box_rejects_bad_half_extents(half_extents):
    with pytest.raises(ValueError, match="half_extents"):
        world_with_ground().add_box(half_extents=half_extents)


@pytest.mark.parametrize("kwargs, name", [(dict(radius=0.1, length=0.0), "length"),
                                          (dict(radius=-0.1, length=0.3), "radius")])
def test_add_capsule_rejects(kwargs, name):
    with pytest.raises(ValueError, match=name):
        world_with_ground().add_capsule(**kwargs)


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-0.01), "dt"), (dict(gravity=(0, -9.81)), "gravity"),
    (dict(dtype="int32"), "dtype"), (dict(iterations=0), "iterations"),
    (dict(method="newtonian"), "method"), (dict(contact_frequency=-1.0), "contact_frequency"),
])
def test_world_rejects(kwargs, name):
    with pytest.raises(ValueError, match=name):
        sp.World(**kwargs)


def test_duplicate_name_unknown_body_and_second_ground():
    world = world_with_ground()
    world.add_sphere(radius=0.1, name="ball")
    with pytest.raises(ValueError, match="name"):
        world.add_sphere(radius=0.1, name="ball")
    with pytest.raises(ValueError, match="ground"):
        world.add_ground()
    model = world.build()
    with pytest.raises(ValueError, match="unknown body"):
        model.body_index("cube")
    with pytest.raises(ValueError, match="bodies"):
        sp.World().build()


def test_model_is_immutable_and_orientation_normalized():
    world = world_with_ground()
    world.add_box(half_extents=(1, 1, 1), orientation=(2, 0, 0, 0))
    model = world.build()
    np.testing.assert_allclose(model.init_orientation[0], [1, 0, 0, 0])
    with pytest.raises(ValueError):
        model.body_mass[0] = 5.0  # read-only numpy array
    with pytest.raises(AttributeError):
        model.dt = 0.1


@pytest.mark.parametrize("field, value, name", [
    ("position", np.zeros((2, 3)), "position"),
    ("velocity", np.zeros((1, 4)), "velocity"),
    ("orientation", np.zeros((1, 4)), "orientation"),
    ("angular_velocity", np.full((1, 3), np.nan), "angular_velocity"),
])
def test_simulate_rejects_bad_state(field, value, name):
    world = world_with_ground()
    world.add_sphere(radius=0.1)
    model = world.build()
    state = model.initial_state().replace(**{field: value})
    with pytest.raises(ValueError, match=name):
        sp.simulate(model, state, steps=3)


def test_simulate_rejects_bad_steps():
    world = world_with_ground()
    world.add_sphere(radius=0.1)
    with pytest.raises(ValueError, match="steps"):
        sp.simulate(world.build(), steps=0)
