"""URDF loading: a URDF pendulum equals its MJCF twin; inexpressible robots raise
errors naming the element and line."""

import dataclasses
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import symphys as sp
from symphys.model import JointType, Shape

DATA = Path(__file__).parent / "data"
ATOL_POSE = 1e-12  # rpy and euler take different float paths to the same rotation


def urdf(links: str, joints: str = "") -> str:
    return f'<robot name="r">{links}{joints}</robot>'


def link(name: str, geometry: str = '<sphere radius="0.1"/>', mass: float = 1.0, origin: str = "") -> str:
    return (f'<link name="{name}"><inertial>{origin}<mass value="{mass}"/></inertial>'
            f'<collision>{origin}<geometry>{geometry}</geometry></collision></link>')


def joint(name: str, parent: str, child: str, kind: str = "continuous", extra: str = "") -> str:
    return (f'<joint name="{name}" type="{kind}"><parent link="{parent}"/><child link="{child}"/>'
            f'{extra}</joint>')


def test_urdf_pendulum_is_its_mjcf_twin():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = sp.load_urdf(DATA / "pendulum.urdf").build()
    twin = sp.load_mjcf(DATA / "pendulum2.xml").build()
    for field in dataclasses.fields(twin):
        x, y = getattr(twin, field.name), getattr(loaded, field.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_allclose(y, x, rtol=0, atol=ATOL_POSE, err_msg=field.name)
        else:
            assert x == y, field.name
    # The tool frame (no collision, no mass) on a fixed joint is not a body.
    assert loaded.body_names == ("pole", "bob")


def test_servos_from_limits():
    model = sp.load_urdf(DATA / "pendulum.urdf", servo_gain=12.0).build()
    assert model.motor_servo.tolist() == [True, True]
    np.testing.assert_allclose(model.motor_gain, 12.0)
    np.testing.assert_allclose(model.motor_max_torque, [20, 5])
    np.testing.assert_allclose(model.motor_max_speed, [3, np.pi])  # velocity 0: the default speed clip


def test_floating_and_fixed_base_box_link():
    links = link("base", '<box size="0.4 0.2 0.1"/>', 3.0) + link("wheel", '<capsule radius="0.05" length="0.1"/>',
                                                                   origin='<origin rpy="1.5707963267948966 0 0"/>')
    joints = joint("axle", "base", "wheel", extra='<origin xyz="0.2 0.15 0"/><axis xyz="0 1 0"/>')
    floating = sp.load_urdf(urdf(links, joints), dt=0.005, gravity=(0, 0, -1)).build()
    assert floating.dt == 0.005 and floating.gravity[2] == -1
    assert floating.body_shape.tolist() == [Shape.BOX, Shape.CAPSULE]
    np.testing.assert_allclose(floating.body_size[0], [0.2, 0.1, 0.05])
    assert floating.joint_type.tolist() == [JointType.HINGE]
    np.testing.assert_allclose(floating.init_position[1], [0.2, 0.15, 0])
    np.testing.assert_allclose(floating.init_orientation[1], [np.cos(np.pi / 4), np.sin(np.pi / 4), 0, 0])
    fixed = sp.load_urdf(urdf(links, joints), fixed_base=True).build()
    assert fixed.joint_type.tolist() == [JointType.FIXED, JointType.HINGE] and fixed.joint_parent[0] == -1


@pytest.mark.parametrize("xml, line, pattern", [
    ("<robot>\n<link name='a'>\n</robot>", 3, "malformed XML"),
    ("<mujoco/>", 1, "<robot>"),
    (urdf(link("a", '<cylinder radius="0.1" length="0.2"/>')), 1, "cylinder"),
    (urdf(link("a", '<mesh filename="a.stl"/>')), 1, "mesh"),
    (urdf(link("a", '<box size="0.1 0.1"/>')), 1, "'size'"),
    (urdf(link("a", '<sphere radius="x"/>')), 1, "malformed number"),
    (urdf(link("a", '<sphere radius="-1"/>')), 1, "radius"),
    (urdf(link("a") + link("b"), joint("j", "a", "b", "prismatic")), 1, "prismatic"),
    (urdf(link("a") + link("b"), joint("j", "a", "b", "revolute")), 1, "limit"),
    (urdf(link("a") + link("b"), joint("j", "a", "c")), 1, "unknown link"),
    (urdf(link("a") + link("b")), 1, "one tree"),
    (urdf(link("a", mass=1.0, origin='<origin xyz="0 0 0.1"/>').replace('<origin xyz="0 0 0.1"/><geometry>',
                                                                         '<geometry>')), 1, "centre of mass"),
    (urdf('<link name="a"><collision><geometry><sphere radius="0.1"/></geometry></collision>'
          '<collision><geometry><sphere radius="0.1"/></geometry></collision></link>'), 1, "one <collision>"),
])
def test_inexpressible_robots_raise_naming_the_element(xml, line, pattern):
    with pytest.raises(sp.URDFError, match=pattern) as info:
        sp.load_urdf(xml)
    assert re.search(rf"<string>, line {line}(,|:)", str(info.value)), str(info.value)


@pytest.mark.parametrize("xml, pattern", [
    (urdf('<link name="a"><collision><geometry><sphere radius="0.1"/></geometry></collision></link>'),
     "density 1000"),
    (urdf(link("a") + link("b"), joint("j", "a", "b", extra='<dynamics damping="0.3"/>')), "'damping'"),
    (urdf(link("a").replace('<mass value="1.0"/>', '<mass value="1.0"/><inertia ixx="1" iyy="1" izz="1"/>')),
     "inertia"),
])
def test_approximations_warn_or_raise_when_strict(xml, pattern):
    with pytest.warns(sp.URDFWarning, match=pattern):
        sp.load_urdf(xml).build()
    with pytest.raises(sp.URDFError, match="strict"):
        sp.load_urdf(xml, strict=True)


def test_servos_need_an_effort_limit():
    xml = urdf(link("a") + link("b"), joint("j", "a", "b"))
    with pytest.raises(sp.URDFError, match="effort"):
        sp.load_urdf(xml, servo_gain=10.0)


@pytest.mark.parametrize("xml, line, element", [
    ("<robot name='r'>\n<link name='a'/>\n<actuators name='imu'/>\n</robot>", 3, "actuators"),
    (urdf(link("a").replace("<inertial>", "<inertial><centre/>")), 1, "centre"),
    ("<robot name='r'>\n" + link("a") + "\n" + link("b") + "\n"
     + joint("j", "a", "b", extra="\n<axiss xyz='0 1 0'/>") + "</robot>", 5, "axiss"),
    (urdf(link("a", '<sphere radius="0.1"><cap/></sphere>')), 1, "cap"),
])
def test_unknown_elements_raise_like_mjcf(xml, line, element):
    """MuJoCo's rule for both loaders: an element the format does not define there is an error naming
    it and its line (URDF used to ignore it silently, MJCF always raised)."""
    with pytest.raises(sp.URDFError, match=f"unknown element <{element}>") as info:
        sp.load_urdf(xml)
    assert re.search(rf"<string>, line {line}(,|:)", str(info.value)), str(info.value)
    with pytest.raises(sp.MJCFError, match="unknown or unsupported element"):
        sp.load_mjcf(f"<mujoco><worldbody/><{element}/></mujoco>")


def test_elements_without_effect_on_the_simulation_are_ignored():
    """<visual>, <material>, <calibration>, <safety_controller> and the <transmission>, <gazebo> and
    <mujoco> extension blocks load without error or warning, as MuJoCo's URDF import ignores them."""
    visual = '<visual><origin xyz="0 0 0"/><geometry><mesh filename="a.stl"/></geometry><material name="m"/></visual>'
    xml = urdf('<material name="m"><color rgba="1 0 0 1"/></material>'
               + link("a").replace("</link>", visual + "</link>") + link("b")
               + '<transmission name="t"><type>x</type><anything/></transmission>'
               '<gazebo reference="a"><mu1>0.5</mu1></gazebo><mujoco><compiler meshdir="m"/></mujoco>',
               joint("j", "a", "b", extra='<calibration rising="0"/><safety_controller k_velocity="1"/>'))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = sp.load_urdf(xml).build()
    assert model.body_names == ("a", "b")
