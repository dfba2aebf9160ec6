"""Mass properties of symphys's uniform solid shapes (sphere, box, capsule)."""

from __future__ import annotations

import math

import numpy as np

from .model import Shape


def unit_inertia(shape: Shape, size: np.ndarray) -> tuple[float, np.ndarray]:
    """Volume (m^3) and principal moments of inertia per kg (m^2, body axes) of a
    uniform solid; ``size`` is its Model ``body_size`` row (m): sphere (radius, 0, 0),
    box half extents, capsule (radius, half length of the cylinder along z, 0)."""
    if shape == Shape.SPHERE:
        r = size[0]
        return 4.0 / 3.0 * math.pi * r**3, np.full(3, 0.4 * r * r)
    if shape == Shape.BOX:
        hx, hy, hz = size
        volume = 8.0 * hx * hy * hz
        return volume, np.array([hy * hy + hz * hz, hx * hx + hz * hz, hx * hx + hy * hy]) / 3.0
    # Capsule along body z: cylinder of length 2h plus two hemispheres of radius r.
    r, h = size[0], size[1]
    length = 2.0 * h
    v_cyl = math.pi * r * r * length
    v_sph = 4.0 / 3.0 * math.pi * r**3
    volume = v_cyl + v_sph
    m_cyl, m_sph = v_cyl / volume, v_sph / volume  # per kg of the whole capsule
    axial = m_cyl * r * r / 2.0 + m_sph * 0.4 * r * r
    transverse = (m_cyl * (length * length / 12.0 + r * r / 4.0)
                  + m_sph * (0.4 * r * r + length * length / 4.0 + 3.0 * length * r / 8.0))
    return volume, np.array([transverse, transverse, axial])
