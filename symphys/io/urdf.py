"""Load URDF (ROS's robot description) into a :class:`~symphys.world.World`.

- A link with one ``<collision>`` -> one body: box (``size`` = full
  extents), sphere, or capsule (``<capsule radius length>``, along z, length
  between the cap centres), posed at link frame * collision origin.
- ``<inertial>`` -> its mass; its origin must be the shape's centre and the
  inertia stays the shape's (a warning if the file's differs).
- revolute joint -> ``add_hinge`` with limits ``lower``/``upper`` (rad);
  continuous -> ``add_hinge`` without limits; fixed -> ``add_fixed``.  A
  child link with neither collision nor inertial (a tool frame) on a fixed
  joint is skipped.
- The root link floats freely, or is welded to the world with
  ``fixed_base=True``; a root without collision or inertial (e.g. "world")
  is the static world.
- With ``servo_gain=`` given, a position servo on every revolute and
  continuous joint: torque limit = ``<limit effort>`` (N m), speed clip =
  ``<limit velocity>`` (rad/s).

Prismatic, floating and planar joints, cylinders and meshes raise
:class:`URDFError` (a ValueError) naming the element and its line; joint
dynamics (damping, friction) and a link without <inertial> (density 1000 is
used) warn with :class:`URDFWarning` (errors with ``strict=True``).

Unknown elements follow MuJoCo's rule for its own format (a schema): an
element that URDF does not define where it stands raises URDFError naming it
and its line, as in ``load_mjcf``.  Elements URDF defines that do not act on
the simulation (<visual>, <material>, <calibration>, <safety_controller>) and
the extension blocks <transmission>, <gazebo> and <mujoco> are ignored, as
MuJoCo's URDF import ignores them.
"""

from __future__ import annotations

import math

import numpy as np

from .. import checks
from ..model import Shape
from ..rotations import rpy_to_quat
from ..shapes import unit_inertia
from ..world import World
from .xml import Frame, Node, Reporter, numbers, parse_xml, read_source

CENTRE_ATOL = 1e-6  # m, inertial origin vs collision centre
# The elements URDF defines under each element (ROS urdf/XML spec; capsule: a common extension, also
# read by MuJoCo).  None: an extension block whose contents are not checked.
URDF_CHILDREN = {
    "robot": {"link", "joint", "material", "transmission", "gazebo", "mujoco"},
    "link": {"inertial", "visual", "collision"},
    "inertial": {"origin", "mass", "inertia"},
    "visual": {"origin", "geometry", "material"},
    "collision": {"origin", "geometry"},
    "geometry": {"box", "sphere", "cylinder", "capsule", "mesh"},
    "material": {"color", "texture"},
    "joint": {"origin", "parent", "child", "axis", "calibration", "dynamics", "limit", "mimic", "safety_controller"},
    "transmission": None, "gazebo": None, "mujoco": None,
}
INERTIA_RTOL = 1e-3  # relative difference of principal moments tolerated silently


class URDFError(ValueError):
    """Invalid or inexpressible URDF; the message names the element and its line."""


class URDFWarning(UserWarning):
    """Something of the URDF was approximated or ignored."""


def _numbers(node: Node, attribute: str, count: int, default=None) -> np.ndarray | None:
    values = numbers(node, attribute, counts=(count,))
    return (None if default is None else np.asarray(default, dtype=float)) if values is None else values


def _number(node: Node, attribute: str, default: float | None = None) -> float | None:
    values = _numbers(node, attribute, 1)
    return default if values is None else float(values[0])


def _origin(parent: Node) -> Frame:
    """The pose of an element's <origin xyz rpy> child (identity if absent)."""
    origins = parent.find("origin")
    if len(origins) > 1:
        raise origins[1].error("at most one <origin>")
    if not origins:
        return Frame()
    xyz = _numbers(origins[0], "xyz", 3, (0, 0, 0))
    rpy = _numbers(origins[0], "rpy", 3, (0, 0, 0))
    return Frame(xyz, rpy_to_quat(rpy))


def load_urdf(source, *, fixed_base: bool = False, servo_gain: float | None = None, dt: float = 0.01,
              gravity=(0.0, 0.0, -9.81), strict: bool = False, dtype: str = "float64",
              **solver_options) -> World:
    """World built from a URDF file (path) or string; call ``.build()`` for the Model.

    fixed_base: weld the root link to the world (else it floats freely).
    servo_gain: if given (1/s), a position servo on each revolute and
        continuous joint, in joint order; its <limit> gives the torque limit
        (effort, N m, required) and the speed clip (velocity, rad/s).
    dt (s), gravity (m/s^2), dtype, solver_options: passed to World (URDF
        has no simulation settings).  strict: raise instead of warning.
    """
    fixed_base, strict = checks.boolean(fixed_base, "fixed_base"), checks.boolean(strict, "strict")
    if servo_gain is not None:
        servo_gain = checks.positive(servo_gain, "servo_gain")
    text, label = read_source(source)
    root = parse_xml(text, label, error=URDFError)
    return _Reader(root, strict).world(fixed_base, servo_gain, dict(dt=dt, gravity=gravity, dtype=dtype,
                                                                    **solver_options))


def _check_elements(node: Node) -> None:
    """URDFError naming the first element that URDF does not define where it stands (MuJoCo's rule)."""
    allowed = URDF_CHILDREN.get(node.tag, set())
    if allowed is None:
        return
    for child in node.children:
        if child.tag not in allowed:
            where = f"<{node.tag}>"
            raise child.error(f"unknown element <{child.tag}> in {where} (URDF defines "
                              f"{', '.join(f'<{t}>' for t in sorted(allowed)) or 'no elements'} there)")
        _check_elements(child)


class _Reader:
    def __init__(self, root: Node, strict: bool):
        if root.tag != "robot":
            raise root.error("the root element of a URDF must be <robot>")
        self.root = root
        _check_elements(root)
        self.report = Reporter(strict, URDFWarning, URDFError)
        self.links: dict[str, Node] = {}
        for link in root.find("link"):
            name = link.attrib.get("name")
            if not name:
                raise link.error("missing", "name")
            if name in self.links:
                raise link.error(f"link {name!r} is defined twice (first on line {self.links[name].line})")
            self.links[name] = link
        if not self.links:
            raise root.error("a robot needs at least one <link>")
        self.joints = root.find("joint")
        self.parent_joint: dict[str, Node] = {}
        for joint in self.joints:
            for end in ("parent", "child"):
                nodes = joint.find(end)
                if len(nodes) != 1 or "link" not in nodes[0].attrib:
                    raise joint.error(f"needs one <{end} link=...>")
                if nodes[0].attrib["link"] not in self.links:
                    raise nodes[0].error(f"unknown link {nodes[0].attrib['link']!r}", "link")
            child = joint.find("child")[0].attrib["link"]
            if child in self.parent_joint:
                raise joint.error(f"link {child!r} already has a parent joint (line "
                                    f"{self.parent_joint[child].line})")
            self.parent_joint[child] = joint

    def world(self, fixed_base: bool, servo_gain, world_args: dict) -> World:
        try:
            world = World(**world_args)
        except ValueError as e:
            raise URDFError(f"{self.root.source}: {e}") from None
        roots = [name for name in self.links if name not in self.parent_joint]
        if len(roots) != 1:
            raise self.root.error(f"the links must form one tree, found roots {roots}")
        self.out = world
        self.servo_gain = servo_gain
        self.motors: list = []
        root = self.links[roots[0]]
        if self.is_frame(root):
            self.children(root, Frame(), None)
        else:
            body = self.add_link(root, Frame())
            if fixed_base:
                with self.report.at(root):
                    world.add_fixed(None, body)
            self.children(root, Frame(), body)
        for joint_node, handle, effort, velocity in self.motors:
            with self.report.at(joint_node):
                world.add_motor(handle, max_torque=effort, gain=servo_gain, max_speed=velocity)
        return world

    def is_frame(self, link: Node) -> bool:
        """A link with neither collision nor mass: a named frame, not a body."""
        return not link.find("collision") and not link.find("inertial")

    def children(self, link: Node, frame: Frame, body):
        name = link.attrib["name"]
        for joint in self.joints:
            if joint.find("parent")[0].attrib["link"] == name:
                self.add_joint(joint, frame, body)

    def add_joint(self, joint: Node, parent_frame: Frame, parent):
        kind = joint.attrib.get("type")
        child = self.links[joint.find("child")[0].attrib["link"]]
        frame = parent_frame.compose(_origin(joint))
        if kind in ("prismatic", "floating", "planar"):
            raise joint.error(f"{kind} joints are not supported by symphys (revolute, continuous, fixed)", "type")
        if kind not in ("revolute", "continuous", "fixed"):
            raise joint.error(f"unknown joint type {kind!r}", "type")
        if self.is_frame(child):
            if kind != "fixed" or any(j.find("parent")[0].attrib["link"] == child.attrib["name"]
                                      for j in self.joints):
                raise child.error("a link without collision and inertial can only be a leaf on a fixed joint")
            return
        for node in joint.find("dynamics"):
            for name in ("damping", "friction"):
                if _number(node, name, 0.0) != 0.0:
                    self.report.approximate(node, "ignored (symphys joints have no damping or friction)", name)
        if joint.find("mimic"):
            raise joint.find("mimic")[0].error("mimic joints are not supported by symphys")
        body = self.add_link(child, frame)
        name = joint.attrib.get("name")
        with self.report.at(joint):
            if kind == "fixed":
                self.out.add_fixed(parent, body, name=name)
            else:
                axis = _numbers(joint.find("axis")[0], "xyz", 3) if joint.find("axis") else np.array([1.0, 0, 0])
                lower = upper = None
                limits = joint.find("limit")
                if kind == "revolute":
                    if not limits:
                        raise joint.error("a revolute joint needs a <limit lower upper>")
                    lower, upper = _number(limits[0], "lower", 0.0), _number(limits[0], "upper", 0.0)
                handle = self.out.add_hinge(parent, body, anchor=frame.position, axis=frame.vector(axis),
                                               lower=lower, upper=upper, name=name)
                if self.servo_gain is not None:
                    effort = _number(limits[0], "effort") if limits else None
                    if effort is None or effort <= 0:
                        raise (limits[0] if limits else joint).error("servos need a positive effort limit (N m)",
                                     "effort")
                    velocity = _number(limits[0], "velocity", 0.0)
                    self.motors.append((joint, handle, effort, velocity if velocity > 0 else math.pi))
        self.children(child, frame, body)

    def add_link(self, link: Node, frame: Frame):
        """Add the body of a link whose frame is ``frame`` (world)."""
        collisions = link.find("collision")
        if len(collisions) != 1:
            raise link.error("symphys bodies are single shapes: a link needs exactly one <collision>, found "
                               f"{len(collisions)}")
        collision = collisions[0]
        local = _origin(collision)
        geometry = collision.find("geometry")
        if len(geometry) != 1 or len(geometry[0].children) != 1:
            raise collision.error("needs one <geometry> with one shape")
        shape = geometry[0].children[0]
        if shape.tag == "box":
            size = _numbers(shape, "size", 3)
            if size is None:
                raise shape.error("missing", "size")
            args, kind, half = dict(half_extents=size / 2), Shape.BOX, size / 2
        elif shape.tag == "sphere":
            radius = _number(shape, "radius")
            if radius is None:
                raise shape.error("missing", "radius")
            args, kind, half = dict(radius=radius), Shape.SPHERE, np.array([radius, 0.0, 0.0])
        elif shape.tag == "capsule":
            radius, length = _number(shape, "radius"), _number(shape, "length")
            if radius is None or length is None:
                raise shape.error("missing", "radius" if radius is None else "length")
            args, kind, half = dict(radius=radius, length=length), Shape.CAPSULE, np.array([radius, length / 2, 0])
        else:
            raise shape.error(f"geometry <{shape.tag}> is not supported by symphys (box, sphere, capsule)")
        pose = frame.compose(local)
        mass = self.mass(link, local, kind, half)
        with self.report.at(shape):
            return getattr(self.out, f"add_{kind.name.lower()}")(
                name=link.attrib["name"], position=pose.position, orientation=pose.orientation, **args, **mass)

    def mass(self, link: Node, local: Frame, kind: Shape, size: np.ndarray) -> dict:
        inertials = link.find("inertial")
        if not inertials:
            self.report.approximate(link, "no <inertial>: density 1000 kg/m^3 is used")
            return {}
        inertial = inertials[0]
        masses = inertial.find("mass")
        value = _number(masses[0], "value") if masses else None
        if value is None:
            raise inertial.error("needs <mass value=...>")
        centre = _origin(inertial).position
        if np.linalg.norm(centre - local.position) > CENTRE_ATOL:
            raise inertial.error(f"the centre of mass {centre.tolist()} must be the collision shape's centre "
                                   f"{local.position.tolist()} (symphys bodies are uniform shapes)")
        inertia = inertial.find("inertia")
        if inertia and value > 0:
            names = ("ixx", "iyy", "izz", "ixy", "ixz", "iyz")
            xx, yy, zz, xy, xz, yz = (_number(inertia[0], n, 0.0) for n in names)
            moments = np.linalg.eigvalsh(np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]]))
            expected = np.sort(value * unit_inertia(kind, size)[1])
            if not np.allclose(moments, expected, rtol=INERTIA_RTOL, atol=0):
                self.report.approximate(inertia[0], f"symphys uses the shape's inertia {expected.tolist()} (kg m^2) "
                                                    f"for this mass, not {moments.tolist()}")
        return dict(mass=value)
