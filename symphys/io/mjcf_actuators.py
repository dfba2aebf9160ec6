"""MJCF ``<actuator>``s as symphys motors: ``<position kp kv forcerange>`` -> a
position servo of gain kp / kv (1/s), ``<velocity forcerange>`` -> a velocity
motor; both on named hinges, with a symmetric torque limit (N m)."""

from __future__ import annotations

import numpy as np

from ..world import World
from .mjcf_attributes import Defaults, check_attributes
from .mjcf_numerics import Numerics
from .xml import Node, Reporter, numbers

ACTUATOR_ATTRIBUTES = {"joint", "kp", "kv", "forcerange", "forcelimited", "ctrlrange", "ctrllimited", "gear"}
ACTUATOR_IGNORED = {"inheritrange"}


class ActuatorReader:
    """Adds actuators as motors on the hinges of ``joints`` (name -> (element,
    Joint handle, ref)); ``servos`` collects the names of position actuators."""

    def __init__(self, report: Reporter, defaults: Defaults, joints: dict, numerics: Numerics):
        self.report = report
        self.defaults = defaults
        self.joints = joints
        self.numerics = numerics
        self.servos: set[str] = set()

    def read_actuator(self, node: Node, world: World):
        if node.tag == "motor":
            raise node.error("torque motors cannot be expressed: symphys motors are velocity-level rows; use "
                             "<position kp kv> (servo) or <velocity> (velocity motor)")
        if node.tag not in ("position", "velocity"):
            raise node.error(f"<{node.tag}> actuators are not supported by symphys (<position kp kv> servos and "
                             "<velocity> motors are)")
        attrib = self.defaults.attributes(node, None)
        check_attributes(node, ACTUATOR_ATTRIBUTES, ignored=ACTUATOR_IGNORED, attrib=attrib)
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
            self.report.approximate(node, f"asymmetric; symphys uses +-{high}", "forcerange")
        name = node.attrib.get("name")
        _, joint, ref = self.joints[attrib["joint"]]
        if node.tag == "position" and ref != 0:
            self.report.approximate(node, f"the joint's ref ({ref}) is not subtracted: symphys servo targets "
                                          "are angles from the model's pose", "joint")
        options = dict(max_torque=high, servo=node.tag == "position")
        if node.tag == "position":
            kp = numbers(node, "kp", attrib, (1,))
            kv = numbers(node, "kv", attrib, (1,))
            kp = 1.0 if kp is None else float(kp[0])
            if kv is None or kv[0] <= 0:
                raise node.error("symphys servos are velocity-level: give kv > 0, the servo gain is kp / kv "
                                 "(1/s)", "kv")
            options.update(gain=kp / float(kv[0]), max_speed=self.numerics.max_speed(name))
            if name:
                self.servos.add(name)
        with self.report.at(node):
            world.add_motor(joint, name=name, **options)
