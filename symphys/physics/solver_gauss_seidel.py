"""Graph-colored projected Gauss-Seidel: rows of one color share no body and update together."""

from __future__ import annotations

import numpy as np

from ..backend import pt, scan, scan_name
from .sweeps import row_fields, row_update


def color_rows(body_a: np.ndarray, body_b: np.ndarray) -> np.ndarray:
    """Greedy coloring, balanced: rows of one color share no body (the world is not a body).

    Each row takes, of the colors its bodies leave free, the one with the fewest rows so far; a new
    color only if none is free.  Every color is padded to the largest one, and the padded rows are
    what each sweep moves: on the timing quadruped, taking the first free color gave 56 colors of up
    to 17 rows (952 slots for 236 rows), this 56 colors of up to 5 (280 slots), 1.4x faster at batch
    1 and 4.3x at batch 128 (benchmarks/RESULTS.md).
    """
    colors = np.zeros(len(body_a), dtype=np.int64)
    used: dict[int, set] = {}
    count: list[int] = []
    for r, (a, b) in enumerate(zip(body_a, body_b)):
        taken = (used.get(a, set()) if a >= 0 else set()) | (used.get(b, set()) if b >= 0 else set())
        free = [c for c in range(len(count)) if c not in taken]
        c = min(free, key=lambda c: (count[c], c)) if free else len(count)
        if c == len(count):
            count.append(0)
        count[c] += 1
        colors[r] = c
        if a >= 0:
            used.setdefault(a, set()).add(c)
        if b >= 0:
            used.setdefault(b, set()).add(c)
    return colors


def colored_sweeps(model, rows, row_data, n_sides, impulse0, velocity, n_batch):
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
    row_of_slot = np.full(padded, -1)
    row_of_slot[slot] = np.arange(n_rows)

    # Constant per-color topology as scan sequences: each slot's body on each
    # side (-1, the world and padding, mapped to an extra body n whose
    # velocity stays 0), where each slot's normal row sits in the flat
    # (C * P) impulse block, and the color's own index.  A color step reads
    # and writes only its own (P, B) impulses and its rows' bodies by
    # indexing: products with one-hot (P, C * P) and (P, N) matrices cost
    # B * P * (R + N) per step and made batch 128 ~75x slower than batch 1.
    # Within a color no body appears twice, so the results are the same to the bit.
    normal_slot = np.where(row_of_slot >= 0, slot[rows.normal_row[np.maximum(row_of_slot, 0)]], 0)
    body_sides = [rows.body_a, rows.body_b][:n_sides]
    side_body = np.stack([np.where(row_of_slot >= 0, body[np.maximum(row_of_slot, 0)], -1) for body in body_sides],
                         axis=-1)
    side_body = np.where(side_body < 0, n, side_body).reshape(n_colors, n_slots, n_sides)
    normal_index = normal_slot.reshape(n_colors, n_slots)
    color_index = np.arange(n_colors)

    # (B, R, K) -> (C, P, B, K) by a gather of whole rows: a padding slot reads an appended row of
    # zeros (zero Jacobian and bounds, so its impulse stays 0).  A contraction with a one-hot
    # (R, C * P) matrix took 100 us of the timing quadruped's 450 us step at batch 1
    # (benchmarks/RESULTS.md, "Gauss-Seidel: a gather, nested scans and two carries").
    slot_row = pt.constant(np.where(row_of_slot >= 0, row_of_slot, n_rows))

    def to_slots(x):  # (B, R, ...) -> (B, C * P, ...), padding slots zero
        return pt.concatenate([x, pt.zeros_like(x[:, :1])], axis=1)[:, slot_row]

    data = to_slots(row_data).reshape((n_batch, n_colors, n_slots, row_data.shape[-1])).dimshuffle(1, 2, 0, 3)

    def color_step(data, bodies, normal_slots, color, impulse, vel):
        fields, sides = row_fields(data, [None] * n_sides)
        current = impulse[color]  # (P, B)
        normal_impulse = impulse.reshape((padded, n_batch))[normal_slots]  # (P, B): latest values
        row_velocity = sum(pt.sum(jac * vel[bodies[:, i]], axis=-1) for i, (_, jac, _) in enumerate(sides))
        new = row_update(current, row_velocity, fields, fields["friction"] * normal_impulse, opts.relaxation)
        change = new - current
        for i, (_, _, minv_jt) in enumerate(sides):
            # The world's row (index n) takes only zeros: M^-1 J^T is 0 on its side and in padding slots.
            vel = pt.inc_subtensor(vel[bodies[:, i]], minv_jt * change[..., None])
        return pt.inc_subtensor(impulse[color], change), vel

    def sweep(impulse, vel, all_data):
        impulses, velocities = scan(color_step, sequences=[all_data, pt.constant(side_body), pt.constant(normal_index),
                                                           pt.constant(color_index)],
                                    outputs_info=[impulse, vel], name=scan_name("solver_colors", model.dtype))
        return impulses[-1], velocities[-1]

    # Impulses (C, P, B) and velocities (N + 1, B, 6), the world's last, as two carries: packed into
    # one (B, C * P + 6 N) array, each color step cost 3x as much (slices and a concatenation around
    # the scatters; 0.30 against 0.09 us in a JAX model of the step).  Slots and bodies lead, the
    # batch follows: each scatter-add then adds contiguous (B, 6) blocks.
    # Sweeps outside, colors inside: the row data is a sequence of the color scan, read once per
    # sweep, and one non-sequence of the sweep scan.  One scan over sweeps x colors needs it tiled
    # per sweep (25 us a step at batch 1); as a non-sequence indexed by color, its gradient is a
    # full-size sum at each of the 560 color steps (gradient 1.5x slower).
    start = (to_slots(impulse0).T.reshape((n_colors, n_slots, n_batch)),
             pt.concatenate([velocity.dimshuffle(1, 0, 2), pt.zeros((1, n_batch, 6), dtype=dtype)], axis=0))
    impulses, velocities = scan(sweep, outputs_info=list(start), non_sequences=[data], n_steps=opts.iterations,
                                name=scan_name("solver_sweeps", model.dtype))
    final_impulse = impulses[-1].reshape((padded, n_batch))[pt.constant(slot)].T
    final_velocity = velocities[-1][:n].dimshuffle(1, 0, 2).reshape((n_batch, 6 * n))
    return pt.concatenate([final_impulse, final_velocity], axis=1)

