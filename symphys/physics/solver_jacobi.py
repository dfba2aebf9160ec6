"""Projected Jacobi: every row updates at once from the same velocities, a fixed number of sweeps."""

from __future__ import annotations

from ..backend import scan, scan_name
from .sweeps import apply_impulse, row_update, row_velocity


def jacobi_sweeps(model, row_data, iterate, start, coupling):
    """The final packed (B, R + 6 N) [impulse, velocity] iterate after ``iterations`` sweeps.

    row_data: packed (B, R, K) row data; iterate: the sweeps.PackedIterate layout; start: the packed
    warm-started iterate; coupling(impulse, friction): the friction bounds mu * normal impulse.
    """
    opts = model.solver

    def sweep(packed_state, data):
        impulse, vel, f, sides_data = iterate.unpack(packed_state, data)
        new = row_update(impulse, row_velocity(vel, sides_data), f, coupling(impulse, f["friction"]),
                         opts.relaxation)
        return iterate.pack(new, apply_impulse(vel, new - impulse, sides_data))

    (history,) = scan(sweep, outputs_info=[start], non_sequences=[row_data], n_steps=opts.iterations,
                      name=scan_name("solver_sweeps", model.dtype))
    return history[-1]
