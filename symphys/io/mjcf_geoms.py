"""An MJCF body's shape and mass: its one solid ``<geom>`` (sphere, box or
capsule), and the mass of the geom or of an ``<inertial>``."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..model import Shape
from ..rotations import z_to_quat
from ..shapes import unit_inertia
from .mjcf_attributes import Defaults, check_attributes
from .mjcf_compiler import ORIENTATIONS, Compiler
from .xml import Frame, Node, Reporter, numbers

INERTIA_RTOL = 1e-3  # relative difference of principal moments tolerated silently
CENTRE_ATOL = 1e-6  # m, inertial pos vs geom centre

# Attributes read per element; COSMETIC ones are accepted everywhere and
# APPROXIMATED ones are accepted with a warning when they matter.
GEOM_ATTRIBUTES = {"type", "size", "pos", "fromto", "mass", "density", "friction", "contype", "conaffinity",
                   *ORIENTATIONS}
GEOM_APPROXIMATED = {"solref", "solimp", "solmix", "margin", "gap", "condim", "priority"}
INERTIAL_ATTRIBUTES = {"pos", "mass", "diaginertia", "fullinertia", *ORIENTATIONS}
SHAPES = {"sphere": Shape.SPHERE, "box": Shape.BOX, "capsule": Shape.CAPSULE}


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


def is_visual(node: Node, attrib: dict) -> bool:
    """Whether a geom (resolved attributes ``attrib``) is visual: no contacts and no mass."""
    no_contact = attrib.get("contype", "1") == "0" and attrib.get("conaffinity", "1") == "0"
    massless = ("mass" in attrib and float(numbers(node, "mass", attrib, (1,))[0]) == 0.0) or \
               ("mass" not in attrib and "density" in attrib
                and float(numbers(node, "density", attrib, (1,))[0]) == 0.0)
    return no_contact and massless


class GeomReader:
    """Reads a body's geom and mass; ``has_ground`` tells whether the world has a plane."""

    def __init__(self, report: Reporter, compiler: Compiler, defaults: Defaults):
        self.report = report
        self.compiler = compiler
        self.defaults = defaults
        self.has_ground = False

    def read_geom(self, node: Node, offset: Frame, childclass, body_frame: Frame) -> Geom:
        attrib = self.defaults.attributes(node, childclass)
        kind = attrib.get("type", "sphere")
        if kind == "plane":
            raise node.error("planes are ground geoms of the <worldbody>, not of a body", "type")
        if kind not in ("sphere", "box", "capsule"):
            raise node.error(f"geom type {kind!r} is not supported by symphys (sphere, box, capsule, or "
                             "plane in the worldbody)", "type")
        check_attributes(node, GEOM_ATTRIBUTES, GEOM_APPROXIMATED, attrib=attrib)
        for name in sorted(GEOM_APPROXIMATED & set(attrib)):
            self.report.approximate(node, "ignored (symphys contacts are soft with the solver's settings)", name)
        if self.has_ground and attrib.get("contype", "1") == "0" and attrib.get("conaffinity", "1") == "0":
            self.report.approximate(node, "symphys still collides this geom with the ground", "contype")
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
            local = offset.compose(self.compiler.frame(node, attrib))
        needed = {"sphere": 1, "box": 3, "capsule": 1 if fromto is not None else 2}[kind]
        if size is None:
            raise node.error(f"missing: a {kind} needs {needed} size number{'s' if needed > 1 else ''}", "size")
        if len(size) < needed:
            raise node.error(f"a {kind} needs {needed} numbers, got {len(size)}", "size")
        if np.any(size[:needed] <= 0):
            raise node.error(f"sizes must be positive, got {size[:needed].tolist()}", "size")
        friction = numbers(node, "friction", attrib, (1, 2, 3))
        args = dict(friction=1.0 if friction is None else float(friction[0]))
        for name in ("contype", "conaffinity"):  # body-body collision bit masks, as MuJoCo's
            if name in attrib:
                try:
                    args[name] = int(attrib[name])
                except ValueError:
                    raise node.error(f"must be an integer bit mask, got {attrib[name]!r}", name) from None
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
        if self.compiler.inertia_from_geom == "false" and not inertials:
            raise body.error("inertiafromgeom='false' needs an <inertial> in every body")
        if not inertials or self.compiler.inertia_from_geom == "true":
            if "mass" in geom.attrib:
                return dict(mass=float(numbers(geom.node, "mass", geom.attrib, (1,))[0]))
            density = numbers(geom.node, "density", geom.attrib, (1,))
            return dict(density=1000.0 if density is None else float(density[0]))
        node = inertials[0]
        check_attributes(node, INERTIAL_ATTRIBUTES)
        for name in ("mass", "pos"):
            if name not in node.attrib:
                raise node.error("missing", name)
        mass = float(numbers(node, "mass", counts=(1,))[0])
        pos = numbers(node, "pos", counts=(3,))
        if np.linalg.norm(pos - geom.local.position) > CENTRE_ATOL:
            raise node.error(f"the centre of mass {pos.tolist()} must be the geom's centre "
                             f"{geom.local.position.tolist()} (symphys bodies are uniform shapes)", "pos")
        moments = inertial_moments(node)
        if moments is not None and mass > 0:
            _, unit = unit_inertia(SHAPES[geom.kind], shape_size(geom))
            expected = np.sort(mass * unit)
            if not np.allclose(np.sort(moments), expected, rtol=INERTIA_RTOL, atol=0):
                self.report.approximate(node, f"symphys uses the {geom.kind}'s inertia {expected.tolist()} "
                                              f"(kg m^2) for this mass, not {np.sort(moments).tolist()}")
        return dict(mass=mass)


def inertial_moments(node: Node) -> np.ndarray | None:
    """Principal moments (kg m^2) of an <inertial>'s diaginertia or fullinertia, if given."""
    diagonal = numbers(node, "diaginertia", counts=(3,))
    full = numbers(node, "fullinertia", counts=(6,))
    if diagonal is not None and full is not None:
        raise node.error("give diaginertia or fullinertia, not both", "fullinertia")
    if full is None:
        return diagonal
    xx, yy, zz, xy, xz, yz = full
    return np.linalg.eigvalsh(np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]]))
