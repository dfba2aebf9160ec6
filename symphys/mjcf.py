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
- A ``plane`` geom of the worldbody -> ``add_ground`` (facing +z, one at most).
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

import dataclasses
import math
import os
import sys
import warnings
from contextlib import contextmanager
from xml.parsers import expat

import numpy as np

from .model import Shape
from .world import World, _np_quat_multiply, _np_rotation, _unit_inertia

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])
DEFAULT_MAX_SPEED = math.pi  # rad/s, World.add_motor's default
INERTIA_RTOL = 1e-3  # relative difference of principal moments tolerated silently
CENTRE_ATOL = 1e-6  # m, inertial pos vs geom centre


class MJCFError(ValueError):
    """Invalid or inexpressible model file; the message names the element and its line."""


class MJCFWarning(UserWarning):
    """Something of the model file was approximated or ignored."""


# -- XML with line numbers -------------------------------------------------------


@dataclasses.dataclass(eq=False)
class Node:
    """One XML element with its source line (stdlib ElementTree keeps no lines)."""

    tag: str
    attrib: dict
    line: int
    source: str
    parent: Node | None = None
    children: list = dataclasses.field(default_factory=list)

    def where(self) -> str:
        name = self.attrib.get("name")
        label = f'<{self.tag} name="{name}">' if name else f"<{self.tag}>"
        return f"{self.source}, line {self.line}, {label}"

    def error(self, message: str, attribute: str | None = None) -> MJCFError:
        what = f"attribute {attribute!r}: " if attribute else ""
        return MJCFError(f"{self.where()}: {what}{message}")

    def find(self, tag: str) -> list:
        return [c for c in self.children if c.tag == tag]


def caller_stacklevel() -> int:
    """``stacklevel`` that makes a warning point at the first caller outside symphys."""
    frame, level = sys._getframe(1), 1  # level 1: the function that calls warnings.warn
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE:
        frame, level = frame.f_back, level + 1
    return level


def read_source(source) -> tuple[str, str]:
    """(text, label) of a path, or of XML given as a string or bytes."""
    if isinstance(source, bytes):
        return source.decode(), "<string>"
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return source, "<string>"
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8") as f:
            return f.read(), os.fspath(source)
    raise ValueError(f"source must be a path or an XML string, got {type(source).__name__}")


def parse_xml(text: str, label: str, error=MJCFError) -> Node:
    """Parse XML text into Nodes that remember their lines; malformed XML raises ``error``."""
    parser = expat.ParserCreate()
    stack: list[Node] = []
    roots: list[Node] = []

    def start(tag, attrib):
        node = Node(tag, dict(attrib), parser.CurrentLineNumber, label, stack[-1] if stack else None)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    try:
        parser.Parse(text, True)
    except expat.ExpatError as e:
        raise error(f"{label}, line {e.lineno}: malformed XML: {expat.ErrorString(e.code)}") from None
    return roots[0]


def numbers(node: Node, attribute: str, attrib: dict | None = None, counts=None) -> np.ndarray | None:
    """Finite numbers of an attribute (None if absent); ``counts`` allowed lengths."""
    attrib = node.attrib if attrib is None else attrib
    if attribute not in attrib:
        return None
    text = attrib[attribute]
    try:
        values = np.array([float(x) for x in text.split()], dtype=float)
    except ValueError:
        raise node.error(f"malformed number in {text!r}", attribute) from None
    if not np.all(np.isfinite(values)):
        raise node.error(f"numbers must be finite, got {text!r}", attribute)
    if counts is not None and len(values) not in counts:
        wanted = " or ".join(str(c) for c in counts)
        raise node.error(f"expected {wanted} numbers, got {len(values)} in {text!r}", attribute)
    return values


def choice(node: Node, attribute: str, allowed: tuple, default: str, attrib: dict | None = None) -> str:
    value = (node.attrib if attrib is None else attrib).get(attribute, default)
    if value not in allowed:
        raise node.error(f"expected one of {', '.join(allowed)}, got {value!r}", attribute)
    return value


# -- rotations --------------------------------------------------------------------


def axis_angle_quat(axis, angle: float) -> np.ndarray:
    axis = np.asarray(axis, dtype=float)
    norm = np.linalg.norm(axis)
    if norm < 1e-12:
        raise ValueError("axis must be nonzero")
    return np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * axis / norm])


def z_to_quat(vector) -> np.ndarray:
    """Minimal rotation taking +z to ``vector`` (MuJoCo's mjuu_z2quat)."""
    vector = np.asarray(vector, dtype=float)
    axis = np.cross([0.0, 0.0, 1.0], vector)
    s = np.linalg.norm(axis)
    axis = np.array([1.0, 0.0, 0.0]) if s < 1e-10 else axis / s
    angle = math.atan2(s, vector[2])
    return np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * axis])


def matrix_quat(r: np.ndarray) -> np.ndarray:
    """Unit quaternion (w, x, y, z) of a rotation matrix."""
    trace = np.trace(r)
    if trace > 0:
        s = 2.0 * math.sqrt(trace + 1.0)
        q = [0.25 * s, (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s]
    else:
        i = int(np.argmax(np.diag(r)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * math.sqrt(1.0 + r[i, i] - r[j, j] - r[k, k])
        q = [0.0, 0.0, 0.0, 0.0]
        q[0] = (r[k, j] - r[j, k]) / s
        q[1 + i] = 0.25 * s
        q[1 + j] = (r[j, i] + r[i, j]) / s
        q[1 + k] = (r[k, i] + r[i, k]) / s
    q = np.array(q)
    return q / np.linalg.norm(q)


@dataclasses.dataclass(frozen=True)
class Frame:
    """A pose: position (m) and unit quaternion (w, x, y, z), parent to world."""

    position: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(3))
    orientation: np.ndarray = dataclasses.field(default_factory=lambda: IDENTITY.copy())

    def compose(self, local: Frame) -> Frame:
        return Frame(self.point(local.position), _np_quat_multiply(self.orientation, local.orientation))

    def point(self, p) -> np.ndarray:
        return self.position + _np_rotation(self.orientation) @ np.asarray(p, dtype=float)

    def vector(self, v) -> np.ndarray:
        return _np_rotation(self.orientation) @ np.asarray(v, dtype=float)


@dataclasses.dataclass(frozen=True)
class Geom:
    """A body's shape as read: its element, resolved attributes, pose in the body
    frame and in the world, and the size/friction arguments of World.add_<kind>."""

    node: Node
    attrib: dict
    kind: str
    local: Frame
    world: Frame
    args: dict


def shape_size(geom: Geom) -> np.ndarray:
    """The Model's body_size row of a geom's shape (m)."""
    args = geom.args
    if geom.kind == "sphere":
        return np.array([args["radius"], 0.0, 0.0])
    if geom.kind == "box":
        return np.asarray(args["half_extents"], dtype=float)
    return np.array([args["radius"], args["length"] / 2, 0.0])


# -- the MJCF reader -----------------------------------------------------------------

ORIENTATIONS = ("quat", "axisangle", "euler", "xyaxes", "zaxis")
COSMETIC = {"name", "class", "rgba", "material", "group", "user"}

# Attributes read per element; COSMETIC ones are accepted everywhere and
# APPROXIMATED ones are accepted with a warning when they matter.
GEOM_ATTRIBUTES = {"type", "size", "pos", "fromto", "mass", "density", "friction", "contype", "conaffinity",
                   *ORIENTATIONS}
GEOM_APPROXIMATED = {"solref", "solimp", "solmix", "margin", "gap", "condim", "priority"}
JOINT_ATTRIBUTES = {"type", "pos", "axis", "range", "limited", "ref"}
JOINT_APPROXIMATED = {"damping": 0.0, "armature": 0.0, "frictionloss": 0.0, "stiffness": 0.0}
JOINT_IGNORED = {"springref", "solreflimit", "solimplimit", "solreffriction", "solimpfriction", "margin",
                 "actuatorfrclimited", "actuatorfrcrange", "actuatorgravcomp"}
BODY_ATTRIBUTES = {"pos", "childclass", *ORIENTATIONS}
INERTIAL_ATTRIBUTES = {"pos", "mass", "diaginertia", "fullinertia", *ORIENTATIONS}
ACTUATOR_ATTRIBUTES = {"joint", "kp", "kv", "forcerange", "forcelimited", "ctrlrange", "ctrllimited", "gear"}
ACTUATOR_IGNORED = {"inheritrange"}
DEFAULTED = ("geom", "joint", "position", "velocity", "motor", "general")
OPTION_SOLVER_SETTINGS = {"integrator", "iterations", "ls_iterations", "tolerance", "ls_tolerance", "solver",
                          "cone", "jacobian", "impratio", "noslip_iterations", "noslip_tolerance",
                          "ccd_iterations", "ccd_tolerance", "sdf_iterations", "sdf_initpoints", "apirate",
                          "o_margin", "o_solref", "o_solimp", "o_friction"}
TOP_IGNORED = {"size", "visual", "statistic", "asset", "sensor", "extension"}
TOP_UNSUPPORTED = {"equality": "equality constraints", "tendon": "tendons",
                   "deformable": "deformable bodies", "keyframe": None}


# SolverOptions fields that a ``symphys:<field>`` numeric may set, and their type.
SOLVER_NUMERICS = {"iterations": int, "relaxation": float, "contact_frequency": float,
                   "contact_damping_ratio": float, "max_push_velocity": float, "restitution_threshold": float,
                   "joint_frequency": float, "joint_damping_ratio": float}


def load_mjcf(source, *, strict: bool = False, dtype: str = "float64", **solver_options) -> World:
    """World built from an MJCF file (path) or string; call ``.build()`` for the Model.

    strict: raise instead of warning where something is approximated.
    dtype, solver_options: passed to :class:`~symphys.world.World`.
    Raises MJCFError (a ValueError) naming the element and its line for
    anything symphys cannot express.  See the module docstring for the mapping.
    """
    text, label = read_source(source)
    root = parse_xml(text, label)
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
        root = parse_xml(text, label)
        if root.tag != "mujoco":
            raise root.error("the root element of an included file must be <mujoco>")
        expand_includes(root, main_dir, os.path.dirname(path), included)
        for grandchild in root.children:
            grandchild.parent = node
            children.append(grandchild)
    node.children = children


class _Reader:
    def __init__(self, root: Node, strict: bool):
        if root.tag != "mujoco":
            raise root.error("the root element of an MJCF file must be <mujoco>")
        self.root = root
        self.strict = strict
        self.degrees = True
        self.eulerseq = "xyz"
        self.autolimits = True
        self.inertia_from_geom = "auto"
        self.defaults: dict[str, dict] = {}
        self.custom: dict[str, tuple[Node, np.ndarray]] = {}
        self.joints: dict[str, tuple] = {}  # name: (element, Joint handle, ref)
        self.servos: set[str] = set()  # names of position actuators
        self.has_ground = False

    # -- reporting ---------------------------------------------------------------
    def approximate(self, node: Node, message: str, attribute: str | None = None):
        if self.strict:
            raise node.error(message + " (strict=True)", attribute)
        what = f"attribute {attribute!r}: " if attribute else ""
        warnings.warn(f"{node.where()}: {what}{message}", MJCFWarning, stacklevel=caller_stacklevel())

    @contextmanager
    def at(self, node: Node):
        """Re-raise a World ValueError with the element and line where it arose."""
        try:
            yield
        except MJCFError:
            raise
        except ValueError as e:
            raise node.error(str(e)) from None

    def check_attributes(self, node: Node, known, approximated=(), ignored=(), attrib=None):
        """Raise for an attribute that is neither read, cosmetic, ignored nor approximated (warned elsewhere)."""
        for name in (node.attrib if attrib is None else attrib):
            if not (name in known or name in COSMETIC or name in ignored or name in approximated):
                raise node.error(f"not supported by symphys (element <{node.tag}>)", name)

    # -- document ----------------------------------------------------------------
    def world(self, dtype: str, solver_options: dict) -> World:
        children = self.root.children
        for node in children:
            if node.tag in TOP_UNSUPPORTED and TOP_UNSUPPORTED[node.tag]:
                raise node.error(f"{TOP_UNSUPPORTED[node.tag]} are not supported by symphys")
            if node.tag == "keyframe":
                self.approximate(node, "keyframes are ignored; the initial state is the model's pose")
            elif node.tag not in {"compiler", "option", "default", "worldbody", "actuator", "custom", "contact",
                                  *TOP_IGNORED}:
                raise node.error("unknown or unsupported element")
        for node in self.root.find("compiler"):
            self.read_compiler(node)
        for node in self.root.find("default"):
            self.read_defaults(node, "main", {})
        for node in self.root.find("custom"):
            self.read_custom(node)
        for node in self.root.find("contact"):
            for pair in node.find("pair"):
                self.approximate(pair, "explicit contact pairs are ignored (symphys collides bodies with the "
                                       "ground only)")
        dt, gravity = 0.002, np.array([0.0, 0.0, -9.81])  # MuJoCo's defaults
        for node in self.root.find("option"):
            dt, gravity = self.read_option(node, dt, gravity)
        solver_options = {**self.solver_numerics(), **solver_options}
        with self.at(self.root):
            world = World(dt=dt, gravity=gravity, dtype=dtype, **solver_options)
        worldbodies = self.root.find("worldbody")
        if len(worldbodies) > 1:
            raise worldbodies[1].error("only one <worldbody> is allowed")
        for node in worldbodies:
            self.read_worldbody(node, world)
        for node in self.root.find("actuator"):
            for actuator in node.children:
                self.read_actuator(actuator, world)
        for key, (numeric, _) in self.custom.items():
            if (key != "symphys:max_speed" and key.removeprefix("symphys:max_speed:") not in self.servos
                    and key.removeprefix("symphys:") not in SOLVER_NUMERICS):
                raise numeric.error(f"unknown symphys numeric {key!r}: expected symphys:max_speed, "
                                    "symphys:max_speed:<name of a position actuator> or symphys:<solver "
                                    f"setting> ({', '.join(SOLVER_NUMERICS)})", "name")
        return world

    def solver_numerics(self) -> dict:
        """Solver settings given as ``symphys:<field>`` numerics."""
        options = {}
        for field, kind in SOLVER_NUMERICS.items():
            if f"symphys:{field}" in self.custom:
                numeric, data = self.custom[f"symphys:{field}"]
                value = data[0]
                if kind is int:
                    if value != int(value) or value < 1:
                        raise numeric.error(f"symphys:{field} must be a positive integer, got {value!r}", "data")
                    value = int(value)
                options[field] = value if kind is int else float(value)
        return options

    def read_compiler(self, node: Node):
        self.check_attributes(node, {"angle", "eulerseq", "autolimits", "inertiafromgeom", "coordinate"},
                              ignored={"meshdir", "texturedir", "assetdir", "discardvisual", "fusestatic",
                                       "strippath", "balanceinertia", "convexhull", "usethread", "alignfree",
                                       "saveinertial", "inertiagrouprange", "lengthrange"},
                              approximated={"boundmass", "boundinertia", "settotalmass"})
        self.degrees = choice(node, "angle", ("degree", "radian"), "degree") == "degree"
        seq = node.attrib.get("eulerseq", "xyz")
        if len(seq) != 3 or any(c not in "xyzXYZ" for c in seq):
            raise node.error(f"expected 3 of the letters xyzXYZ, got {seq!r}", "eulerseq")
        self.eulerseq = seq
        self.autolimits = choice(node, "autolimits", ("true", "false"), "true") == "true"
        self.inertia_from_geom = choice(node, "inertiafromgeom", ("auto", "true", "false"), "auto")
        choice(node, "coordinate", ("local",), "local")
        for name in ("boundmass", "boundinertia", "settotalmass"):
            if name in node.attrib:
                self.approximate(node, "ignored", name)

    def read_option(self, node: Node, dt: float, gravity: np.ndarray):
        self.check_attributes(node, {"timestep", "gravity"}, ignored=OPTION_SOLVER_SETTINGS,
                              approximated={"wind", "magnetic", "density", "viscosity"})
        for name in ("wind", "density", "viscosity"):
            value = numbers(node, name)
            if value is not None and np.any(value != 0):
                self.approximate(node, "fluid forces are ignored", name)
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

    def read_defaults(self, node: Node, name: str, inherited: dict):
        self.check_attributes(node, {"class"})
        if node.parent is not None and node.parent.tag == "default":
            if "class" not in node.attrib:
                raise node.error("a nested default needs a class name", "class")
            name = node.attrib["class"]
        else:
            name = node.attrib.get("class", name)
        if name in self.defaults:
            raise node.error(f"default class {name!r} is defined twice", "class")
        own = {tag: dict(attrib) for tag, attrib in inherited.items()}
        for child in node.children:
            if child.tag in DEFAULTED:
                own.setdefault(child.tag, {}).update(child.attrib)
            elif child.tag != "default":
                pass  # site, camera, light, mesh, material, ...: nothing of the dynamics
        self.defaults[name] = own
        for child in node.find("default"):
            self.read_defaults(child, name, own)

    def read_custom(self, node: Node):
        for numeric in node.find("numeric"):
            name = numeric.attrib.get("name", "")
            if name.startswith("symphys:"):
                data = numbers(numeric, "data")
                if data is None or len(data) != 1:
                    raise numeric.error("symphys numerics hold one number", "data")
                self.custom[name] = (numeric, data)

    def attributes(self, node: Node, childclass: str | None) -> dict:
        """The element's attributes over those of its default class."""
        name = node.attrib.get("class", childclass or "main")
        if name not in self.defaults and name != "main":
            raise node.error(f"unknown default class {name!r}", "class")
        merged = dict(self.defaults.get(name, {}).get(node.tag, {}))
        merged.update(node.attrib)
        merged.pop("class", None)
        return merged

    def angle(self, value: float) -> float:
        return math.radians(value) if self.degrees else value

    def frame(self, node: Node, attrib: dict) -> Frame:
        """Local pose of a body, geom or inertial from pos and one orientation attribute."""
        pos = numbers(node, "pos", attrib, (3,))
        given = [a for a in ORIENTATIONS if a in attrib]
        if len(given) > 1:
            raise node.error(f"give one orientation, got {', '.join(given)}", given[1])
        q = IDENTITY.copy()
        if given:
            q = self.orientation(node, attrib, given[0])
        return Frame(np.zeros(3) if pos is None else pos, q)

    def orientation(self, node: Node, attrib: dict, kind: str) -> np.ndarray:
        if kind == "quat":
            q = numbers(node, kind, attrib, (4,))
            if np.linalg.norm(q) < 1e-9:
                raise node.error("quaternion must be nonzero", kind)
            return q / np.linalg.norm(q)
        if kind == "axisangle":
            v = numbers(node, kind, attrib, (4,))
            if np.linalg.norm(v[:3]) < 1e-9:
                raise node.error("axis must be nonzero", kind)
            return axis_angle_quat(v[:3], self.angle(v[3]))
        if kind == "euler":
            angles = numbers(node, kind, attrib, (3,))
            q = IDENTITY.copy()
            for letter, value in zip(self.eulerseq, angles):
                r = axis_angle_quat(np.eye(3)["xyz".index(letter.lower())], self.angle(value))
                # lower case: about the moving axes (intrinsic); upper case: fixed axes.
                q = _np_quat_multiply(q, r) if letter.islower() else _np_quat_multiply(r, q)
            return q
        if kind == "zaxis":
            z = numbers(node, kind, attrib, (3,))
            if np.linalg.norm(z) < 1e-9:
                raise node.error("zaxis must be nonzero", kind)
            return z_to_quat(z / np.linalg.norm(z))
        v = numbers(node, kind, attrib, (6,))
        x, y = v[:3], v[3:]
        if np.linalg.norm(x) < 1e-9:
            raise node.error("x axis must be nonzero", kind)
        x = x / np.linalg.norm(x)
        y = y - x * (x @ y)
        if np.linalg.norm(y) < 1e-9:
            raise node.error("y axis must not be parallel to x", kind)
        y = y / np.linalg.norm(y)
        return matrix_quat(np.column_stack([x, y, np.cross(x, y)]))

    # -- bodies ------------------------------------------------------------------
    def read_worldbody(self, node: Node, world: World):
        self.check_attributes(node, set())
        ground = None
        contents = list(self.contents(node, None))
        self.has_ground = any(c.tag == "geom" and self.attributes(c, k).get("type") == "plane" for c, _, k in contents)
        for child, offset, childclass in contents:
            if child.tag == "geom":
                attrib = self.attributes(child, childclass)
                kind = attrib.get("type", "sphere")
                if kind != "plane":
                    raise child.error(f"static {kind} geoms are not supported by symphys (it collides bodies "
                                      "with one ground plane only); put the geom in a <body>", "type")
                if ground is not None:
                    raise child.error(f"only one ground plane is supported (the first is on line {ground.line})")
                ground = child
                self.read_ground(child, attrib, offset, world)
            elif child.tag == "body":
                self.read_body(child, world, offset, None, childclass)
            elif child.tag not in ("site", "camera", "light"):
                raise child.error("not supported in <worldbody> by symphys")

    def contents(self, node: Node, childclass, offset: Frame | None = None):
        """(child, its container's pose in ``node``'s frame, childclass) of a body or
        the worldbody, looking through ``<frame>`` elements."""
        offset = Frame() if offset is None else offset
        for child in node.children:
            if child.tag != "frame":
                yield child, offset, childclass
                continue
            self.check_attributes(child, {"pos", "childclass", *ORIENTATIONS})
            inner = child.attrib.get("childclass", childclass)
            if inner is not None and inner not in self.defaults:
                raise child.error(f"unknown default class {inner!r}", "childclass")
            for grandchild in child.children:
                if grandchild.tag not in ("body", "geom", "frame", "site", "camera", "light"):
                    raise grandchild.error("not supported in a <frame> by symphys")
            yield from self.contents(child, inner, offset.compose(self.frame(child, child.attrib)))

    def read_ground(self, node: Node, attrib: dict, offset: Frame, world: World):
        self.check_attributes(node, GEOM_ATTRIBUTES | {"size"}, GEOM_APPROXIMATED, attrib=attrib)
        frame = offset.compose(self.frame(node, attrib))
        normal = frame.vector([0.0, 0.0, 1.0])
        if abs(normal[2] - 1.0) > 1e-9:
            raise node.error(f"the ground plane must face +z, its normal is {normal.round(6).tolist()}")
        friction = numbers(node, "friction", attrib, (1, 2, 3))
        with self.at(node):
            world.add_ground(friction=1.0 if friction is None else friction[0], height=frame.position[2])

    def read_body(self, node: Node, world: World, parent_frame: Frame, parent, childclass):
        attrib = dict(node.attrib)
        self.check_attributes(node, BODY_ATTRIBUTES | {"mocap", "gravcomp"})
        if attrib.get("mocap", "false") == "true":
            raise node.error("mocap bodies are not supported by symphys", "mocap")
        if float(numbers(node, "gravcomp", attrib, (1,))[0] if "gravcomp" in attrib else 0.0) != 0:
            self.approximate(node, "gravity compensation is ignored", "gravcomp")
        childclass = attrib.get("childclass", childclass)
        if childclass is not None and childclass not in self.defaults:
            raise node.error(f"unknown default class {childclass!r}", "childclass")
        frame = parent_frame.compose(self.frame(node, attrib))
        geoms, joints, inertials, bodies = [], [], [], []
        for child, offset, inner in self.contents(node, childclass):
            if child.tag == "geom":
                geoms.append((child, offset, inner))
            elif child.tag in ("joint", "freejoint"):
                joints.append(child)
            elif child.tag == "inertial":
                inertials.append(child)
            elif child.tag == "body":
                bodies.append((child, offset, inner))
            elif child.tag not in ("site", "camera", "light"):
                raise child.error("not supported in a <body> by symphys")
        solid = [g for g in geoms if not self.visual(g[0], g[2])]
        if len(solid) != 1:
            lines = ", ".join(str(g[0].line) for g in solid)
            raise node.error("symphys bodies are single shapes: a body needs exactly one geom (not counting "
                             f"visual geoms with contype=conaffinity=0 and zero mass), found {len(solid)}"
                             + (f" (lines {lines})" if solid else ""))
        geom = self.read_geom(*solid[0], frame)
        mass = self.read_inertial(node, inertials, geom)
        with self.at(node):
            body = getattr(world, f"add_{geom.kind}")(name=node.attrib.get("name"), position=geom.world.position,
                                                      orientation=geom.world.orientation, **geom.args, **mass)
        if len(joints) > 1:
            raise joints[1].error("symphys bodies have one joint to their parent; this body has "
                                  f"{len(joints)} (lines {', '.join(str(j.line) for j in joints)})")
        if joints:
            self.read_joint(joints[0], world, frame, parent, body, childclass)
        else:
            with self.at(node):
                world.add_fixed(parent, body)
        for child, offset, inner in bodies:
            self.read_body(child, world, frame.compose(offset), body, inner)

    def visual(self, node: Node, childclass) -> bool:
        attrib = self.attributes(node, childclass)
        no_contact = attrib.get("contype", "1") == "0" and attrib.get("conaffinity", "1") == "0"
        massless = ("mass" in attrib and float(numbers(node, "mass", attrib, (1,))[0]) == 0.0) or \
                   ("mass" not in attrib and "density" in attrib
                    and float(numbers(node, "density", attrib, (1,))[0]) == 0.0)
        return no_contact and massless

    def read_geom(self, node: Node, offset: Frame, childclass, body_frame: Frame) -> Geom:
        attrib = self.attributes(node, childclass)
        kind = attrib.get("type", "sphere")
        if kind == "plane":
            raise node.error("planes are ground geoms of the <worldbody>, not of a body", "type")
        if kind not in ("sphere", "box", "capsule"):
            raise node.error(f"geom type {kind!r} is not supported by symphys (sphere, box, capsule, or "
                             "plane in the worldbody)", "type")
        self.check_attributes(node, GEOM_ATTRIBUTES, GEOM_APPROXIMATED, attrib=attrib)
        for name in sorted(GEOM_APPROXIMATED & set(attrib)):
            self.approximate(node, "ignored (symphys contacts are soft with the solver's settings)", name)
        if self.has_ground and attrib.get("contype", "1") == "0" and attrib.get("conaffinity", "1") == "0":
            self.approximate(node, "symphys still collides this geom with the ground", "contype")
        fromto = numbers(node, "fromto", attrib, (6,))
        size = numbers(node, "size", attrib, (1, 2, 3))
        if fromto is not None:
            if kind != "capsule":
                raise node.error("fromto is supported for capsules only", "fromto")
            a, b = fromto[:3], fromto[3:]
            half_length = float(np.linalg.norm(b - a)) / 2
            if half_length <= 0:
                raise node.error("the two points must differ", "fromto")
            local = offset.compose(Frame((a + b) / 2, z_to_quat(a - b)))  # MuJoCo: z from "to" to "from"
        else:
            local = offset.compose(self.frame(node, attrib))
        needed = {"sphere": 1, "box": 3, "capsule": 1 if fromto is not None else 2}[kind]
        if size is None:
            raise node.error(f"missing: a {kind} needs {needed} size number{'s' if needed > 1 else ''}", "size")
        if len(size) < needed:
            raise node.error(f"a {kind} needs {needed} numbers, got {len(size)}", "size")
        if np.any(size[:needed] <= 0):
            raise node.error(f"sizes must be positive, got {size[:needed].tolist()}", "size")
        friction = numbers(node, "friction", attrib, (1, 2, 3))
        args = dict(friction=1.0 if friction is None else float(friction[0]))
        if kind == "sphere":
            args.update(radius=size[0])
        elif kind == "box":
            args.update(half_extents=size[:3])
        else:
            args.update(radius=size[0], length=2 * (half_length if fromto is not None else size[1]))
        return Geom(node, attrib, kind, local, body_frame.compose(local), args)

    def read_inertial(self, body: Node, inertials: list, geom: Geom) -> dict:
        """mass= or density= for World.add_*, from the <inertial> or the geom."""
        if len(inertials) > 1:
            raise inertials[1].error("a body has at most one <inertial>")
        if self.inertia_from_geom == "false" and not inertials:
            raise body.error("inertiafromgeom='false' needs an <inertial> in every body")
        if not inertials or self.inertia_from_geom == "true":
            if "mass" in geom.attrib:
                return dict(mass=float(numbers(geom.node, "mass", geom.attrib, (1,))[0]))
            density = numbers(geom.node, "density", geom.attrib, (1,))
            return dict(density=1000.0 if density is None else float(density[0]))
        node = inertials[0]
        self.check_attributes(node, INERTIAL_ATTRIBUTES)
        for name in ("mass", "pos"):
            if name not in node.attrib:
                raise node.error("missing", name)
        mass = float(numbers(node, "mass", counts=(1,))[0])
        pos = numbers(node, "pos", counts=(3,))
        if np.linalg.norm(pos - geom.local.position) > CENTRE_ATOL:
            raise node.error(f"the centre of mass {pos.tolist()} must be the geom's centre "
                             f"{geom.local.position.tolist()} (symphys bodies are uniform shapes)", "pos")
        moments = self.inertial_moments(node)
        if moments is not None and mass > 0:
            shape = {"sphere": Shape.SPHERE, "box": Shape.BOX, "capsule": Shape.CAPSULE}[geom.kind]
            _, unit = _unit_inertia(shape, shape_size(geom))
            expected = np.sort(mass * unit)
            if not np.allclose(np.sort(moments), expected, rtol=INERTIA_RTOL, atol=0):
                self.approximate(node, f"symphys uses the {geom.kind}'s inertia {expected.tolist()} "
                                       f"(kg m^2) for this mass, not {np.sort(moments).tolist()}")
        return dict(mass=mass)

    def inertial_moments(self, node: Node) -> np.ndarray | None:
        """Principal moments (kg m^2) of diaginertia or fullinertia, if given."""
        diagonal = numbers(node, "diaginertia", counts=(3,))
        full = numbers(node, "fullinertia", counts=(6,))
        if diagonal is not None and full is not None:
            raise node.error("give diaginertia or fullinertia, not both", "fullinertia")
        if full is None:
            return diagonal
        xx, yy, zz, xy, xz, yz = full
        return np.linalg.eigvalsh(np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]]))

    def read_joint(self, node: Node, world: World, frame: Frame, parent, body, childclass):
        if node.tag == "freejoint":
            kind = "free"
            self.check_attributes(node, set(), ignored={"align"})
        else:
            attrib = self.attributes(node, childclass)
            self.check_attributes(node, JOINT_ATTRIBUTES | set(JOINT_APPROXIMATED), ignored=JOINT_IGNORED,
                                  attrib=attrib)
            kind = attrib.get("type", "hinge")
        if kind == "free":
            if parent is not None:
                raise node.error("a free joint is allowed only in a body of the <worldbody>")
            return
        if kind not in ("hinge", "ball"):
            raise node.error(f"joint type {kind!r} is not supported by symphys (hinge, ball, free)", "type")
        for name, default in JOINT_APPROXIMATED.items():
            value = numbers(node, name, attrib)
            if value is not None and np.any(value != default):
                self.approximate(node, "ignored (symphys joints have no damping, armature, friction loss or "
                                       "springs)", name)
        pos = numbers(node, "pos", attrib, (3,))
        anchor = frame.point(np.zeros(3) if pos is None else pos)
        limited = choice(node, "limited", ("auto", "true", "false"), "auto", attrib)
        span = numbers(node, "range", attrib, (2,))
        if limited == "auto":
            limited = "true" if (span is not None and self.autolimits) else "false"
        lower = upper = None
        if limited == "true":
            if span is None:
                raise node.error("limited='true' needs a range", "range")
            if kind == "ball":
                raise node.error("ball joint limits (cones) are not supported by symphys", "range")
            ref = numbers(node, "ref", attrib, (1,))
            ref = 0.0 if ref is None else float(ref[0])
            lower, upper = (self.angle(float(x) - ref) for x in span)
            if not lower < upper:
                raise node.error(f"lower must be below upper, got {span.tolist()}", "range")
        name = node.attrib.get("name")
        with self.at(node):
            if kind == "ball":
                joint = world.add_ball_joint(parent, body, anchor=anchor, name=name)
            else:
                axis = numbers(node, "axis", attrib, (3,))
                axis = np.array([0.0, 0.0, 1.0]) if axis is None else axis
                joint = world.add_hinge(parent, body, anchor=anchor, axis=frame.vector(axis), lower=lower,
                                        upper=upper, name=name)
        if name is not None:
            ref = numbers(node, "ref", attrib, (1,)) if kind == "hinge" else None
            self.joints[name] = (node, joint, 0.0 if ref is None else float(ref[0]))

    # -- actuators ---------------------------------------------------------------
    def read_actuator(self, node: Node, world: World):
        if node.tag == "motor":
            raise node.error("torque motors cannot be expressed: symphys motors are velocity-level rows; use "
                             "<position kp kv> (servo) or <velocity> (velocity motor)")
        if node.tag not in ("position", "velocity"):
            raise node.error(f"<{node.tag}> actuators are not supported by symphys (<position kp kv> servos and "
                             "<velocity> motors are)")
        attrib = self.attributes(node, None)
        self.check_attributes(node, ACTUATOR_ATTRIBUTES, ignored=ACTUATOR_IGNORED, attrib=attrib)
        for target in ("tendon", "site", "body", "jointinparent", "cranksite"):
            if target in attrib:
                raise node.error("only joint actuators are supported by symphys", target)
        if "joint" not in attrib:
            raise node.error("missing", "joint")
        if attrib["joint"] not in self.joints:
            raise node.error(f"unknown joint {attrib['joint']!r} (symphys needs named hinges)", "joint")
        gear = numbers(node, "gear", attrib, (1, 6))
        if gear is not None and (gear[0] != 1 or np.any(gear[1:] != 0)):
            raise node.error("only gear 1 is supported by symphys", "gear")
        if attrib.get("forcelimited") == "false" or "forcerange" not in attrib:
            raise node.error("symphys motors need a torque limit: give forcerange", "forcerange")
        low, high = numbers(node, "forcerange", attrib, (2,))
        if not low < 0 < high:
            raise node.error(f"expected -limit < 0 < limit, got {[low, high]}", "forcerange")
        if low != -high:
            self.approximate(node, f"asymmetric; symphys uses +-{high}", "forcerange")
        name = node.attrib.get("name")
        _, joint, ref = self.joints[attrib["joint"]]
        if node.tag == "position" and ref != 0:
            self.approximate(node, f"the joint's ref ({ref}) is not subtracted: symphys servo targets are "
                                   "angles from the model's pose", "joint")
        options = dict(max_torque=high, servo=node.tag == "position")
        if node.tag == "position":
            kp = numbers(node, "kp", attrib, (1,))
            kv = numbers(node, "kv", attrib, (1,))
            kp = 1.0 if kp is None else float(kp[0])
            if kv is None or kv[0] <= 0:
                raise node.error("symphys servos are velocity-level: give kv > 0, the servo gain is kp / kv "
                                 "(1/s)", "kv")
            options.update(gain=kp / float(kv[0]), max_speed=self.max_speed(name))
            if name:
                self.servos.add(name)
        with self.at(node):
            world.add_motor(joint, name=name, **options)

    def max_speed(self, actuator: str | None) -> float:
        for key in ((f"symphys:max_speed:{actuator}",) if actuator else ()) + ("symphys:max_speed",):
            if key in self.custom:
                return float(self.custom[key][1][0])
        return DEFAULT_MAX_SPEED
