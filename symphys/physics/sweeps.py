"""What the Jacobi and Gauss-Seidel sweeps share: packed row data and the projected row update.

Row update (accumulated impulses, soft rows as in Catto 2011):

    delta = -(J v - target + c * lambda) / (k + c)
    lambda' = project(lambda + relaxation * delta, lower, upper)
    v += M^-1 J^T (lambda' - lambda)
"""

from __future__ import annotations

from ..backend import pt
from .rows import project


class PackedIterate:
    """The sweeps' iterate (impulses (B, R), velocities (B, N, 6)) packed in one (B, R + 6 N) array.

    One scan input instead of two keeps the scan's gradient graph small.
    """

    def __init__(self, n_rows: int, n_bodies: int, n_batch, one_hots):
        self.n_rows, self.n_bodies, self.n_batch, self.one_hots = n_rows, n_bodies, n_batch, one_hots

    def pack(self, impulse, velocity):
        return pt.concatenate([impulse, velocity.reshape((self.n_batch, 6 * self.n_bodies))], axis=1)

    def split(self, packed):
        """(impulse (B, R), velocity (B, N, 6)) of a packed iterate."""
        return packed[:, :self.n_rows], packed[:, self.n_rows:].reshape((self.n_batch, self.n_bodies, 6))

    def unpack(self, packed, row_data):
        """(impulse, velocity, row fields, sides) of a packed iterate and packed row data."""
        impulse, velocity = self.split(packed)
        return (impulse, velocity, *row_fields(row_data, self.one_hots))


def row_fields(data, one_hots):
    """Per-row fields and [(one-hot, Jacobian, M^-1 J^T)] per side from packed (..., R, K) row data."""
    fields = dict(target=data[..., 0], compliance=data[..., 1], inv_den=data[..., 2],
                  lower=data[..., 3], upper=data[..., 4], friction=data[..., 5])
    sides = [(one_hot, data[..., 6 + 12 * i:12 + 12 * i], data[..., 12 + 12 * i:18 + 12 * i])
             for i, one_hot in enumerate(one_hots)]
    return fields, sides


def row_velocity(vel, sides):
    """Constraint velocity J v (B, R) of each row from body velocities (B, N, 6)."""
    total = 0.0
    for one_hot, jac, _ in sides:
        per_row = pt.tensordot(vel, one_hot, axes=[[1], [1]]).dimshuffle(0, 2, 1)
        total = total + pt.sum(jac * per_row, axis=-1)
    return total


def apply_impulse(vel, impulse, sides):
    """Body velocities (B, N, 6) after row impulses (B, R): v += M^-1 J^T impulse."""
    for one_hot, _, minv_jt in sides:
        change = pt.tensordot(minv_jt * impulse[..., None], one_hot, axes=[[1], [0]])
        vel = vel + change.dimshuffle(0, 2, 1)
    return vel


def row_update(impulse, constraint_velocity, fields, friction_bound, relaxation):
    """One projected (soft) row update from the rows' constraint velocities J v (B, R).

    friction_bound: mu * the normal row's impulse (N s), widening the bounds.
    """
    return project(unprojected_update(impulse, constraint_velocity, fields, relaxation),
                   *row_bounds(fields, friction_bound))


def unprojected_update(impulse, constraint_velocity, fields, relaxation):
    """The row update before its projection: impulse + relaxation * delta (N s or N m s)."""
    delta = -(constraint_velocity - fields["target"] + fields["compliance"] * impulse) * fields["inv_den"]
    return impulse + relaxation * delta


def row_bounds(fields, friction_bound):
    """(lower, upper) bounds of the rows' impulses, widened by friction_bound (mu * normal impulse)."""
    return fields["lower"] - friction_bound, fields["upper"] + friction_bound
