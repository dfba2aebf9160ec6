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

from ..backend import pt
from . import gather as gather_module
from .batching import batch_size
from .effective_mass import effective_masses
from .forces import FreeMotion
from .rows import Rows, project
from .solver_gauss_seidel import colored_sweeps
from .solver_jacobi import jacobi_sweeps
from .solver_newton import newton_solve
from .sweeps import PackedIterate, apply_impulse


def solve(model, rows: Rows, free: FreeMotion, warm_impulse, gathers):
    """Solve the rows; return (velocity (B, N, 6), impulse (B, R)).

    free: the bodies' masses and unconstrained [linear, angular] velocities
    v* (B, N, 6).  warm_impulse: (B, R) previous step's impulses (used if
    warm_start).  gathers: the rows' per-side terms (effective_mass.row_terms).
    """
    if model.solver_method == "newton":
        return newton_solve(model, rows, free, warm_impulse, gathers)
    velocity = free.velocity
    dtype, n_rows = model.dtype, rows.n_rows
    compliance, inverse_denominator = effective_masses(model, rows, gathers)
    row_data = pack_row_data(rows, compliance, inverse_denominator, gathers)
    n_batch = batch_size(velocity)
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
