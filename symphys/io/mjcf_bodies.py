"""An MJCF ``<worldbody>``: the ground plane, the tree of bodies (looking
through ``<frame>`` elements) and the joint of each body to its parent."""

from __future__ import annotations

import numpy as np

from ..world import World
from .mjcf_attributes import Defaults, check_attributes
from .mjcf_compiler import ORIENTATIONS, Compiler
from .mjcf_geoms import GEOM_APPROXIMATED, GEOM_ATTRIBUTES, GeomReader, is_visual
from .xml import Frame, Node, Reporter, choice, numbers

BODY_ATTRIBUTES = {"pos", "childclass", *ORIENTATIONS}
JOINT_ATTRIBUTES = {"type", "pos", "axis", "range", "limited", "ref"}
JOINT_APPROXIMATED = {"damping": 0.0, "armature": 0.0, "frictionloss": 0.0, "stiffness": 0.0}
JOINT_IGNORED = {"springref", "solreflimit", "solimplimit", "solreffriction", "solimpfriction", "margin",
                 "actuatorfrclimited", "actuatorfrcrange", "actuatorgravcomp"}
NON_PHYSICAL = ("site", "camera", "light")  # elements of a body that carry no dynamics


class BodyReader:
    """Adds the worldbody's ground, bodies and joints to a World; ``joints`` maps
    joint names to (element, Joint handle, ref) for the actuators."""

    def __init__(self, report: Reporter, compiler: Compiler, defaults: Defaults):
        self.report = report
        self.compiler = compiler
        self.defaults = defaults
        self.geoms = GeomReader(report, compiler, defaults)
        self.joints: dict[str, tuple] = {}

    def read_worldbody(self, node: Node, world: World):
        check_attributes(node, set())
        ground = None
        contents = list(self.contents(node, None))
        self.geoms.has_ground = any(c.tag == "geom" and self.defaults.attributes(c, k).get("type") == "plane"
                                    for c, _, k in contents)
        for child, offset, childclass in contents:
            if child.tag == "geom":
                attrib = self.defaults.attributes(child, childclass)
                kind = attrib.get("type", "sphere")
                if kind != "plane":
                    self.read_static_geom(child, offset, childclass, world)
                    continue
                if ground is not None:
                    raise child.error(f"only one ground plane is supported (the first is on line {ground.line})")
                ground = child
                self.read_ground(child, attrib, offset, world)
            elif child.tag == "body":
                self.read_body(child, world, offset, None, childclass)
            elif child.tag not in NON_PHYSICAL:
                raise child.error("not supported in <worldbody> by symphys")

    def read_static_geom(self, node: Node, offset: Frame, childclass, world: World):
        """A sphere, box or capsule of the worldbody: a fixed body (a wall, a table)."""
        geom = self.geoms.read_geom(node, offset, childclass, Frame())
        with self.report.at(node):
            getattr(world, f"add_{geom.kind}")(name=node.attrib.get("name"), position=geom.world.position,
                                               orientation=geom.world.orientation, fixed=True, **geom.args)

    def contents(self, node: Node, childclass, offset: Frame | None = None):
        """(child, its container's pose in ``node``'s frame, childclass) of a body or
        the worldbody, looking through ``<frame>`` elements."""
        offset = Frame() if offset is None else offset
        for child in node.children:
            if child.tag != "frame":
                yield child, offset, childclass
                continue
            check_attributes(child, {"pos", "childclass", *ORIENTATIONS})
            inner = self.defaults.childclass(child, childclass)
            for grandchild in child.children:
                if grandchild.tag not in ("body", "geom", "frame", *NON_PHYSICAL):
                    raise grandchild.error("not supported in a <frame> by symphys")
            yield from self.contents(child, inner, offset.compose(self.compiler.frame(child, child.attrib)))

    def read_ground(self, node: Node, attrib: dict, offset: Frame, world: World):
        check_attributes(node, GEOM_ATTRIBUTES | {"size"}, GEOM_APPROXIMATED, attrib=attrib)
        frame = offset.compose(self.compiler.frame(node, attrib))
        normal = frame.vector([0.0, 0.0, 1.0])
        if abs(normal[2] - 1.0) > 1e-9:
            raise node.error(f"the ground plane must face +z, its normal is {normal.round(6).tolist()}")
        friction = numbers(node, "friction", attrib, (1, 2, 3))
        with self.report.at(node):
            world.add_ground(friction=1.0 if friction is None else friction[0], height=frame.position[2])

    def read_body(self, node: Node, world: World, parent_frame: Frame, parent, childclass):
        attrib = dict(node.attrib)
        check_attributes(node, BODY_ATTRIBUTES | {"mocap", "gravcomp"})
        if attrib.get("mocap", "false") == "true":
            raise node.error("mocap bodies are not supported by symphys", "mocap")
        if float(numbers(node, "gravcomp", attrib, (1,))[0] if "gravcomp" in attrib else 0.0) != 0:
            self.report.approximate(node, "gravity compensation is ignored", "gravcomp")
        childclass = self.defaults.childclass(node, childclass)
        frame = parent_frame.compose(self.compiler.frame(node, attrib))
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
            elif child.tag not in NON_PHYSICAL:
                raise child.error("not supported in a <body> by symphys")
        solid = [g for g in geoms if not is_visual(g[0], self.defaults.attributes(g[0], g[2]))]
        if len(solid) != 1:
            lines = ", ".join(str(g[0].line) for g in solid)
            raise node.error("symphys bodies are single shapes: a body needs exactly one geom (not counting "
                             f"visual geoms with contype=conaffinity=0 and zero mass), found {len(solid)}"
                             + (f" (lines {lines})" if solid else ""))
        geom = self.geoms.read_geom(*solid[0], frame)
        mass = self.geoms.read_inertial(node, inertials, geom)
        with self.report.at(node):
            body = getattr(world, f"add_{geom.kind}")(name=node.attrib.get("name"), position=geom.world.position,
                                                      orientation=geom.world.orientation, **geom.args, **mass)
        if len(joints) > 1:
            raise joints[1].error("symphys bodies have one joint to their parent; this body has "
                                  f"{len(joints)} (lines {', '.join(str(j.line) for j in joints)})")
        if joints:
            self.read_joint(joints[0], world, frame, parent, body, childclass)
        else:
            with self.report.at(node):
                world.add_fixed(parent, body)
        for child, offset, inner in bodies:
            self.read_body(child, world, frame.compose(offset), body, inner)

    def read_joint(self, node: Node, world: World, frame: Frame, parent, body, childclass):
        if node.tag == "freejoint":
            kind = "free"
            check_attributes(node, set(), ignored={"align"})
        else:
            attrib = self.defaults.attributes(node, childclass)
            check_attributes(node, JOINT_ATTRIBUTES | set(JOINT_APPROXIMATED), ignored=JOINT_IGNORED,
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
                self.report.approximate(node, "ignored (symphys joints have no damping, armature, friction loss "
                                              "or springs)", name)
        pos = numbers(node, "pos", attrib, (3,))
        anchor = frame.point(np.zeros(3) if pos is None else pos)
        limited = choice(node, "limited", ("auto", "true", "false"), "auto", attrib)
        span = numbers(node, "range", attrib, (2,))
        if limited == "auto":
            limited = "true" if (span is not None and self.compiler.autolimits) else "false"
        lower = upper = None
        if limited == "true":
            if span is None:
                raise node.error("limited='true' needs a range", "range")
            if kind == "ball":
                raise node.error("ball joint limits (cones) are not supported by symphys", "range")
            ref = numbers(node, "ref", attrib, (1,))
            ref = 0.0 if ref is None else float(ref[0])
            lower, upper = (self.compiler.angle(float(x) - ref) for x in span)
            if not lower < upper:
                raise node.error(f"lower must be below upper, got {span.tolist()}", "range")
        name = node.attrib.get("name")
        with self.report.at(node):
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
