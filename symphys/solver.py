"""Projected iterative solver of the velocity-level constraint problem.

Finds row impulses lambda within their bounds such that each row's
constraint velocity J v meets its target (a mixed LCP), by projected
Jacobi or graph-colored projected Gauss-Seidel with a fixed number of
sweeps.  The rows form one vectorized block; the sweeps run in an inner
``scan`` so the graph does not grow with the iteration count.

Row update (accumulated impulses, soft rows as in Catto 2011):

    delta = -(J v - target + c * lambda) / (k + c)
    lambda' = project(lambda + relaxation * delta, lower, upper)
    v += M^-1 J^T (lambda' - lambda)

with k = J M^-1 J^T and the row's compliance c = impulse_scale * k /
mass_scale, which is Box2D's soft step -m_eff (mass_scale (J v - target))
- impulse_scale lambda written so that Jacobi's mass splitting (k larger)
keeps the same fixed point, i.e. the same contact stiffness.
"""

from __future__ import annotations

import numpy as np

from . import math3d
from .backend import pt, scan
from .constraints.rows import Rows


def project(value, lower, upper):
    """Clip value to [lower, upper], sending the gradient to one side only.

    ``clip``/``maximum`` split the gradient between equal arguments; a row
    whose bounds are both 0 (an inactive friction row) ties constantly and
    would get silently wrong gradients.  Empty intervals give ``lower``.
    """
    inside = pt.switch(pt.lt(value, lower), lower, pt.switch(pt.gt(value, upper), upper, value))
    return pt.switch(pt.gt(upper, lower), inside, lower)


def color_rows(body_a: np.ndarray, body_b: np.ndarray) -> np.ndarray:
    """Greedy coloring: rows of one color share no body (the world is not a body)."""
    colors = np.zeros(len(body_a), dtype=np.int64)
    used: dict[int, set] = {}
    for r, (a, b) in enumerate(zip(body_a, body_b)):
        taken = used.get(a, set()) | (used.get(b, set()) if b >= 0 else set())
        c = 0
        while c in taken:
            c += 1
        colors[r] = c
        used.setdefault(a, set()).add(c)
        if b >= 0:
            used.setdefault(b, set()).add(c)
    return colors


def _one_hot(index: np.ndarray, size: int, dtype) -> np.ndarray:
    out = np.zeros((len(index), size), dtype=dtype)
    valid = index >= 0
    out[np.nonzero(valid)[0], index[valid]] = 1.0
    return out


def solve(model, rows: Rows, velocity, inv_mass, inv_inertia, warm_impulse):
    """Solve the rows; return (velocity (B, N, 6), impulse (B, R)).

    velocity: (B, N, 6) unconstrained [linear, angular] velocities.
    inv_mass: (P, N) 1/kg; inv_inertia: (B, N, 3, 3) world-frame, 1/(kg m^2).
    warm_impulse: (B, R) previous step's impulses (used if warm_start).
    """
    opts = model.solver
    dtype = model.dtype
    n = model.n_bodies
    sides = [(rows.body_a, rows.jacobian_a)]
    if rows.jacobian_b is not None:
        sides.append((rows.body_b, rows.jacobian_b))

    gathers, k_true, k_split = [], 0.0, 0.0
    for body, jac in sides:
        safe = np.maximum(body, 0)
        one_hot = pt.constant(_one_hot(body, n, dtype))
        minv_jt = pt.concatenate(
            [jac[..., :3] * inv_mass[:, safe][..., None],
             math3d.matvec(inv_inertia[:, safe], jac[..., 3:])], axis=-1)  # (B, R, 6)
        k = pt.sum(jac * minv_jt, axis=-1)
        k_true = k_true + k
        if opts.method == "jacobi":
            # Mass splitting (Tonge et al. 2012): a body in contact at n points
            # lends each row 1/n of its mass, so simultaneous updates cannot overshoot.
            k = k * pt.maximum(rows.contact_count[:, safe], 1.0)
        k_split = k_split + k
        gathers.append((one_hot, jac, minv_jt))
    compliance = rows.impulse_scale * k_true / rows.mass_scale
    inverse_denominator = 1.0 / (k_split + compliance + 1e-12)

    def row_velocity(vel):
        total = 0.0
        for one_hot, jac, _ in gathers:
            per_row = pt.tensordot(vel, one_hot, axes=[[1], [1]]).dimshuffle(0, 2, 1)
            total = total + pt.sum(jac * per_row, axis=-1)
        return total

    def apply_impulse(vel, impulse):
        for one_hot, _, minv_jt in gathers:
            change = pt.tensordot(minv_jt * impulse[..., None], one_hot, axes=[[1], [0]])
            vel = vel + change.dimshuffle(0, 2, 1)
        return vel

    def bounds(impulse):
        coupling = rows.friction * impulse[:, rows.normal_row]
        return rows.lower - coupling, rows.upper + coupling

    def update(impulse, vel):
        delta = -(row_velocity(vel) - rows.target + compliance * impulse) * inverse_denominator
        lower, upper = bounds(impulse)
        return project(impulse + opts.relaxation * delta, lower, upper)

    if opts.warm_start:
        lower, upper = bounds(warm_impulse)
        impulse0 = project(warm_impulse, lower, upper)
        velocity = apply_impulse(velocity, impulse0)
    else:
        impulse0 = pt.zeros_like(rows.target)

    if opts.method == "jacobi":
        def sweep(impulse, vel):
            new = update(impulse, vel)
            return new, apply_impulse(vel, new - impulse)

        impulses, velocities = scan(sweep, outputs_info=[impulse0, velocity],
                                    n_steps=opts.iterations, name="solver_sweeps")
    else:
        colors = color_rows(rows.body_a, rows.body_b)
        masks = (colors[None, :] == np.arange(colors.max() + 1)[:, None]).astype(dtype)
        schedule = pt.constant(np.tile(masks, (opts.iterations, 1)))

        def color_step(mask, impulse, vel):
            new = pt.switch(pt.gt(mask, 0.0), update(impulse, vel), impulse)
            return new, apply_impulse(vel, new - impulse)

        impulses, velocities = scan(color_step, sequences=[schedule],
                                    outputs_info=[impulse0, velocity], name="solver_colors")
    return velocities[-1], impulses[-1]
