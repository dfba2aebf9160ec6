"""MJCF loading: the arm's and quadruped's files are their Python builders' twins, MuJoCo files load
and move as in MuJoCo, and bad files raise errors naming the element and line."""

import dataclasses
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import symphys as sp
from symphys.model import JointType, Shape
from symphys_models import arm, quadruped

DATA = Path(__file__).parent / "data"
ARM_XML = Path(__file__).parents[1] / "symphys_models" / "arm.xml"
ARM_STEPS = 100
QUADRUPED_XML = Path(__file__).parents[1] / "symphys_models" / "quadruped.xml"
QUADRUPED_STEPS = 100  # 0.5 s of trot
MUJOCO_STEPS = 200  # 1 s at the files' 5 ms time step
# Pendulum: symphys's hinge is a soft 60 Hz constraint (sags ~0.1 mm under
# gravity), MuJoCo's is exact; measured max difference 0.17 mm over 1 s (bound 2x).
ATOL_PENDULUM = 3.5e-4  # m
ATOL_FREE_FALL = 1e-9  # m, both integrate semi-implicitly: identical before contact
# Box at rest: symphys's contact (25 Hz spring) sinks 0.6 mm, MuJoCo's 0.06 mm
# (measured 0.55 mm apart); the impact slides the box differently (measured 1.03 and
# 1.05 cm apart in x, y).  Bounds 2x.
ATOL_REST_HEIGHT = 1.1e-3  # m
ATOL_REST_XY = 2.1e-2  # m


def mjcf(body: str, extra: str = "", actuators: str = "") -> str:
    return f"<mujoco>{extra}<worldbody>{body}</worldbody><actuator>{actuators}</actuator></mujoco>"


def assert_same_model(a: sp.Model, b: sp.Model, atol: float = 0.0):
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, field.name
            np.testing.assert_allclose(y, x, rtol=0, atol=atol, err_msg=field.name)
        else:
            assert x == y, field.name


# -- the arm -----------------------------------------------------------------------


def test_arm_xml_is_the_python_arm():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = sp.load_mjcf(ARM_XML).build()
    python = arm.build_model()
    assert_same_model(python, loaded)
    assert loaded.fingerprint == python.fingerprint


def twin_trajectories(models, steps, controls):
    """[(positions, orientations)] of each model's rollout under the same controls."""
    out = []
    for model in models:
        _, traj = sp.rollout(model, model.initial_state(), steps, controls=controls)
        out.append(sp.compile([], [traj.position, traj.orientation])())
    return out


@pytest.fixture(scope="module")
def arm_trajectories():
    t = np.arange(ARM_STEPS)[:, None] * arm.DT
    controls = np.array([1.0, 0.8, -1.2, -0.6]) * np.sin(np.pi * t / (ARM_STEPS * arm.DT))  # rad
    return twin_trajectories((arm.build_model(), sp.load_mjcf(ARM_XML).build()), ARM_STEPS, controls)


def test_arm_xml_simulates_like_the_python_arm(arm_trajectories):
    (position_py, orientation_py), (position_xml, orientation_xml) = arm_trajectories
    np.testing.assert_array_equal(position_xml, position_py)
    np.testing.assert_array_equal(orientation_xml, orientation_py)
    assert np.abs(position_py[-1] - position_py[0]).max() > 0.1  # the servos moved the arm


def test_arm_xml_loads_in_mujoco():
    mujoco = pytest.importorskip("mujoco")
    m = mujoco.MjModel.from_xml_path(str(ARM_XML))
    model = arm.build_model()
    np.testing.assert_allclose(m.body_mass[1:], model.body_mass)
    np.testing.assert_allclose(np.sort(m.body_inertia[1:], axis=1), np.sort(model.body_inertia, axis=1))
    np.testing.assert_allclose(m.jnt_range[:, 1], np.where(np.isfinite(model.joint_upper), model.joint_upper, 0))
    np.testing.assert_allclose(m.actuator_gainprm[:, 0] / -m.actuator_biasprm[:, 2], model.motor_gain)


# -- the quadruped -----------------------------------------------------------------


def test_quadruped_xml_is_the_python_quadruped():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = sp.load_mjcf(QUADRUPED_XML).build()
    python = quadruped.build_model()
    assert_same_model(python, loaded)  # bit for bit, initial poses included
    assert loaded.fingerprint == python.fingerprint


@pytest.fixture(scope="module")
def quadruped_trajectories():
    controls = quadruped.trot(np.arange(QUADRUPED_STEPS) * quadruped.DT)  # rad
    return twin_trajectories((quadruped.build_model(), sp.load_mjcf(QUADRUPED_XML).build()), QUADRUPED_STEPS,
                             controls)


def test_quadruped_xml_simulates_like_the_python_quadruped(quadruped_trajectories):
    (position_py, orientation_py), (position_xml, orientation_xml) = quadruped_trajectories
    np.testing.assert_array_equal(position_xml, position_py)
    np.testing.assert_array_equal(orientation_xml, orientation_py)
    assert np.isfinite(position_py).all()
    legs = position_py[:, 1:] - position_py[:, :1]  # relative to the torso: the servos swung the legs
    assert np.abs(legs - legs[0]).max() > 0.02


def test_quadruped_xml_loads_in_mujoco():
    mujoco = pytest.importorskip("mujoco")
    m = mujoco.MjModel.from_xml_path(str(QUADRUPED_XML))
    model = quadruped.build_model()
    assert m.opt.timestep == model.dt
    body_names = tuple(mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_BODY, i) for i in range(1, m.nbody))
    assert body_names == model.body_names
    np.testing.assert_allclose(m.body_mass[1:], model.body_mass)
    np.testing.assert_allclose(np.sort(m.body_inertia[1:], axis=1), np.sort(model.body_inertia, axis=1))
    np.testing.assert_allclose(m.geom_size[1:], model.body_size)  # geom 0: the ground
    np.testing.assert_allclose(m.jnt_range[1:], np.stack([model.joint_lower, model.joint_upper], axis=1))
    # Actuators drive the joints in the Python order (quadruped.trot's columns).
    driven = [mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_JOINT, j) for j in m.actuator_trnid[:, 0]]
    assert driven == [model.joint_names[j] for j in model.motor_joint]
    np.testing.assert_allclose(m.actuator_gainprm[:, 0] / -m.actuator_biasprm[:, 2], model.motor_gain)
    np.testing.assert_allclose(m.actuator_forcerange[:, 1], model.motor_max_torque)


@pytest.mark.parametrize("name", ["pendulum.xml", "pendulum2.xml", "falling_box.xml"])
def test_data_files_are_valid_for_mujoco_too(name):
    mujoco = pytest.importorskip("mujoco")
    m = mujoco.MjModel.from_xml_path(str(DATA / name))
    model = sp.load_mjcf(DATA / name).build()
    assert (m.nbody - 1, m.opt.timestep) == (model.n_bodies, model.dt)
    np.testing.assert_allclose(m.body_mass[1:], model.body_mass, rtol=1e-12)


# -- what is read --------------------------------------------------------------------


def test_bodies_joints_ground_and_options():
    xml = """
    <mujoco>
      <option timestep="0.004" gravity="0 0 -3"/>
      <worldbody>
        <geom type="plane" size="1 1 1" pos="0 0 -0.2" friction="0.6 0.01 0.001"/>
        <body name="ball" pos="0 0 1"><freejoint/><geom size="0.1" density="500"/></body>
        <body name="post" pos="1 0 0.5"><geom type="box" size="0.1 0.1 0.5" mass="3"/>
          <body name="bob" pos="0 0 0.6"><joint type="ball"/><geom size="0.05" mass="1"/></body>
        </body>
      </worldbody>
    </mujoco>"""
    model = sp.load_mjcf(xml).build()
    assert (model.dt, model.has_ground) == (0.004, True)
    np.testing.assert_allclose(model.gravity, [0, 0, -3])
    assert (model.ground_height, model.ground_friction) == (-0.2, 0.6)
    assert model.body_names == ("ball", "post", "bob")
    np.testing.assert_allclose(model.body_mass, [500 * 4 / 3 * np.pi * 0.1**3, 3, 1])
    # The ball is free; the post, a static body of the worldbody, is welded to the world.
    assert model.joint_type.tolist() == [JointType.FIXED, JointType.BALL]
    assert model.joint_parent.tolist() == [-1, 1] and model.joint_child.tolist() == [1, 2]
    np.testing.assert_allclose(model.joint_anchor_parent[1], [0, 0, 0.6])


def test_angles_are_degrees_unless_the_compiler_says_radian():
    body = ('<body pos="0 0 1" euler="0 90 0"><joint axis="1 0 0" range="-45 30"/>'
            '<geom type="capsule" size="0.05 0.2"/></body>')
    degrees = sp.load_mjcf(mjcf(body)).build()
    radians = sp.load_mjcf(mjcf(body.replace('"0 90 0"', '"0 1.5707963267948966 0"')
                                .replace('"-45 30"', '"-0.7853981633974483 0.5235987755982988"'),
                                '<compiler angle="radian"/>')).build()
    assert_same_model(degrees, radians, atol=1e-15)
    np.testing.assert_allclose(degrees.init_orientation[0], [np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0])
    np.testing.assert_allclose([degrees.joint_lower[0], degrees.joint_upper[0]], np.radians([-45, 30]))


def test_default_classes_and_childclass():
    xml = """
    <mujoco>
      <default>
        <geom type="box" size="0.1 0.1 0.1" mass="2" friction="0.5"/>
        <joint axis="0 1 0"/>
        <default class="light"><geom mass="0.5"/>
          <default class="round"><geom type="sphere" size="0.2"/></default>
        </default>
      </default>
      <worldbody>
        <body name="a"><freejoint/><geom/></body>
        <body name="b" childclass="light"><freejoint/><geom/>
          <body name="c" pos="1 0 0"><joint/><geom class="round"/></body>
        </body>
      </worldbody>
    </mujoco>"""
    model = sp.load_mjcf(xml).build()
    assert model.body_shape.tolist() == [Shape.BOX, Shape.BOX, Shape.SPHERE]
    np.testing.assert_allclose(model.body_mass, [2, 0.5, 0.5])
    np.testing.assert_allclose(model.body_friction, 0.5)
    np.testing.assert_allclose(model.body_size[2], [0.2, 0, 0])
    np.testing.assert_allclose(model.joint_axis_parent[0], [0, 1, 0])


def test_inertial_visual_geoms_and_actuators():
    xml = """
    <mujoco>
      <custom><numeric name="symphys:max_speed" data="2"/><numeric name="symphys:max_speed:fast" data="5"/>
      </custom>
      <worldbody>
        <body name="link" pos="0 0 1">
          <joint name="j0" axis="0 1 0" range="-60 60" damping="0"/>
          <inertial pos="0.2 0 0" mass="1.5" diaginertia="0.00029625 0.0229369 0.0229369"/>
          <geom type="capsule" fromto="0 0 0 0.4 0 0" size="0.02"/>
          <geom type="sphere" size="0.3" contype="0" conaffinity="0" mass="0" rgba="1 0 0 0.2"/>
          <body name="tip" pos="0.4 0 0"><joint name="j1" axis="0 0 1"/><geom size="0.05"/></body>
        </body>
      </worldbody>
      <actuator>
        <position name="fast" joint="j0" kp="50" kv="5" forcerange="-8 8"/>
        <position joint="j0" kp="20" kv="4" forcerange="-8 8"/>
        <velocity name="spin" joint="j1" kv="1" forcerange="-2 2"/>
      </actuator>
    </mujoco>"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the inertia is the capsule's: nothing approximated
        model = sp.load_mjcf(xml).build()
    assert model.n_bodies == 2 and model.body_mass[0] == 1.5
    np.testing.assert_allclose(model.init_position[0], [0.2, 0, 1])
    np.testing.assert_allclose(model.body_size[0], [0.02, 0.2, 0])
    assert model.motor_names == ("fast", "motor1", "spin")
    assert model.motor_servo.tolist() == [True, True, False]
    np.testing.assert_allclose(model.motor_gain[:2], [10, 5])
    np.testing.assert_allclose(model.motor_max_speed[:2], [5, 2])
    np.testing.assert_allclose(model.motor_max_torque, [8, 8, 2])


def test_gravity_flag_and_hinge_ref():
    xml = mjcf('<body><joint ref="10" range="-20 40"/><geom size="0.1"/></body>',
               '<option><flag gravity="disable"/></option>')
    model = sp.load_mjcf(xml).build()
    np.testing.assert_allclose(model.gravity, 0)
    np.testing.assert_allclose([model.joint_lower[0], model.joint_upper[0]], np.radians([-30, 30]))


def test_poses_match_mujoco():
    """Every orientation attribute, eulerseq, fromto and frames give MuJoCo's geom poses."""
    mujoco = pytest.importorskip("mujoco")
    bodies = """
      <body pos="0 0 1" quat="0.9 0.1 -0.3 0.2"><freejoint/><geom type="box" size="0.1 0.2 0.3"/></body>
      <body pos="1 0 1" axisangle="1 1 0 35"><freejoint/><geom type="capsule" size="0.05 0.2"
        pos="0.1 0.2 0" euler="10 -20 30"/></body>
      <body pos="0 1 1" xyaxes="0 1 0 -1 0.2 0.3"><freejoint/><geom type="box" size="0.1 0.1 0.2"
        zaxis="0.3 -0.2 1"/></body>
      <body pos="1 1 1" euler="30 40 50"><freejoint/><geom type="capsule" fromto="0.1 0 0 -0.2 0.3 0.5"
        size="0.04"/></body>
      <frame pos="0.5 -1 0.2" euler="0 0 40">
        <body pos="0 0 1" axisangle="0 1 1 -25"><freejoint/>
          <frame pos="0.1 0 0" euler="20 0 0"><geom type="box" size="0.1 0.2 0.1" pos="0 0.1 0"/></frame>
          <frame quat="0.5 0.5 0.5 0.5"><body pos="0.3 0 0"><joint/><geom type="capsule" size="0.03 0.1"
            pos="0 0 0.1"/></body></frame>
        </body>
      </frame>"""
    for seq in ("xyz", "ZYX", "zxy"):
        xml = mjcf(bodies, f'<compiler eulerseq="{seq}"/>')
        model = sp.load_mjcf(xml).build()
        m = mujoco.MjModel.from_xml_string(xml)
        d = mujoco.MjData(m)
        mujoco.mj_kinematics(m, d)
        np.testing.assert_allclose(model.init_position, d.geom_xpos, atol=1e-12)
        for i, q in enumerate(model.init_orientation):
            rotation = np.zeros(9)
            mujoco.mju_quat2Mat(rotation, q)
            np.testing.assert_allclose(rotation, d.geom_xmat[i], atol=1e-12, err_msg=f"{seq} geom {i}")


# -- <include> --------------------------------------------------------------------------


def test_include_splices_files_relative_to_the_including_file():
    inline = """
    <mujoco>
      <option timestep="0.005"/>
      <default><joint axis="0 1 0"/><geom type="capsule" size="0.03 0.1" mass="0.5"/></default>
      <worldbody>
        <geom type="plane" size="0 0 0.05"/>
        <body name="upper" pos="0 0 1"><joint name="shoulder"/><geom pos="0 0 -0.1"/>
          <body name="lower" pos="0 0 -0.2"><joint name="elbow" range="-60 60"/>
            <geom pos="0 0 -0.1" size="0.02 0.1" mass="0.3"/></body>
        </body>
      </worldbody>
    </mujoco>"""
    included = sp.load_mjcf(DATA / "include_main.xml").build()
    assert included.body_names == ("upper", "lower") and included.dt == 0.005
    assert_same_model(sp.load_mjcf(inline).build(), included)


def test_include_files_load_in_mujoco_too():
    mujoco = pytest.importorskip("mujoco")
    m = mujoco.MjModel.from_xml_path(str(DATA / "include_main.xml"))
    model = sp.load_mjcf(DATA / "include_main.xml").build()
    assert (m.nbody - 1, m.opt.timestep) == (model.n_bodies, model.dt)
    np.testing.assert_allclose(m.body_mass[1:], model.body_mass)


def test_errors_in_included_files_name_that_file_and_line():
    with pytest.raises(sp.MJCFError) as info:
        sp.load_mjcf(DATA / "include_bad.xml")
    message = str(info.value)
    assert str(Path("include") / "bad.xml") + ", line 3, <geom>: attribute 'type'" in message, message
    with pytest.raises(sp.MJCFError, match=r"pendulum.urdf, line \d+, <robot.*root element of an included file"):
        sp.load_mjcf(mjcf(f'<include file="{DATA / "pendulum.urdf"}"/>'))


# -- what warns or raises ----------------------------------------------------------------


@pytest.mark.parametrize("path, line, element, attribute", [
    ("bad_geom_type.xml", 5, "<geom>", "type"),
    ("bad_missing_size.xml", 5, '<geom name="block">', "size"),
    ("bad_number.xml", 3, '<body name="ball">', "pos"),
])
def test_bad_files_name_element_and_line(path, line, element, attribute):
    with pytest.raises(sp.MJCFError) as info:
        sp.load_mjcf(DATA / path)
    message = str(info.value)
    assert path in message and f"line {line}," in message and element in message, message
    assert f"attribute {attribute!r}" in message, message


GEOM = '<geom size="0.1"/>'
FOREARM = DATA / "include" / "forearm.xml"


@pytest.mark.parametrize("xml, line, pattern", [
    ("<mujoco>\n<worldbody>\n<body><geom size='0.1'></body>\n</worldbody></mujoco>", 3, "malformed XML"),
    ("<robot/>", 1, "root element"),
    (mjcf(f'<body>{GEOM}{GEOM}</body>'), 1, "exactly one geom"),
    (mjcf('<body/>'), 1, "exactly one geom"),
    (mjcf('<body><geom type="mesh" mesh="m"/></body>'), 1, "'type'"),
    (mjcf('<body><geom type="box" fromto="0 0 0 1 0 0" size="0.1"/></body>'), 1, "'fromto'"),
    (mjcf('<body><geom size="0.1 abc"/></body>'), 1, "malformed number"),
    (mjcf('<body><geom size="-0.1"/></body>'), 1, "positive"),
    (mjcf('<body><geom size="0.1" shape="x"/></body>'), 1, "'shape'"),
    (mjcf('<body><geom size="0.1" class="nope"/></body>'), 1, "unknown default class"),
    (mjcf('<geom type="box" size="1 1 1" contype="x"/>'), 1, "'contype'.*integer bit mask"),
    (mjcf('<geom type="plane" size="1 1 1" euler="10 0 0"/>'), 1, "face \\+z"),
    (mjcf(f'<body><joint type="slide"/>{GEOM}</body>'), 1, "'slide'"),
    (mjcf(f'<body><joint/><joint/>{GEOM}</body>'), 1, "one joint"),
    (mjcf(f'<body><joint type="ball" range="0 30"/>{GEOM}</body>'), 1, "cones"),
    (mjcf(f'<body>{GEOM}<body><freejoint/>{GEOM}</body></body>'), 1, "free joint"),
    (mjcf(f'<body mocap="true">{GEOM}</body>'), 1, "mocap"),
    (mjcf(f'<body><frame><joint/></frame>{GEOM}</body>'), 1, "in a <frame>"),
    (f'<mujoco><worldbody>\n<body name="a">{GEOM}</body>\n<body name="a">{GEOM}</body>\n</worldbody></mujoco>', 3,
     "already exists"),
    (mjcf(f'<body><joint name="j"/>{GEOM}</body>', actuators='<motor joint="j"/>'), 1, "torque motors"),
    (mjcf(f'<body><joint name="j"/>{GEOM}</body>', actuators='<position joint="j" kp="5" forcerange="-1 1"/>'),
     1, "'kv'"),
    (mjcf(f'<body><joint name="j"/>{GEOM}</body>', actuators='<velocity joint="j"/>'), 1, "'forcerange'"),
    (mjcf(f'<body><joint name="j"/>{GEOM}</body>', actuators='<velocity joint="k" forcerange="-1 1"/>'),
     1, "unknown joint"),
    (mjcf(f'<body><joint name="j"/>{GEOM}</body>', actuators='<velocity joint="j" gear="2" forcerange="-1 1"/>'),
     1, "gear"),
    (mjcf(f'<body><joint name="j" type="ball"/>{GEOM}</body>', actuators='<velocity joint="j" forcerange="-1 1"/>'),
     1, "hinges"),
    (mjcf(f'<body>{GEOM}</body>', '<custom><numeric name="symphys:maxspeed" data="1"/></custom>'), 1,
     "unknown symphys numeric"),
    (mjcf(f'<body>{GEOM}</body>', '<equality/>'), 1, "equality"),
    (mjcf(f'<body><joint name="j"/>{GEOM}</body>', actuators='<general joint="j"/>'), 1,
     "<general> actuators are not supported"),
    (mjcf(f'<body><joint name="j"/>{GEOM}</body>', actuators='<damper joint="j" kv="1"/>'), 1,
     "<damper> actuators are not supported"),
    (mjcf(f'<body><joint name="j"/>{GEOM}</body>', actuators='\n<intvelocity joint="j" kp="1"/>'), 2,
     "<intvelocity> actuators are not supported"),
    (mjcf('<include file="no_such_file.xml"/>'), 1, "'file': file not found"),
    (mjcf('<include/>'), 1, "'file': missing"),
    (mjcf(f'<include file="{FOREARM}"/>\n<include file="{FOREARM}"/>'), 2, "included more than once"),
    (mjcf(f'<body>{GEOM}</body>', '<option><flag contact="disable"/></option>'), 1, "'contact'"),
])
def test_inexpressible_models_raise_naming_the_element(xml, line, pattern):
    with pytest.raises(sp.MJCFError, match=pattern) as info:
        sp.load_mjcf(xml)
    assert re.search(rf"<string>, line {line}(,|:)", str(info.value)), str(info.value)


@pytest.mark.parametrize("body, pattern", [
    (f'<body><joint damping="0.5"/>{GEOM}</body>', "'damping'"),
    (f'<body><joint armature="0.1"/>{GEOM}</body>', "'armature'"),
    ('<body><geom size="0.1" solref="0.01 1"/></body>', "'solref'"),
    ('<body><inertial pos="0 0 0" mass="1" diaginertia="1 1 1"/><geom size="0.1"/></body>', "inertia"),
])
def test_approximations_warn_or_raise_when_strict(body, pattern):
    with pytest.warns(sp.MJCFWarning, match=pattern):
        sp.load_mjcf(mjcf(body))
    with pytest.raises(sp.MJCFError, match="strict"):
        sp.load_mjcf(mjcf(body), strict=True)


def test_inertial_off_the_shape_centre_raises():
    xml = mjcf('<body><inertial pos="0.1 0 0" mass="1"/><geom size="0.1"/></body>')
    with pytest.raises(sp.MJCFError, match="centre of mass"):
        sp.load_mjcf(xml)


# -- against MuJoCo ----------------------------------------------------------------------


def mujoco_geom_positions(path: Path, steps: int) -> np.ndarray:
    """(steps + 1, n_geoms, 3) geom centres of MuJoCo's own rollout, m."""
    mujoco = pytest.importorskip("mujoco")
    m = mujoco.MjModel.from_xml_path(str(path))
    d = mujoco.MjData(m)
    mujoco.mj_kinematics(m, d)
    out = [d.geom_xpos.copy()]
    for _ in range(steps):
        mujoco.mj_step(m, d)
        mujoco.mj_kinematics(m, d)  # mj_step leaves the poses of the step's start
        out.append(d.geom_xpos.copy())
    return np.array(out)


def test_pendulum_swings_as_in_mujoco():
    pytest.importorskip("mujoco")
    path = DATA / "pendulum.xml"
    model = sp.load_mjcf(path).build()
    symphys = sp.simulate(model, steps=MUJOCO_STEPS).position[:, 0]
    mujoco = mujoco_geom_positions(path, MUJOCO_STEPS)[:, 0]
    assert np.ptp(mujoco[:, 0]) > 0.2  # it swings
    np.testing.assert_allclose(symphys, mujoco, rtol=0, atol=ATOL_PENDULUM)


def test_falling_box_lands_as_in_mujoco():
    pytest.importorskip("mujoco")
    path = DATA / "falling_box.xml"
    model = sp.load_mjcf(path).build()
    traj = sp.simulate(model, steps=MUJOCO_STEPS)
    symphys = traj.position[:, 0]
    mujoco = mujoco_geom_positions(path, MUJOCO_STEPS)[:, 1]
    falling = mujoco[:, 2] > 0.3  # m: no corner reaches the floor yet
    np.testing.assert_allclose(symphys[falling], mujoco[falling], rtol=0, atol=ATOL_FREE_FALL)
    np.testing.assert_allclose(symphys[-1, 2], mujoco[-1, 2], rtol=0, atol=ATOL_REST_HEIGHT)
    np.testing.assert_allclose(symphys[-1, :2], mujoco[-1, :2], rtol=0, atol=ATOL_REST_XY)
    up = traj.orientation[-1, 0]  # the box rests on its large face: body z stays vertical
    z_axis = np.array([2 * (up[1] * up[3] + up[0] * up[2]), 2 * (up[2] * up[3] - up[0] * up[1]),
                       1 - 2 * (up[1] ** 2 + up[2] ** 2)])
    assert abs(z_axis[2]) > 0.999


def test_solver_settings_as_symphys_numerics():
    xml = """
    <mujoco>
      <custom><numeric name="symphys:joint_frequency" data="150"/><numeric name="symphys:iterations" data="7"/>
      </custom>
      <worldbody><body><freejoint/><geom size="0.1"/></body></worldbody>
    </mujoco>"""
    model = sp.load_mjcf(xml).build()
    assert model.solver.joint_frequency == 150.0 and model.solver.iterations == 7
    assert sp.load_mjcf(xml, iterations=3).build().solver.iterations == 3  # keyword arguments win
    with pytest.raises(sp.MJCFError, match="positive integer"):
        sp.load_mjcf(xml.replace('data="7"', 'data="2.5"'))
    with pytest.raises(sp.MJCFError, match="unknown symphys numeric"):
        sp.load_mjcf(xml.replace("symphys:iterations", "symphys:sweeps"))
