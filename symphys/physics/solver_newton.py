"""Newton's method on the velocity problem written as a convex minimization (MuJoCo's formulation).

The new velocities v (B, 6N) minimize

    cost(v) = 1/2 (v - v*)^T M (v - v*) + sum_r phi_r(J_r v)

where each row's penalty phi_r has the derivative -lambda_r: the row's
impulse lambda_r = clip(D_r (target_r - J_r v), lower_r, upper_r), so the
minimum satisfies M (v - v*) = J^T lambda.  D_r = 1 / (rho_r A_rr), with A_rr
the row's own J M^-1 J^T and rho_r its compliance ratio: impulse_scale /
mass_scale of the row (Catto's soft contact gives the same penetration as
the sweeping solvers), at least (1 - d) / d for rigid rows (d =
``rigid_impedance``, MuJoCo's solimp).  Because all rows are solved together
through H = M + J^T D J, a heavy body's mass reaches every row it touches:
nearly rigid joints stay rigid whatever the mass ratios.

The two friction rows of a contact share one isotropic (disc) bound
mu * lambda_normal, the normal impulse taken at the current iterate (as the
sweeping solvers couple them); on the disc's rim their penalty is the
norm's Huber function.  Each iteration assembles H over the rows in their
quadratic zone, solves H dv = -gradient with a dense Cholesky factorization
and takes the best of a few step lengths.  A fixed number of iterations
runs in a ``scan``, warm-started from the previous step's impulses.
"""

from __future__ import annotations

import numpy as np

from ..backend import cholesky_solve, pt, scan, scan_name
from . import gather as gather_module
from .effective_mass import inverse_effective_masses
from .forces import FreeMotion
from .rows import Rows, project
from .sweeps import apply_impulse

STEP_LENGTHS = (1.0, 0.5, 0.25, 0.125, 0.0625, 0.0)  # line search candidates, 0 = stay



def newton_solve(model, rows: Rows, free: FreeMotion, warm_impulse):
    """Velocities (B, N, 6) and row impulses (B, R) after ``newton_iterations`` Newton steps."""
    dtype, n = model.dtype, model.n_bodies
    velocity = free.velocity
    n_batch = velocity.shape[0] if velocity.type.shape[0] is None else velocity.type.shape[0]
    gathers, inverse_mass = inverse_effective_masses(model, rows, free.inv_mass, free.inv_inertia)
    jacobian = full_jacobian(rows, n, dtype)  # (B, R, 6N)
    mass_matrix = block_mass_matrix(free, n, n_batch)  # (B, 6N, 6N)
    pairs = FrictionPairs(rows)

    compliance = rows.impulse_scale / rows.mass_scale
    floor = (1.0 - model.solver.rigid_impedance) / model.solver.rigid_impedance
    compliance = pt.switch(pt.lt(compliance, floor), floor, compliance)
    row_inverse_mass = pairs.share_tangent_mass(inverse_mass)
    stiffness = 1.0 / (compliance * row_inverse_mass + 1e-12)  # D (B, R)
    problem = Problem(jacobian, mass_matrix, pt.reshape(velocity, (n_batch, 6 * n)), stiffness,
                      rows, pairs)

    if model.solver.warm_start:
        velocity = apply_impulse(velocity, warm_impulse, gathers)
    start = pt.reshape(velocity, (n_batch, 6 * n))

    def iterate(v, *constants):
        return problem.with_constants(constants).newton_step(v)

    (history,) = scan(iterate, outputs_info=[start], non_sequences=problem.constants(),
                      n_steps=model.solver.newton_iterations, name=scan_name("newton_iterations", dtype))
    final = history[-1]
    impulse, _ = problem.impulses(final)
    return pt.reshape(final, (n_batch, n, 6)), impulse


def full_jacobian(rows: Rows, n_bodies: int, dtype):
    """(B, R, 6 N) Jacobian of every row over every body's [linear, angular] velocity."""
    total = 0.0
    for body, jac in ((rows.body_a, rows.jacobian_a), (rows.body_b, rows.jacobian_b)):
        if jac is None:
            continue
        one_hot = pt.constant(gather_module.one_hot(body, n_bodies, dtype))  # (R, N)
        spread = jac[:, :, None, :] * one_hot[None, :, :, None]  # (B, R, N, 6)
        total = total + spread
    return pt.reshape(total, (total.shape[0], len(rows.body_a), 6 * n_bodies))


def block_mass_matrix(free: FreeMotion, n_bodies: int, n_batch):
    """(B, 6 N, 6 N) block-diagonal mass matrix: m I3 and the world-frame inertia per body."""
    dtype = free.inertia.dtype
    linear = free.mass[..., None, None] * pt.constant(np.eye(3, dtype=dtype)) * pt.ones_like(free.inertia)
    zeros = pt.zeros_like(free.inertia)
    blocks = pt.concatenate([pt.concatenate([linear, zeros], axis=-1),
                             pt.concatenate([zeros, free.inertia], axis=-1)], axis=-2)  # (B, N, 6, 6)
    eye = pt.constant(np.eye(n_bodies, dtype=dtype))
    spread = blocks[:, :, :, None, :] * eye[None, :, None, :, None]  # (B, N, 6, N, 6)
    return pt.reshape(spread, (n_batch, 6 * n_bodies, 6 * n_bodies))


class FrictionPairs:
    """The contacts' friction rows as (normal, first tangent, second tangent) row index triples."""

    def __init__(self, rows: Rows):
        n_rows = rows.n_rows
        friction = np.nonzero(rows.normal_row != np.arange(n_rows))[0]
        groups: dict = {}
        for r in friction:
            groups.setdefault(int(rows.normal_row[r]), []).append(int(r))
        if any(len(g) != 2 for g in groups.values()):
            raise ValueError("method='newton' needs exactly two friction rows per contact normal")
        self.normal = np.array(sorted(groups), dtype=np.int64)
        self.first = np.array([groups[k][0] for k in self.normal], dtype=np.int64)
        self.second = np.array([groups[k][1] for k in self.normal], dtype=np.int64)
        self.n_rows = n_rows
        self.is_friction = np.zeros(n_rows, dtype=bool)
        self.is_friction[friction] = True

    def __len__(self) -> int:
        return len(self.normal)

    def columns(self, x, index):
        """x[:, index] for x (B, R, ...)."""
        return gather_module.gather_runs(x, index, self.n_rows, x.dtype) if len(index) else None

    def place(self, values, index, dtype):
        """(B, R) array with values (B, P) at columns ``index`` and zeros elsewhere."""
        return gather_module.scatter_add(values, index, self.n_rows, dtype)

    def share_tangent_mass(self, inverse_mass):
        """Both friction rows of a contact get their mean J M^-1 J^T, so the disc stays a disc."""
        if not len(self):
            return inverse_mass
        mean = 0.5 * (self.columns(inverse_mass, self.first) + self.columns(inverse_mass, self.second))
        mask = pt.constant(self.is_friction.astype(inverse_mass.dtype))
        spread = self.place(mean, self.first, inverse_mass.dtype) + self.place(mean, self.second,
                                                                               inverse_mass.dtype)
        return (1.0 - mask) * inverse_mass + spread


class Problem:
    """One step's minimization: the constant arrays and the Newton iteration over them."""

    def __init__(self, jacobian, mass_matrix, free_velocity, stiffness, rows: Rows, pairs: FrictionPairs):
        self.jacobian, self.mass_matrix, self.free_velocity = jacobian, mass_matrix, free_velocity
        self.stiffness = stiffness
        self.target, self.lower, self.upper = rows.target, rows.lower, rows.upper
        self.friction = rows.friction * pt.ones_like(rows.target)
        self.pairs = pairs

    def constants(self) -> list:
        # One packed (B, R, 5) row array keeps the scan's inputs (and its gradient graph) few.
        row_data = pt.stack([self.target, self.stiffness, self.lower, self.upper, self.friction], axis=-1)
        return [self.jacobian, self.mass_matrix, self.free_velocity, row_data]

    def with_constants(self, constants) -> Problem:
        """The same problem over the scan's inner copies of ``constants()``."""
        jacobian, mass_matrix, free_velocity, row_data = constants
        inner = object.__new__(Problem)
        inner.jacobian, inner.mass_matrix, inner.free_velocity = jacobian, mass_matrix, free_velocity
        inner.target, inner.stiffness, inner.lower, inner.upper, inner.friction = (
            row_data[..., k] for k in range(5))
        inner.pairs = self.pairs
        return inner

    def row_velocity(self, v):
        """J v (B, R) of packed velocities v (B, 6 N)."""
        return pt.matmul(self.jacobian, v[..., None])[..., 0]

    def impulses(self, v, friction_bound=None):
        """(impulse (B, R), Hessian weight of each row (B, R)) at v.

        friction_bound: (B, n_contacts) disc radius mu * lambda_normal; from v if None.
        """
        pairs = self.pairs
        raw = self.stiffness * (self.target - self.row_velocity(v))  # unclipped impulse
        clipped = project(raw, self.lower, self.upper)
        quadratic = pt.and_(pt.gt(raw, self.lower), pt.lt(raw, self.upper))
        weight = self.stiffness * pt.cast(quadratic, raw.dtype)
        if not len(pairs):
            return clipped, weight
        if friction_bound is None:
            friction_bound = self.friction_bound(clipped)
        disc = Disc(pairs.columns(raw, pairs.first), pairs.columns(raw, pairs.second), friction_bound)
        dtype = raw.dtype
        mask = pt.constant(pairs.is_friction.astype(dtype))
        impulse = (1.0 - mask) * clipped + pairs.place(disc.first * disc.scale, pairs.first, dtype) \
            + pairs.place(disc.second * disc.scale, pairs.second, dtype)
        # The disc's curvature: stiffness inside; on the rim stiffness * bound / |z| in every
        # direction, the quadratic that touches the norm's Huber function from above at z
        # (majorize-minimize): the full step then lands on a slip that stops instead of
        # overshooting along directions that only a small inertia resists.
        disc_weight = self.stiffness * pairs.place(disc.scale, pairs.first, dtype) \
            + self.stiffness * pairs.place(disc.scale, pairs.second, dtype)
        return impulse, (1.0 - mask) * weight + disc_weight

    def friction_bound(self, clipped):
        """mu * lambda_normal (B, n_contacts) from the rows' clipped impulses."""
        pairs = self.pairs
        return pairs.columns(self.friction, pairs.first) * pairs.columns(clipped, pairs.normal)

    def cost(self, v, friction_bound):
        """cost (B, K) of K candidate velocities v (B, K, 6 N), friction bounds held fixed."""
        pairs = self.pairs
        dv = v - self.free_velocity[:, None, :]
        kinetic = 0.5 * pt.sum(dv * pt.matmul(dv, self.mass_matrix), axis=-1)  # M is symmetric
        row_velocity = pt.matmul(self.jacobian, v.dimshuffle(0, 2, 1))  # (B, R, K)
        stiffness = self.stiffness[..., None]
        raw = stiffness * (self.target[..., None] - row_velocity)
        lower, upper = self.lower[..., None], self.upper[..., None]
        penalty = pt.switch(pt.gt(raw, upper), upper * raw - 0.5 * upper * upper,
                            pt.switch(pt.lt(raw, lower), lower * raw - 0.5 * lower * lower, 0.5 * raw * raw))
        penalty = penalty / stiffness
        if len(pairs):
            mask = pt.constant((~pairs.is_friction).astype(v.dtype))[None, :, None]
            penalty = penalty * mask
            first, second = pairs.columns(raw, pairs.first), pairs.columns(raw, pairs.second)
            disc = Disc(first, second, friction_bound[..., None])
            tangent_stiffness = pairs.columns(self.stiffness, pairs.first)[..., None]
            friction_penalty = disc.penalty() / tangent_stiffness
            return kinetic + pt.sum(penalty, axis=1) + pt.sum(friction_penalty, axis=1)
        return kinetic + pt.sum(penalty, axis=1)

    def newton_step(self, v):
        """The next iterate from v (B, 6 N): a Newton direction and the best of STEP_LENGTHS."""
        impulse, weight = self.impulses(v)
        bound = self.friction_bound(project(self.stiffness * (self.target - self.row_velocity(v)),
                                            self.lower, self.upper)) if len(self.pairs) else None
        gradient = pt.matmul(self.mass_matrix, (v - self.free_velocity)[..., None])[..., 0] \
            - pt.matmul(impulse[:, None, :], self.jacobian)[:, 0]
        hessian = self.mass_matrix + pt.matmul(self.jacobian.dimshuffle(0, 2, 1), weight[..., None] * self.jacobian)
        direction = -cholesky_solve(hessian, gradient)
        lengths = pt.constant(np.array(STEP_LENGTHS, dtype=v.dtype))
        candidates = v[:, None, :] + lengths[None, :, None] * direction[:, None, :]
        best = pt.argmin(self.cost(candidates, bound), axis=1)
        return v + lengths[best][:, None] * direction


class Disc:
    """The isotropic friction bound on a contact's two tangent impulses (B, C[, K])."""

    def __init__(self, first, second, bound):
        self.first, self.second, self.bound = first, second, bound
        self.norm = pt.sqrt(first * first + second * second + 1e-30)
        self.inside = pt.lt(self.norm, bound)
        # 0 on an inactive contact (bound 0), 1 inside the disc, bound / |z| on its rim.
        self.scale = pt.switch(self.inside, 1.0, bound / self.norm)

    def penalty(self):
        """Huber function of the norm (times the rows' stiffness): z^2/2 inside, bound (|z| - bound/2) out."""
        return pt.switch(self.inside, 0.5 * self.norm * self.norm,
                         self.bound * self.norm - 0.5 * self.bound * self.bound)
