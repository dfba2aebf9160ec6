"""symphys's own settings in an MJCF file, which MuJoCo ignores:
``<custom><numeric name="symphys:..." data="..."/></custom>``.

- ``symphys:max_speed`` (rad/s): the speed clip of every position servo,
  ``symphys:max_speed:<actuator name>`` of one;
- ``symphys:<field of SolverOptions>``, e.g. ``symphys:joint_frequency``.
"""

from __future__ import annotations

import math

import numpy as np

from .xml import Node, numbers

DEFAULT_MAX_SPEED = math.pi  # rad/s, World.add_motor's default

# SolverOptions fields that a ``symphys:<field>`` numeric may set, and their type.
SOLVER_NUMERICS = {"iterations": int, "relaxation": float, "contact_frequency": float,
                   "contact_damping_ratio": float, "max_push_velocity": float, "restitution_threshold": float,
                   "joint_frequency": float, "joint_damping_ratio": float}


class Numerics:
    """The ``symphys:`` numerics of a file: name -> (element, data)."""

    def __init__(self):
        self.custom: dict[str, tuple[Node, np.ndarray]] = {}

    def read(self, node: Node):
        """Read the ``symphys:`` numerics of a ``<custom>`` element."""
        for numeric in node.find("numeric"):
            name = numeric.attrib.get("name", "")
            if name.startswith("symphys:"):
                data = numbers(numeric, "data")
                if data is None or len(data) != 1:
                    raise numeric.error("symphys numerics hold one number", "data")
                self.custom[name] = (numeric, data)

    def solver_options(self) -> dict:
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

    def max_speed(self, actuator: str | None) -> float:
        """Speed clip (rad/s) of a position servo named ``actuator``."""
        for key in ((f"symphys:max_speed:{actuator}",) if actuator else ()) + ("symphys:max_speed",):
            if key in self.custom:
                return float(self.custom[key][1][0])
        return DEFAULT_MAX_SPEED

    def check_names(self, servos: set):
        """Raise for a numeric that names neither a setting nor one of the ``servos``
        (names of position actuators)."""
        for key, (numeric, _) in self.custom.items():
            if (key != "symphys:max_speed" and key.removeprefix("symphys:max_speed:") not in servos
                    and key.removeprefix("symphys:") not in SOLVER_NUMERICS):
                raise numeric.error(f"unknown symphys numeric {key!r}: expected symphys:max_speed, "
                                    "symphys:max_speed:<name of a position actuator> or symphys:<solver "
                                    f"setting> ({', '.join(SOLVER_NUMERICS)})", "name")
