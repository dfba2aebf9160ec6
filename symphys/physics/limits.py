"""Hinge limit rows: one-sided angular rows keeping each limited hinge within [lower, upper].

While a hinge is inside its range the row is speculative: it may close the
remaining gap within the step exactly, but never cross it.  Once beyond a
limit, the row is soft (Catto 2011, the solver's joint frequency and damping
ratio) and pushes back.
"""

from __future__ import annotations

import numpy as np

from ..backend import pt
from .joints import FrameCache, angular_jacobians, joint_softness
from .rows import OPEN_BOUND, Rows, constant_count, row_block


def limit_rows(model, frames: FrameCache) -> list[Rows]:
    """One block with a lower and an upper row per limited hinge (empty if none)."""
    limited = np.nonzero(np.isfinite(model.joint_lower))[0]
    if not len(limited):
        return []
    dtype = model.dtype
    f = frames.of(limited)
    angle = f.angle(model, limited)
    bias_rate, soft_mass, soft_impulse = joint_softness(model)
    parts = []
    for sign, bound in ((1.0, model.joint_lower[limited]), (-1.0, model.joint_upper[limited])):
        gap = sign * (angle - pt.constant(bound.astype(dtype)))  # rad, >= 0 inside the range
        jac_a, jac_b = angular_jacobians(sign * f.axis_a)
        open_gap = pt.gt(gap, 0.0)
        # Speculative while inside (may close the gap exactly, never cross it),
        # soft push back once beyond.
        target = pt.switch(open_gap, -gap / model.dt, -bias_rate * gap)
        parts.append((jac_a, jac_b, target, pt.switch(open_gap, 1.0, soft_mass),
                      pt.switch(open_gap, 0.0, soft_impulse)))
    columns = [pt.concatenate([p[k] for p in parts], axis=1) for k in range(5)]
    return [row_block(np.tile(f.parent, 2), np.tile(f.child, 2), *columns, 0.0, OPEN_BOUND,
                      constant_count(model, f.parent, f.child))]
