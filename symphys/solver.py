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

from . import gather as gather_module
from . import math3d
from .backend import pt, scan, scan_name
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
        taken = (used.get(a, set()) if a >= 0 else set()) | (used.get(b, set()) if b >= 0 else set())
        c = 0
        while c in taken:
            c += 1
        colors[r] = c
        if a >= 0:
            used.setdefault(a, set()).add(c)
        if b >= 0:
            used.setdefault(b, set()).add(c)
    return colors


def solve(model, rows: Rows, velocity, inv_mass, inv_inertia, warm_impulse):
    """Solve the rows; return (velocity (B, N, 6), impulse (B, R)).

    velocity: (B, N, 6) unconstrained [linear, angular] velocities.
    inv_mass: (P, N) 1/kg; inv_inertia: (B, N, 3, 3) world-frame, 1/(kg m^2).
    warm_impulse: (B, R) previous step's impulses (used if warm_start).
    """
    opts = model.solver
    method = model.solver_method
    dtype = model.dtype
    n = model.n_bodies
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
        if method == "jacobi":
            # Mass splitting (Tonge et al. 2012): a body in contact at n points
            # lends each row 1/n of its mass, so simultaneous updates cannot overshoot.
            k = k * pt.maximum(gather_module.gather(rows.contact_count, body, n, dtype), 1.0)
        k_split = k_split + k
        gathers.append((one_hot, jac, minv_jt))
    compliance = rows.impulse_scale * k_true / rows.mass_scale
    inverse_denominator = 1.0 / (k_split + compliance + 1e-12)

    # Everything the sweeps read is packed into one (B, R, K) array and the
    # iterate (impulses, velocities) into one (B, R + 6 N) array: Scan's
    # gradient builds one copy of the backward graph per differentiable
    # inner input, so few inputs keep the gradient graph (and its compile
    # time) small.
    n_rows = rows.n_rows
    pieces = [rows.target[..., None], compliance[..., None], inverse_denominator[..., None],
              rows.lower[..., None], rows.upper[..., None],
              (rows.friction * pt.ones_like(rows.target))[..., None]]
    for _, jac, minv_jt in gathers:
        pieces += [jac, minv_jt]
    row_data = pt.concatenate(pieces, axis=-1)
    n_batch = velocity.shape[0] if velocity.type.shape[0] is None else velocity.type.shape[0]

    one_hots = [one_hot for one_hot, _, _ in gathers]

    def unpack(packed_state, data):
        impulse = packed_state[:, :n_rows]
        vel = packed_state[:, n_rows:].reshape((n_batch, n, 6))
        return (impulse, vel, *_row_fields(data, one_hots))

    def pack(impulse, vel):
        return pt.concatenate([impulse, vel.reshape((n_batch, 6 * n))], axis=1)

    def coupling(impulse, friction):
        return friction * gather_module.gather_runs(impulse, rows.normal_row, n_rows, dtype)

    if opts.warm_start:
        friction_bound = coupling(warm_impulse, rows.friction)
        impulse0 = project(warm_impulse, rows.lower - friction_bound, rows.upper + friction_bound)
        velocity = _apply_impulse(velocity, impulse0, gathers)
    else:
        impulse0 = pt.zeros_like(rows.target)

    if method == "jacobi":
        def sweep(packed_state, data):
            impulse, vel, f, sides_data = unpack(packed_state, data)
            new = _row_update(impulse, _row_velocity(vel, sides_data), f, coupling(impulse, f["friction"]),
                              opts.relaxation)
            return pack(new, _apply_impulse(vel, new - impulse, sides_data))

        (history,) = scan(sweep, outputs_info=[pack(impulse0, velocity)],
                          non_sequences=[row_data], n_steps=opts.iterations,
                          name=scan_name("solver_sweeps", model.dtype))
        final = history[-1]
    else:
        final = _colored_sweeps(model, rows, row_data, len(gathers), impulse0, velocity, n_batch)
    return final[:, n_rows:].reshape((n_batch, n, 6)), final[:, :n_rows]


def _row_fields(data, one_hots):
    """Per-row fields and [(one-hot, Jacobian, M^-1 J^T)] per side from packed (..., R, K) row data."""
    fields = dict(target=data[..., 0], compliance=data[..., 1], inv_den=data[..., 2],
                  lower=data[..., 3], upper=data[..., 4], friction=data[..., 5])
    sides = [(one_hot, data[..., 6 + 12 * i:12 + 12 * i], data[..., 12 + 12 * i:18 + 12 * i])
             for i, one_hot in enumerate(one_hots)]
    return fields, sides


def _row_velocity(vel, sides):
    """Constraint velocity J v (B, R) of each row from body velocities (B, N, 6)."""
    total = 0.0
    for one_hot, jac, _ in sides:
        per_row = pt.tensordot(vel, one_hot, axes=[[1], [1]]).dimshuffle(0, 2, 1)
        total = total + pt.sum(jac * per_row, axis=-1)
    return total


def _apply_impulse(vel, impulse, sides):
    """Body velocities (B, N, 6) after row impulses (B, R): v += M^-1 J^T impulse."""
    for one_hot, _, minv_jt in sides:
        change = pt.tensordot(minv_jt * impulse[..., None], one_hot, axes=[[1], [0]])
        vel = vel + change.dimshuffle(0, 2, 1)
    return vel


def _row_update(impulse, row_velocity, fields, friction_bound, relaxation):
    """One projected (soft) row update from the rows' constraint velocities J v;
    friction_bound = mu * the normal row's impulse."""
    delta = -(row_velocity - fields["target"] + fields["compliance"] * impulse) * fields["inv_den"]
    return project(impulse + relaxation * delta, fields["lower"] - friction_bound, fields["upper"] + friction_bound)


def _colored_sweeps(model, rows, row_data, n_sides, impulse0, velocity, n_batch):
    """Projected Gauss-Seidel over groups of rows that share no body.

    Rows are laid out by color in a padded (colors x slots) block so that
    each step of the inner scan reads and updates only one color's rows:
    a chain of hinges has ~14 colors of 2 rows each, and updating all rows
    under a mask would do 14x the work.  Padding slots have zero Jacobian
    and zero bounds, so their impulse stays 0.  Returns the final packed
    (B, R + 6 N) [impulse, velocity] array.
    """
    opts, dtype, n, n_rows = model.solver, model.dtype, model.n_bodies, rows.n_rows
    colors = color_rows(rows.body_a, rows.body_b)
    n_colors = int(colors.max()) + 1
    n_slots = int(np.bincount(colors).max())
    slot = np.zeros(n_rows, dtype=np.int64)
    for c in range(n_colors):
        members = np.nonzero(colors == c)[0]
        slot[members] = c * n_slots + np.arange(len(members))
    padded = n_colors * n_slots
    to_slots = gather_module.one_hot(slot, padded, dtype)  # (R, C*P)
    row_of_slot = np.full(padded, -1)
    row_of_slot[slot] = np.arange(n_rows)

    # Constant per-color topology as scan sequences: each slot's body on each
    # side (-1, the world and padding, mapped to an extra body n whose
    # velocity stays 0), where each slot's normal row sits in the flat
    # (C * P) impulse block, and the color's own index.  A color step reads
    # and writes only its own (B, P) impulses and its rows' bodies by
    # indexing: products with one-hot (P, C * P) and (P, N) matrices cost
    # B * P * (R + N) per step and made batch 128 ~75x slower than batch 1.
    # Within a color no body appears twice, so the results are the same to the bit.
    normal_slot = np.where(row_of_slot >= 0, slot[rows.normal_row[np.maximum(row_of_slot, 0)]], 0)
    body_sides = [rows.body_a, rows.body_b][:n_sides]
    side_body = np.stack([np.where(row_of_slot >= 0, body[np.maximum(row_of_slot, 0)], -1) for body in body_sides],
                         axis=-1)
    side_body = np.where(side_body < 0, n, side_body).reshape(n_colors, n_slots, n_sides)
    side_body = np.tile(side_body, (opts.iterations, 1, 1))
    normal_index = np.tile(normal_slot.reshape(n_colors, n_slots), (opts.iterations, 1))
    color_index = np.tile(np.arange(n_colors), opts.iterations)

    # (B, R, K) -> (iterations * C, B, P, K), one slice per inner step.
    data = pt.tensordot(row_data, pt.constant(to_slots), axes=[[1], [0]]).dimshuffle(0, 2, 1)
    data = data.reshape((n_batch, n_colors, n_slots, row_data.shape[-1])).dimshuffle(1, 0, 2, 3)
    data = pt.tile(data, (opts.iterations, 1, 1, 1))
    world = pt.zeros((n_batch, 1, 6), dtype=dtype)

    def color_step(data, bodies, normal_slots, color, packed_state):
        impulse = packed_state[:, :padded].reshape((n_batch, n_colors, n_slots))
        vel = pt.concatenate([packed_state[:, padded:].reshape((n_batch, n, 6)), world], axis=1)  # (B, N+1, 6)
        fields, sides = _row_fields(data, [None] * n_sides)
        current = impulse[:, color]  # (B, P)
        normal_impulse = packed_state[:, normal_slots]  # (B, P): each slot's normal row, latest value
        row_velocity = sum(pt.sum(jac * vel[:, bodies[:, i]], axis=-1) for i, (_, jac, _) in enumerate(sides))
        new = _row_update(current, row_velocity, fields, fields["friction"] * normal_impulse, opts.relaxation)
        change = new - current
        for i, (_, _, minv_jt) in enumerate(sides):
            vel = pt.inc_subtensor(vel[:, bodies[:, i]], minv_jt * change[..., None])
        impulse = pt.inc_subtensor(impulse[:, color], change)
        return pt.concatenate([impulse.reshape((n_batch, padded)), vel[:, :n].reshape((n_batch, 6 * n))], axis=1)

    start = pt.concatenate([pt.dot(impulse0, pt.constant(to_slots)), velocity.reshape((n_batch, 6 * n))], axis=1)
    (history,) = scan(color_step, sequences=[data, pt.constant(side_body), pt.constant(normal_index),
                                             pt.constant(color_index)],
                      outputs_info=[start], name=scan_name("solver_colors", model.dtype))
    final = history[-1]
    return pt.concatenate([pt.dot(final[:, :padded], pt.constant(to_slots.T)), final[:, padded:]], axis=1)
