"""The per-step quantities every constraint builder reads."""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import math3d
from ..backend import pt
from ..model import State


@dataclasses.dataclass(frozen=True)
class Kinematics:
    """Bodies' poses and velocities at the start of a step (batch-first, world frame)."""

    position: Any  # (B, N, 3) m
    orientation: Any  # (B, N, 4) unit quaternion (w, x, y, z)
    rotation: Any  # (B, N, 3, 3) body -> world
    velocity0: Any  # (B, N, 3) m/s, start-of-step velocity
    angular_velocity0: Any  # (B, N, 3) rad/s

    def motion0(self):
        """(B, N, 6) [linear m/s, angular rad/s] start-of-step velocities, laid out as FreeMotion.velocity."""
        return pt.concatenate([self.velocity0, self.angular_velocity0], axis=-1)


def kinematics(state: State) -> Kinematics:
    """Kinematics of a batch-first State."""
    return Kinematics(position=state.position, orientation=state.orientation,
                      rotation=math3d.quat_to_matrix(state.orientation),
                      velocity0=state.velocity, angular_velocity0=state.angular_velocity)
