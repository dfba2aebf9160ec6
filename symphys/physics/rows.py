"""The block of constraint rows handed to the solver.

All rows of a step form one vectorized block: per-batch arrays of shape
(B, R, ...) plus constant numpy index arrays.  Each row r constrains the
relative velocity J_r v of one or two bodies:

    lower_r - mu_r * lambda[normal_row_r] <= lambda_r <= upper_r + mu_r * lambda[normal_row_r]

where lambda_r is the row's accumulated impulse (N s or N m s).  The
``mu`` coupling expresses Coulomb friction: a friction row's bound is the
friction coefficient times its contact's normal impulse.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..backend import pt

OPEN_BOUND = 1e12  # finite stand-in for infinity: inf * 0 would give NaN in gradients


@dataclasses.dataclass(frozen=True)
class Rows:
    body_a: np.ndarray  # (R,) int, first body of each row
    body_b: np.ndarray  # (R,) int, second body, -1 = static world
    normal_row: np.ndarray  # (R,) int, row whose impulse bounds this one (itself if none)
    jacobian_a: Any  # (B, R, 6) [linear, angular] Jacobian on body_a
    jacobian_b: Any  # (B, R, 6) or None when every body_b is the world
    target: Any  # (B, R) desired constraint velocity (m/s or rad/s)
    mass_scale: Any  # (B, R) soft-constraint mass scale (1 = rigid)
    impulse_scale: Any  # (B, R) soft-constraint impulse scale (0 = rigid)
    lower: Any  # (B, R) fixed lower bound on the impulse
    upper: Any  # (B, R) fixed upper bound on the impulse
    friction: Any  # (B|1, R) coefficient coupling to normal_row (0 if none)
    contact_count: Any  # (B, n_bodies) active contact points per body (mass splitting)
    # (R, 2) bool, static: whether a row's lower / upper bound may be finite (False: always -/+ OPEN_BOUND).
    finite_bounds: np.ndarray | None = None
    # (B, R) part of the step before a bouncing contact's impact (contact_normal.impact_fraction), 0 for
    # every other row; None when the rows have no contacts.
    impact_fraction: Any = None

    def bounds_may_be_finite(self) -> np.ndarray:
        """(R, 2) bool: whether each row's lower / upper bound may be finite (all True if unknown)."""
        return np.ones((self.n_rows, 2), dtype=bool) if self.finite_bounds is None else self.finite_bounds

    @property
    def n_rows(self) -> int:
        return len(self.body_a)


def concatenate_rows(blocks: list[Rows]) -> Rows:
    """One block from several (e.g. contacts + joints), renumbering normal_row."""
    if len(blocks) == 1:
        return blocks[0]
    offsets = np.cumsum([0] + [blk.n_rows for blk in blocks[:-1]])
    cat = lambda name: pt.concatenate([getattr(blk, name) for blk in blocks], axis=1)  # noqa: E731
    jac_b = [blk.jacobian_b if blk.jacobian_b is not None else pt.zeros_like(blk.jacobian_a)
             for blk in blocks]
    fractions = [blk.impact_fraction if blk.impact_fraction is not None else pt.zeros_like(blk.target)
                 for blk in blocks]
    return Rows(
        body_a=np.concatenate([blk.body_a for blk in blocks]),
        body_b=np.concatenate([blk.body_b for blk in blocks]),
        normal_row=np.concatenate([blk.normal_row + o for blk, o in zip(blocks, offsets)]),
        jacobian_a=cat("jacobian_a"),
        jacobian_b=pt.concatenate(jac_b, axis=1),
        target=cat("target"),
        mass_scale=cat("mass_scale"),
        impulse_scale=cat("impulse_scale"),
        lower=cat("lower"),
        upper=cat("upper"),
        # Contact friction is (1, R) unless friction is batched, joint rows' is (B, R).
        friction=pt.concatenate([blk.friction * pt.ones_like(blk.target) for blk in blocks], axis=1),
        contact_count=sum(blk.contact_count for blk in blocks),
        finite_bounds=np.concatenate([blk.bounds_may_be_finite() for blk in blocks]),
        impact_fraction=(pt.concatenate(fractions, axis=1)
                         if any(blk.impact_fraction is not None for blk in blocks) else None),
    )


def soft_coefficients(frequency: float, damping_ratio: float, dt: float):
    """(bias_rate 1/s, mass_scale, impulse_scale) of a soft row (Catto 2011).

    frequency: natural frequency (Hz) of the spring the row acts as;
    damping_ratio: 1 is critical; dt: time step (s).
    """
    omega = 2.0 * math.pi * frequency
    a1 = 2.0 * damping_ratio + dt * omega
    a2 = dt * omega * a1
    a3 = 1.0 / (1.0 + a2)
    return omega / a1, a2 * a3, a3


def project(value, lower, upper):
    """Clip value to [lower, upper], sending the gradient to one side only.

    ``clip``/``maximum`` split the gradient between equal arguments; a row
    whose bounds are both 0 (an inactive friction row) ties constantly and
    would get silently wrong gradients.  Empty intervals give ``lower``.
    """
    inside = pt.switch(pt.lt(value, lower), lower, pt.switch(pt.gt(value, upper), upper, value))
    return pt.switch(pt.gt(upper, lower), inside, lower)


def constant_count(model, parent: np.ndarray, child: np.ndarray):
    """(1, n_bodies) how many of the joints (parent[i], child[i]) touch each body (mass splitting)."""
    count = np.zeros(model.n_bodies, dtype=model.dtype)
    for body in list(parent) + list(child):
        if body >= 0:
            count[body] += 1.0
    return pt.constant(count[None])


def row_block(parent, child, jacobian_a, jacobian_b, target, mass_scale, impulse_scale, lower, upper,
              count) -> Rows:
    """Rows between bodies ``parent`` and ``child`` (-1 = world) without friction coupling.

    mass_scale, impulse_scale, lower and upper broadcast against target (B, R).
    """
    n_rows = len(parent)
    zeros = pt.zeros_like(target)
    open_ = [isinstance(bound, (int, float)) and abs(bound) >= 0.5 * OPEN_BOUND for bound in (lower, upper)]
    return Rows(body_a=np.asarray(parent), body_b=np.asarray(child), normal_row=np.arange(n_rows),
                jacobian_a=jacobian_a, jacobian_b=jacobian_b, target=target,
                mass_scale=mass_scale * pt.ones_like(target),
                impulse_scale=impulse_scale * pt.ones_like(target),
                lower=lower + zeros, upper=upper + zeros, friction=zeros, contact_count=count,
                finite_bounds=np.tile(~np.array(open_), (n_rows, 1)))


def contact_block(body_a, body_b, jacobian_a, jacobian_b, target_normal, mass_scale_normal,
                  impulse_scale_normal, active, friction, count, impact_fraction) -> Rows:
    """Rows of C contacts: all normal rows (B, C), then the first and second friction rows.

    body_a, body_b: (C,) bodies (body_b -1 = world); jacobian_a/b: (B, 3C, 6) in that row order
    (jacobian_b None against the world); target_normal, mass_scale_normal, impulse_scale_normal:
    the normal rows' (B, C); active: (B, C) 1 where a contact may push; friction: (P, C) the
    coefficient bounding each friction row by its normal impulse; count: (B, n_bodies);
    impact_fraction: (B, C) part of the step before each contact's impact (0: none), for its three rows.
    """
    n_contacts = len(body_a)
    zeros, ones = pt.zeros_like(target_normal), pt.ones_like(target_normal)
    return Rows(
        body_a=np.tile(body_a, 3),
        body_b=np.tile(body_b, 3),
        normal_row=np.tile(np.arange(n_contacts), 3),
        jacobian_a=jacobian_a,
        jacobian_b=jacobian_b,
        target=pt.concatenate([target_normal, zeros, zeros], axis=1),
        mass_scale=pt.concatenate([mass_scale_normal, ones, ones], axis=1),
        impulse_scale=pt.concatenate([impulse_scale_normal, zeros, zeros], axis=1),
        lower=pt.concatenate([zeros, zeros, zeros], axis=1),
        upper=pt.concatenate([OPEN_BOUND * active, zeros, zeros], axis=1),
        friction=pt.concatenate([pt.zeros_like(friction), friction, friction], axis=1),
        contact_count=count,
        # A bounce's friction acts at its impact too (a ball leaves rolling from where it touched).
        impact_fraction=pt.concatenate([impact_fraction, impact_fraction, impact_fraction], axis=1),
    )
