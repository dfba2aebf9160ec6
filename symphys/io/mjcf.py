"""Load MJCF (MuJoCo's XML model format) into a :class:`~symphys.world.World`.

symphys bodies are single rigid shapes with their centre of mass at the
shape's centre, joined by maximal-coordinate constraints; contacts are
between bodies and one ground plane.  This module reads the subset of MJCF
that such a world can express and rejects the rest, naming the element and
its line:

- ``<option timestep gravity>`` -> ``World(dt, gravity)`` (MuJoCo's defaults
  0.002 s and -9.81 m/s^2); ``<flag gravity="disable">`` -> no gravity.
- ``<compiler angle eulerseq autolimits inertiafromgeom>`` are honoured;
  angles are in degrees unless ``angle="radian"``.
- ``<default>`` classes, ``class`` and ``childclass`` resolve as in MuJoCo.
- ``<include file>`` splices in the children of another file's ``<mujoco>``
  root, anywhere (paths as MuJoCo: from the main file's directory, then
  the including file's); errors name the included file and its line.
- A ``plane`` geom of the worldbody -> ``add_ground`` (facing +z, one at most);
  a sphere, box or capsule geom of the worldbody -> a fixed body (a wall, a
  table: ``add_<kind>(fixed=True)``, named after the geom).
- Body-body contacts: a geom's ``contype``/``conaffinity`` -> its body's
  collision bit masks (the same filter as MuJoCo's); ``<contact><exclude
  body1 body2>`` -> ``exclude_contact``.  Bodies joined by a joint never
  touch (MuJoCo: parent and child).
- A body with one geom -> one body: sphere, box or capsule (``fromto`` for
  capsules) posed at body frame * geom pose (``pos`` with ``quat``,
  ``euler``, ``axisangle``, ``xyaxes`` or ``zaxis``; ``<frame>`` elements
  compose their poses and childclass).  Geoms with
  ``contype=conaffinity=0`` and zero mass or density are visual: skipped.
- ``mass`` or ``density`` (1000 kg/m^3 by default) -> the body's mass;
  an ``<inertial>`` gives the mass instead, at the geom's centre, and the
  inertia stays the shape's (a warning if the file's differs).
- ``hinge`` joint -> ``add_hinge``, ``range`` -> limits (less ``ref``);
  ``ball`` -> ``add_ball_joint``; ``free`` or ``<freejoint>`` -> a free
  body; no joint -> ``add_fixed`` to the parent (to the world in the
  worldbody, as MuJoCo's static bodies).
- ``<position kp kv forcerange>`` -> a position servo of gain kp / kv (1/s)
  and torque limit ``forcerange``; ``<velocity forcerange>`` -> a velocity
  motor.
- A geom's ``friction`` -> its first (sliding) coefficient.

symphys's motors are velocity-level constraint rows: a ``<position>``
actuator's torque ``kp (target - q) - kv qdot`` is a velocity controller
that tracks the speed ``(kp / kv) (target - q)`` with gain kv, which symphys
enforces rigidly (up to ``forcerange``) with ``gain = kp / kv``.  The servo's
speed clip (rad/s, default pi) has no MuJoCo attribute: give it as
``<custom><numeric name="symphys:max_speed" data="..."/></custom>``, or per
actuator as ``symphys:max_speed:<actuator name>``; MuJoCo ignores these.
Solver settings without a MuJoCo equivalent are numerics too:
``symphys:<field of SolverOptions>`` (e.g. ``symphys:joint_frequency``);
keyword arguments of ``load_mjcf`` override them.
A ``<motor>`` (pure torque) actuator cannot be expressed and raises;
``ctrlrange`` is not enforced (symphys takes the controls as given).

What symphys approximates (joint damping, armature, friction loss, springs,
solref/solimp, keyframes, an inertia other than the shape's) is reported
with an :class:`MJCFWarning`; ``strict=True`` turns those into errors.
Everything else it cannot express raises :class:`MJCFError` (a ValueError).
Contact friction is mixed with the ground's as the geometric mean (MuJoCo:
the maximum).
"""

from __future__ import annotations

import os

import numpy as np

from ..world import World
from .mjcf_actuators import ActuatorReader
from .mjcf_attributes import Defaults, check_attributes
from .mjcf_bodies import BodyReader
from .mjcf_compiler import Compiler
from .mjcf_numerics import Numerics
from .xml import Node, Reporter, choice, numbers, parse_xml, read_source


class MJCFError(ValueError):
    """Invalid or inexpressible model file; the message names the element and its line."""


class MJCFWarning(UserWarning):
    """Something of the model file was approximated or ignored."""


OPTION_SOLVER_SETTINGS = {"integrator", "iterations", "ls_iterations", "tolerance", "ls_tolerance", "solver",
                          "cone", "jacobian", "impratio", "noslip_iterations", "noslip_tolerance",
                          "ccd_iterations", "ccd_tolerance", "sdf_iterations", "sdf_initpoints", "apirate",
                          "o_margin", "o_solref", "o_solimp", "o_friction"}
TOP_IGNORED = {"size", "visual", "statistic", "asset", "sensor", "extension"}
TOP_UNSUPPORTED = {"equality": "equality constraints", "tendon": "tendons",
                   "deformable": "deformable bodies", "keyframe": None}


def load_mjcf(source, *, strict: bool = False, dtype: str = "float64", **solver_options) -> World:
    """World built from an MJCF file (path) or string; call ``.build()`` for the Model.

    strict: raise instead of warning where something is approximated.
    dtype, solver_options: passed to :class:`~symphys.world.World`.
    Raises MJCFError (a ValueError) naming the element and its line for
    anything symphys cannot express.  See the module docstring for the mapping.
    """
    text, label = read_source(source)
    root = parse_xml(text, label, MJCFError)
    main_dir = os.path.dirname(label) if label != "<string>" else os.curdir
    expand_includes(root, main_dir, main_dir, set())
    return _Reader(root, strict).world(dtype, solver_options)


def expand_includes(node: Node, main_dir: str, here: str, included: set):
    """Replace every ``<include file>`` below ``node`` by the children of that file's
    ``<mujoco>`` root, recursively.  As MuJoCo: a relative path is looked up in the
    main file's directory (the working directory for XML strings), then in the
    including file's; each file is included once."""
    children = []
    for child in node.children:
        if child.tag != "include":
            expand_includes(child, main_dir, here, included)
            children.append(child)
            continue
        if child.children:
            raise child.error("<include> must be empty")
        for name in child.attrib:
            if name != "file":
                raise child.error("not supported by symphys (element <include>)", name)
        if not child.attrib.get("file"):
            raise child.error("missing", "file")
        file = child.attrib["file"]
        candidates = list(dict.fromkeys(os.path.normpath(os.path.join(d, file)) for d in (main_dir, here)))
        path = next((c for c in candidates if os.path.isfile(c)), None)
        if path is None:
            raise child.error(f"file not found (looked for {' and '.join(map(repr, candidates))})", "file")
        if os.path.abspath(path) in included:
            raise child.error(f"{file!r} is included more than once (MuJoCo allows each file once)", "file")
        included.add(os.path.abspath(path))
        text, label = read_source(path)
        root = parse_xml(text, label, MJCFError)
        if root.tag != "mujoco":
            raise root.error("the root element of an included file must be <mujoco>")
        expand_includes(root, main_dir, os.path.dirname(path), included)
        for grandchild in root.children:
            grandchild.parent = node
            children.append(grandchild)
    node.children = children


class _Reader:
    """Reads a ``<mujoco>`` document in MuJoCo's order: compiler, defaults,
    numerics, options, then the worldbody and the actuators."""

    def __init__(self, root: Node, strict: bool):
        if root.tag != "mujoco":
            raise root.error("the root element of an MJCF file must be <mujoco>")
        self.root = root
        self.report = Reporter(strict, MJCFWarning, MJCFError)
        self.compiler = Compiler()
        self.defaults = Defaults()
        self.numerics = Numerics()
        self.bodies = BodyReader(self.report, self.compiler, self.defaults)
        self.actuators = ActuatorReader(self.report, self.defaults, self.bodies.joints, self.numerics)

    def world(self, dtype: str, solver_options: dict) -> World:
        children = self.root.children
        for node in children:
            if node.tag in TOP_UNSUPPORTED and TOP_UNSUPPORTED[node.tag]:
                raise node.error(f"{TOP_UNSUPPORTED[node.tag]} are not supported by symphys")
            if node.tag == "keyframe":
                self.report.approximate(node, "keyframes are ignored; the initial state is the model's pose")
            elif node.tag not in {"compiler", "option", "default", "worldbody", "actuator", "custom", "contact",
                                  *TOP_IGNORED}:
                raise node.error("unknown or unsupported element")
        for node in self.root.find("compiler"):
            self.compiler.read(node, self.report)
        for node in self.root.find("default"):
            self.defaults.read(node, "main", {})
        for node in self.root.find("custom"):
            self.numerics.read(node)
        for node in self.root.find("contact"):
            for pair in node.find("pair"):
                self.report.approximate(pair, "explicit contact pairs are ignored (symphys collides every pair of "
                                              "bodies that contype/conaffinity allow)")
        dt, gravity = 0.002, np.array([0.0, 0.0, -9.81])  # MuJoCo's defaults
        for node in self.root.find("option"):
            dt, gravity = self.read_option(node, dt, gravity)
        solver_options = {**self.numerics.solver_options(), **solver_options}
        with self.report.at(self.root):
            world = World(dt=dt, gravity=gravity, dtype=dtype, **solver_options)
        worldbodies = self.root.find("worldbody")
        if len(worldbodies) > 1:
            raise worldbodies[1].error("only one <worldbody> is allowed")
        for node in worldbodies:
            self.bodies.read_worldbody(node, world)
        for node in self.root.find("contact"):
            for exclude in node.find("exclude"):
                self.read_exclude(exclude, world)
        for node in self.root.find("actuator"):
            for actuator in node.children:
                self.actuators.read_actuator(actuator, world)
        self.numerics.check_names(self.actuators.servos)
        return world

    def read_exclude(self, node: Node, world: World):
        """``<exclude body1 body2>``: the two named bodies never touch."""
        check_attributes(node, {"body1", "body2", "name"})
        for name in ("body1", "body2"):
            if name not in node.attrib:
                raise node.error("missing", name)
        with self.report.at(node):
            try:
                world.exclude_contact(node.attrib["body1"], node.attrib["body2"])
            except ValueError as error:
                if "joined by a joint" not in str(error):  # MuJoCo accepts a redundant exclude
                    raise

    def read_option(self, node: Node, dt: float, gravity: np.ndarray):
        """(time step in s, gravity in m/s^2) after an ``<option>`` element."""
        check_attributes(node, {"timestep", "gravity"}, ignored=OPTION_SOLVER_SETTINGS,
                         approximated={"wind", "magnetic", "density", "viscosity"})
        for name in ("wind", "density", "viscosity"):
            value = numbers(node, name)
            if value is not None and np.any(value != 0):
                self.report.approximate(node, "fluid forces are ignored", name)
        timestep = numbers(node, "timestep", counts=(1,))
        dt = dt if timestep is None else float(timestep[0])
        g = numbers(node, "gravity", counts=(3,))
        gravity = gravity if g is None else g
        for flag in node.find("flag"):
            for name, value in flag.attrib.items():
                choice(flag, name, ("enable", "disable"), "enable")
                if name == "gravity" and value == "disable":
                    gravity = np.zeros(3)
                elif name in ("contact", "constraint", "limit", "actuation") and value == "disable":
                    raise flag.error(f"disabling {name} is not supported by symphys", name)
        return dt, gravity
