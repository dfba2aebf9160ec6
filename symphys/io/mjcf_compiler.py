"""MJCF ``<compiler>`` settings and the poses they define: angle units, Euler
sequence, and an element's ``pos`` with one of ``quat``, ``axisangle``,
``euler``, ``xyaxes`` or ``zaxis``."""

from __future__ import annotations

import math

import numpy as np

from ..rotations import axis_angle_to_quat, matrix_to_quat, quat_multiply, z_to_quat
from .mjcf_attributes import check_attributes
from .xml import IDENTITY, Frame, Node, Reporter, choice, numbers

ORIENTATIONS = ("quat", "axisangle", "euler", "xyaxes", "zaxis")
COMPILER_IGNORED = {"meshdir", "texturedir", "assetdir", "discardvisual", "fusestatic", "strippath",
                    "balanceinertia", "convexhull", "usethread", "alignfree", "saveinertial", "inertiagrouprange",
                    "lengthrange"}
COMPILER_APPROXIMATED = ("boundmass", "boundinertia", "settotalmass")


class Compiler:
    """The ``<compiler>`` settings symphys honours, MuJoCo's defaults until read."""

    def __init__(self):
        self.degrees = True
        self.eulerseq = "xyz"
        self.autolimits = True
        self.inertia_from_geom = "auto"

    def read(self, node: Node, report: Reporter):
        check_attributes(node, {"angle", "eulerseq", "autolimits", "inertiafromgeom", "coordinate"},
                         ignored=COMPILER_IGNORED, approximated=set(COMPILER_APPROXIMATED))
        self.degrees = choice(node, "angle", ("degree", "radian"), "degree") == "degree"
        seq = node.attrib.get("eulerseq", "xyz")
        if len(seq) != 3 or any(c not in "xyzXYZ" for c in seq):
            raise node.error(f"expected 3 of the letters xyzXYZ, got {seq!r}", "eulerseq")
        self.eulerseq = seq
        self.autolimits = choice(node, "autolimits", ("true", "false"), "true") == "true"
        self.inertia_from_geom = choice(node, "inertiafromgeom", ("auto", "true", "false"), "auto")
        choice(node, "coordinate", ("local",), "local")
        for name in COMPILER_APPROXIMATED:
            if name in node.attrib:
                report.approximate(node, "ignored", name)

    def angle(self, value: float) -> float:
        """An angle of the file in rad."""
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
        """Unit quaternion of the orientation attribute ``kind`` (one of ORIENTATIONS)."""
        if kind == "quat":
            q = numbers(node, kind, attrib, (4,))
            if np.linalg.norm(q) < 1e-9:
                raise node.error("quaternion must be nonzero", kind)
            return q / np.linalg.norm(q)
        if kind == "axisangle":
            v = numbers(node, kind, attrib, (4,))
            if np.linalg.norm(v[:3]) < 1e-9:
                raise node.error("axis must be nonzero", kind)
            return axis_angle_to_quat(v[:3], self.angle(v[3]))
        if kind == "euler":
            angles = numbers(node, kind, attrib, (3,))
            q = IDENTITY.copy()
            for letter, value in zip(self.eulerseq, angles):
                r = axis_angle_to_quat(np.eye(3)["xyz".index(letter.lower())], self.angle(value))
                # lower case: about the moving axes (intrinsic); upper case: fixed axes.
                q = quat_multiply(q, r) if letter.islower() else quat_multiply(r, q)
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
        return matrix_to_quat(np.column_stack([x, y, np.cross(x, y)]))
