"""Projected iterative solver of the velocity-level constraint problem.

Finds row impulses lambda within their bounds such that each row's
constraint velocity J v meets its target (a mixed LCP), by projected
Jacobi (solver_jacobi.py) or graph-colored projected Gauss-Seidel
(solver_gauss_seidel.py) with a fixed number of sweeps.  The rows form one vectorized block; the sweeps run in an inner
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

from .. import math3d
from ..backend import pt
from . import gather as gather_module
from .rows import Rows, project
from .solver_gauss_seidel import colored_sweeps
from .solver_jacobi import jacobi_sweeps
from .sweeps import PackedIterate, apply_impulse


def solve(model, rows: Rows, velocity, inv_mass, inv_inertia, warm_impulse):
    """Solve the rows; return (velocity (B, N, 6), impulse (B, R)).

    velocity: (B, N, 6) unconstrained [linear, angular] velocities.
    inv_mass: (P, N) 1/kg; inv_inertia: (B, N, 3, 3) world-frame, 1/(kg m^2).
    warm_impulse: (B, R) previous step's impulses (used if warm_start).
    """
    dtype, n_rows = model.dtype, rows.n_rows
    gathers, compliance, inverse_denominator = effective_masses(model, rows, inv_mass, inv_inertia)
    row_data = pack_row_data(rows, compliance, inverse_denominator, gathers)
    n_batch = velocity.shape[0] if velocity.type.shape[0] is None else velocity.type.shape[0]
    iterate = PackedIterate(n_rows, model.n_bodies, n_batch, [one_hot for one_hot, _, _ in gathers])

    def coupling(impulse, friction):
        return friction * gather_module.gather_runs(impulse, rows.normal_row, n_rows, dtype)

    if model.solver.warm_start:
        friction_bound = coupling(warm_impulse, rows.friction)
        impulse0 = project(warm_impulse, rows.lower - friction_bound, rows.upper + friction_bound)
        velocity = apply_impulse(velocity, impulse0, gathers)
    else:
        impulse0 = pt.zeros_like(rows.target)

    if model.solver_method == "jacobi":
        final = jacobi_sweeps(model, row_data, iterate, iterate.pack(impulse0, velocity), coupling)
    else:
        final = colored_sweeps(model, rows, row_data, len(gathers), impulse0, velocity, n_batch)
    impulse, velocity = iterate.split(final)
    return velocity, impulse


def effective_masses(model, rows: Rows, inv_mass, inv_inertia):
    """Per-side gathers [(one-hot (R, N), J (B, R, 6), M^-1 J^T (B, R, 6))], the rows'
    compliance c (B, R) and 1 / (k + c), k = J M^-1 J^T (mass-split under Jacobi)."""
    dtype, n = model.dtype, model.n_bodies
    sides = [(rows.body_a, rows.jacobian_a)]
    if rows.jacobian_b is not None:
        sides.append((rows.body_b, rows.jacobian_b))

    gathers, k_true, k_split = [], 0.0, 0.0
    for body, jac in sides:
        one_hot = pt.constant(gather_module.one_hot(body, n, dtype))
        minv_jt = pt.concatenate(
            [jac[..., :3] * gather_module.gather(inv_mass, body, n, dtype)[..., None],
             math3d.matvec(gather_module.gather(inv_inertia, body, n, dtype), jac[..., 3:])],
            axis=-1)  # (B, R, 6)
        k = pt.sum(jac * minv_jt, axis=-1)
        k_true = k_true + k
        if model.solver_method == "jacobi":
            # Mass splitting (Tonge et al. 2012): a body in contact at n points
            # lends each row 1/n of its mass, so simultaneous updates cannot overshoot.
            k = k * pt.maximum(gather_module.gather(rows.contact_count, body, n, dtype), 1.0)
        k_split = k_split + k
        gathers.append((one_hot, jac, minv_jt))
    compliance = rows.impulse_scale * k_true / rows.mass_scale
    inverse_denominator = 1.0 / (k_split + compliance + 1e-12)
    return gathers, compliance, inverse_denominator


def pack_row_data(rows: Rows, compliance, inverse_denominator, gathers):
    """Everything the sweeps read, packed into one (B, R, K) array.

    Scan's gradient builds one copy of the backward graph per
    differentiable inner input, so few inputs keep the gradient graph (and
    its compile time) small.  The layout is read back by sweeps.row_fields.
    """
    pieces = [rows.target[..., None], compliance[..., None], inverse_denominator[..., None],
              rows.lower[..., None], rows.upper[..., None],
              (rows.friction * pt.ones_like(rows.target))[..., None]]
    for _, jac, minv_jt in gathers:
        pieces += [jac, minv_jt]
    return pt.concatenate(pieces, axis=-1)
