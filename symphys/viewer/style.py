"""The look both renderers share: colours, the light, shadow strength and the ground's checker tile."""

from __future__ import annotations

import numpy as np

from .mesh import extent
from .trajectory import Trajectory

BACKGROUND = (236, 240, 245)  # RGB of the sky / empty image
GROUND_COLORS = ((206, 210, 214), (186, 191, 197))
FOLLOW_COLOR = (224, 123, 57)  # the body the camera follows (the torso)
SHAPE_COLORS = {"sphere": (80, 140, 110), "box": (150, 110, 160), "capsule": (70, 110, 160)}
LIGHT = np.array([0.35, -0.45, 0.82]) / np.linalg.norm([0.35, -0.45, 0.82])  # towards the light
SHADOW_ALPHA = 0.28


def body_colors(traj: Trajectory) -> list[tuple[int, int, int]]:
    """RGB per body: the followed body (torso) orange, the others by shape."""
    return [FOLLOW_COLOR if b == traj.follow and traj.n_bodies > 1 else SHAPE_COLORS[traj.shape[b]]
            for b in range(traj.n_bodies)]


def tile_size(traj: Trajectory) -> float:
    """Checker tile edge (m): a power of two times 0.25 m near the scene's radius."""
    return float(0.25 * 2.0 ** np.round(np.log2(extent(traj) / 0.25)))
