"""Each row's J M^-1 J^T: the inverse effective mass the solvers scale their rows by."""

from __future__ import annotations

from .. import math3d
from ..backend import pt
from . import gather as gather_module
from .rows import Rows


def row_sides(rows: Rows) -> list:
    """[(body index (R,), Jacobian (B, R, 6))] of the rows' first and, if any, second body."""
    sides = [(rows.body_a, rows.jacobian_a)]
    if rows.jacobian_b is not None:
        sides.append((rows.body_b, rows.jacobian_b))
    return sides


def row_terms(model, rows: Rows, inv_mass, inv_inertia) -> list:
    """[(one-hot (R, N), J (B, R, 6), M^-1 J^T (B, R, 6))] per side of the rows (``side_terms``):
    computed once per step for the solver and for moving the bodies (step.position_velocity)."""
    return [side_terms(model, body, jac, inv_mass, inv_inertia) for body, jac in row_sides(rows)]


def inverse_effective_masses(gathers) -> object:
    """Each row's own J M^-1 J^T (B, R) from its sides' terms (``row_terms``)."""
    return sum(pt.sum(jac * minv_jt, axis=-1) for _, jac, minv_jt in gathers)


def effective_masses(model, rows: Rows, gathers):
    """The rows' compliance c (B, R) and 1 / (k + c), k = J M^-1 J^T (mass-split under Jacobi), from
    their sides' terms (``row_terms``)."""
    dtype, n = model.dtype, model.n_bodies
    k_true, k_split = 0.0, 0.0
    for (body, _), (_, jac, minv_jt) in zip(row_sides(rows), gathers):
        k = pt.sum(jac * minv_jt, axis=-1)
        k_true = k_true + k
        if model.solver_method == "jacobi":
            # Mass splitting (Tonge et al. 2012): a body in contact at n points
            # lends each row 1/n of its mass, so simultaneous updates cannot overshoot.
            k = k * pt.maximum(gather_module.gather(rows.contact_count, body, n, dtype), 1.0)
        k_split = k_split + k
    compliance = rows.impulse_scale * k_true / rows.mass_scale
    inverse_denominator = 1.0 / (k_split + compliance + 1e-12)
    return compliance, inverse_denominator


def side_terms(model, body, jac, inv_mass, inv_inertia):
    """(one-hot (R, N), J (B, R, 6), M^-1 J^T (B, R, 6)) of one side of the rows."""
    dtype, n = model.dtype, model.n_bodies
    one_hot = pt.constant(gather_module.one_hot(body, n, dtype))
    minv_jt = pt.concatenate(
        [jac[..., :3] * gather_module.gather(inv_mass, body, n, dtype)[..., None],
         math3d.matvec(gather_module.gather(inv_inertia, body, n, dtype), jac[..., 3:])],
        axis=-1)  # (B, R, 6)
    return one_hot, jac, minv_jt
