"""Graph-colored projected Gauss-Seidel: rows of one color share no body and update together."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..backend import custom_gradient, custom_gradient_missing, float_context, pt, scan, scan_name
from .batching import batch_size
from .rows import project
from .sweeps import row_bounds, row_fields, row_update, unprojected_update


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
    n = model.n_bodies
    layout = ColorLayout.of_rows(rows, n, n_sides)
    n_colors, n_slots, padded = layout.n_colors, layout.n_slots, layout.n_colors * layout.n_slots

    # (B, R, K) -> (C, P, B, K) by a gather of whole rows: a padding slot reads an appended row of
    # zeros (zero Jacobian and bounds, so its impulse stays 0).  A contraction with a one-hot
    # (R, C * P) matrix took 100 us of the timing quadruped's 450 us step at batch 1
    # (benchmarks/RESULTS.md, "Gauss-Seidel: a gather, nested scans and two carries").
    slot_row = pt.constant(layout.slot_row)

    def to_slots(x):  # (B, R, ...) -> (B, C * P, ...), padding slots zero
        return pt.concatenate([x, pt.zeros_like(x[:, :1])], axis=1)[:, slot_row]

    data = to_slots(row_data).reshape((n_batch, n_colors, n_slots, row_data.shape[-1])).dimshuffle(1, 2, 0, 3)
    # Impulses (C, P, B) and velocities (N + 1, B, 6), the world's last, as two carries: packed into
    # one (B, C * P + 6 N) array, each color step cost 3x as much (slices and a concatenation around
    # the scatters; 0.30 against 0.09 us in a JAX model of the step).  Slots and bodies lead, the
    # batch follows: each scatter-add then adds contiguous (B, 6) blocks.
    start_impulse = to_slots(impulse0).T.reshape((n_colors, n_slots, n_batch))
    start_velocity = pt.concatenate([velocity.dimshuffle(1, 0, 2), pt.zeros((1, n_batch, 6), dtype=model.dtype)],
                                    axis=0)
    solver = ColoredSolver(layout, model.solver.iterations, model.solver.relaxation, model.dtype)
    if custom_gradient_missing() is None:
        impulse, vel, _ = custom_gradient(solver.forward, solver.pullback, [data, start_impulse, start_velocity],
                                          name=scan_name("gauss_seidel", model.dtype))
    else:  # the automatic gradient, of the sweeps without a tape
        impulse, vel = solver.sweeps(data, start_impulse, start_velocity, tape=False)
    final_impulse = impulse.reshape((padded, n_batch))[pt.constant(layout.slot)].T
    final_velocity = vel[:n].dimshuffle(1, 0, 2).reshape((n_batch, 6 * n))
    return pt.concatenate([final_impulse, final_velocity], axis=1)


@dataclasses.dataclass(frozen=True)
class ColorLayout:
    """Where each row sits in the padded (colors x slots) block, and each slot's bodies (numpy, static)."""

    n_colors: int
    n_slots: int
    slot: np.ndarray  # (R,) each row's slot in the flat (C * P) block
    slot_row: np.ndarray  # (C * P,) each slot's row; R (an appended row of zeros) for padding
    side_body: np.ndarray  # (C, P, S) each slot's body on each side; n_bodies (the world, padding)
    normal_index: np.ndarray  # (C, P) the flat slot of each slot's normal row (0 for padding)

    @classmethod
    def of_rows(cls, rows, n_bodies: int, n_sides: int) -> ColorLayout:
        n_rows = rows.n_rows
        colors = color_rows(rows.body_a, rows.body_b)
        n_colors = int(colors.max()) + 1
        n_slots = int(np.bincount(colors).max())
        slot = np.zeros(n_rows, dtype=np.int64)
        for c in range(n_colors):
            members = np.nonzero(colors == c)[0]
            slot[members] = c * n_slots + np.arange(len(members))
        row_of_slot = np.full(n_colors * n_slots, -1)
        row_of_slot[slot] = np.arange(n_rows)
        # Constant per-color topology as scan sequences: each slot's body on each side (-1, the world
        # and padding, mapped to an extra body n whose velocity stays 0), where each slot's normal row
        # sits in the flat (C * P) impulse block, and the color's own index.  A color step reads and
        # writes only its own (P, B) impulses and its rows' bodies by indexing: products with one-hot
        # (P, C * P) and (P, N) matrices cost B * P * (R + N) per step and made batch 128 ~75x slower
        # than batch 1.  Within a color no body appears twice, so the results are the same to the bit.
        valid = row_of_slot >= 0
        row = np.maximum(row_of_slot, 0)
        normal_slot = np.where(valid, slot[rows.normal_row[row]], 0)
        body_sides = [rows.body_a, rows.body_b][:n_sides]
        side_body = np.stack([np.where(valid, body[row], -1) for body in body_sides], axis=-1)
        side_body = np.where(side_body < 0, n_bodies, side_body).reshape(n_colors, n_slots, n_sides)
        return cls(n_colors, n_slots, slot, np.where(valid, row_of_slot, n_rows), side_body,
                   normal_slot.reshape(n_colors, n_slots))


class ColoredSolver:
    """The sweeps over colors, and their gradient written out by hand.

    forward(data (C, P, B, K), impulse (C, P, B), velocity (N + 1, B, 6)) -> final impulse, final
    velocity and a tape (sweeps, C, P, B, T) of what each color step read: its impulses, constraint
    velocities, normal impulses and its bodies' velocities.  pullback runs the color steps backward
    over the tape (T = 3 + 6 per side floats per row, kept for one step's sweeps only).

    Differentiated automatically, the sweep scan's backward pass recomputed its colors: the forward
    color loop ran three times in a step's gradient (the forward pass, the time scan's backward pass,
    the sweep scan's), and a backward color step was 44 XLA kernels.  With this pullback it runs twice
    (forward, then again with the tape) and a backward color step is 35 kernels: the timing quadruped's
    forward and gradient take 0.51 s per 10 s instead of 0.72 (batch 1, float32, JAX, with the scan
    memory rewrites of ``backend.make_mode``; benchmarks/RESULTS.md, "Gauss-Seidel's own pullback").
    The pullback equals the automatic gradient to round-off (tests/test_solver_gauss_seidel.py).
    """

    def __init__(self, layout: ColorLayout, sweeps: int, relaxation: float, dtype: str):
        self.layout, self.n_sweeps, self.relaxation, self.dtype = layout, sweeps, relaxation, dtype
        self.n_sides = layout.side_body.shape[-1]
        self.topology = [pt.constant(layout.side_body), pt.constant(layout.normal_index),
                         pt.constant(np.arange(layout.n_colors))]

    def _fields(self, data):
        return row_fields(data, [None] * self.n_sides)

    def forward(self, data, impulse, velocity):
        """(final impulse, final velocity, tape) of the sweeps: the op whose gradient is ``pullback``."""
        return self.sweeps(data, impulse, velocity, tape=True)

    def sweeps(self, data, impulse, velocity, tape: bool):
        """Final impulse and velocity, and the tape if ``tape``."""
        with float_context(self.dtype):
            return self._forward(data, impulse, velocity, tape)

    def pullback(self, inputs, outputs, output_gradients):
        """Gradients of (data, impulse, velocity) from those of the final impulse and velocity (the tape's
        gradient is ignored: it is not a result)."""
        # A gradient may be built outside the model's float context: literals must not upcast float32.
        with float_context(self.dtype):
            return self._pullback(inputs[0], outputs[2], output_gradients[0], output_gradients[1])

    def _forward(self, data, impulse, velocity, with_tape):
        layout, n_sides, relaxation = self.layout, self.n_sides, self.relaxation
        padded, n_batch = layout.n_colors * layout.n_slots, batch_size(velocity[0])

        def color_step(data, bodies, normal_slots, color, impulse, vel):
            fields, sides = self._fields(data)
            current = impulse[color]  # (P, B)
            normal_impulse = impulse.reshape((padded, n_batch))[normal_slots]  # (P, B): latest values
            body_velocity = [vel[bodies[:, i]] for i in range(n_sides)]  # (P, B, 6) per side
            row_velocity = sum(pt.sum(jac * v, axis=-1) for (_, jac, _), v in zip(sides, body_velocity))
            new = row_update(current, row_velocity, fields, fields["friction"] * normal_impulse, relaxation)
            change = new - current
            for i, (_, _, minv_jt) in enumerate(sides):
                # The world's row (index n) takes only zeros: M^-1 J^T is 0 on its side and in padding slots.
                vel = pt.inc_subtensor(vel[bodies[:, i]], minv_jt * change[..., None])
            new_impulse = pt.inc_subtensor(impulse[color], change)
            if not with_tape:
                return new_impulse, vel
            tape = pt.concatenate([current[..., None], row_velocity[..., None], normal_impulse[..., None],
                                   *body_velocity], axis=-1)
            return new_impulse, vel, tape

        def sweep(impulse, vel, all_data):
            results = scan(color_step, sequences=[all_data, *self.topology],
                           outputs_info=[impulse, vel] + [None] * with_tape, n_steps=layout.n_colors,
                           name=scan_name("solver_colors", self.dtype))
            return [results[0][-1], results[1][-1], *results[2:]]

        # Sweeps outside, colors inside: the row data is a sequence of the color scan, read once per
        # sweep, and one non-sequence of the sweep scan.  One scan over sweeps x colors needs it tiled
        # per sweep (25 us a step at batch 1).
        results = scan(sweep, outputs_info=[impulse, velocity] + [None] * with_tape, non_sequences=[data],
                       n_steps=self.n_sweeps, name=scan_name("solver_sweeps", self.dtype))
        return [results[0][-1], results[1][-1], *results[2:]]

    def _pullback(self, data, tape, g_impulse, g_vel):
        layout, n_sides, relaxation = self.layout, self.n_sides, self.relaxation
        padded, n_batch = layout.n_colors * layout.n_slots, batch_size(g_vel[0])

        def color_adjoint(data, bodies, normal_slots, color, tape, g_impulse, g_vel, g_data):
            fields, sides = self._fields(data)
            current, row_velocity, normal_impulse = tape[..., 0], tape[..., 1], tape[..., 2]
            body_velocity = [tape[..., 3 + 6 * i:9 + 6 * i] for i in range(n_sides)]
            lower, upper = row_bounds(fields, fields["friction"] * normal_impulse)
            free = unprojected_update(current, row_velocity, fields, relaxation)  # as in the forward color step
            change = project(free, lower, upper) - current
            g_body = [g_vel[bodies[:, i]] for i in range(n_sides)]  # (P, B, 6) per side
            g_through_bodies = sum(pt.sum(minv_jt * g, axis=-1) for (_, _, minv_jt), g in zip(sides, g_body))
            g_new = g_impulse[color] + g_through_bodies
            # project's branches: an empty interval or a value below gives lower, above gives upper.
            open_interval = pt.gt(upper, lower)
            to_lower = pt.or_(pt.invert(open_interval), pt.lt(free, lower))
            to_upper = pt.and_(pt.invert(to_lower), pt.gt(free, upper))
            zero = pt.zeros_like(g_new)
            g_lower = pt.switch(to_lower, g_new, zero)
            g_upper = pt.switch(to_upper, g_new, zero)
            g_free = g_new - g_lower - g_upper
            step = relaxation * fields["inv_den"]
            g_row_velocity = -step * g_free
            g_bound_width = g_upper - g_lower
            residual = row_velocity - fields["target"] + fields["compliance"] * current
            g_fields = [-g_row_velocity, -step * current * g_free, -relaxation * residual * g_free,
                        g_lower, g_upper, normal_impulse * g_bound_width]
            g_sides = []
            for i, (_, jac, _) in enumerate(sides):
                g_sides += [g_row_velocity[..., None] * body_velocity[i], g_body[i] * change[..., None]]
                g_vel = pt.inc_subtensor(g_vel[bodies[:, i]], g_row_velocity[..., None] * jac)
            g_current = g_free * (1 - step * fields["compliance"]) - g_through_bodies
            g_impulse = pt.set_subtensor(g_impulse[color], g_current)
            g_impulse = pt.inc_subtensor(g_impulse.reshape((padded, n_batch))[normal_slots],
                                         fields["friction"] * g_bound_width).reshape(g_impulse.shape)
            # Summed over sweeps in place: a carry (C, P, B, K) that each color step adds its slice to.  As a
            # per-step output added up after each sweep, batch 128's gradient took 7 % longer.
            g_color = pt.concatenate([f[..., None] for f in g_fields] + g_sides, axis=-1)
            return g_impulse, g_vel, pt.inc_subtensor(g_data[color], g_color)

        # Last sweep first, last color first: the data, topology and tape are reversed once, here.
        backward_topology = [pt.constant(t.data[::-1]) for t in self.topology]

        def sweep_adjoint(tape, g_impulse, g_vel, g_data, backward_data):
            g_impulses, g_vels, g_datas = scan(
                color_adjoint, sequences=[backward_data, *backward_topology, tape],
                outputs_info=[g_impulse, g_vel, g_data], n_steps=layout.n_colors,
                name=scan_name("solver_colors_adjoint", self.dtype))
            return g_impulses[-1], g_vels[-1], g_datas[-1]

        g_impulses, g_vels, g_datas = scan(
            sweep_adjoint, sequences=[tape[::-1, ::-1]], outputs_info=[g_impulse, g_vel, pt.zeros_like(data)],
            non_sequences=[data[::-1]], n_steps=self.n_sweeps, name=scan_name("solver_sweeps_adjoint", self.dtype))
        return [g_datas[-1], g_impulses[-1], g_vels[-1]]
