"""Newton's method on the velocity problem written as a convex minimization (MuJoCo's formulation).

The new velocities v (B, 6N) minimize

    cost(v) = 1/2 (v - v*)^T M (v - v*) + sum_r phi_r(J_r v)

where each row's penalty phi_r has the derivative -lambda_r: the row's
impulse lambda_r = clip(m_r + D_r (target_r - J_r v), lower_r, upper_r), so
the minimum satisfies M (v - v*) = J^T lambda.  D_r = 1 / (rho_r A_rr), with A_rr
the row's own J M^-1 J^T and rho_r its compliance ratio: impulse_scale /
mass_scale of the row (Catto's soft contact gives the same penetration as
the sweeping solvers), at least (1 - d) / d for rigid rows (d =
``rigid_impedance``, MuJoCo's solimp).  A rigid row's impulse starts from
its previous step's, m_r (a proximal term; m_r = 0 for soft rows): under a
steady load it then meets its target exactly instead of giving way by
load / D, whatever the mass ratio that sets its D.  A rigid contact row
(a bounce, friction) also moves its memory to its impulse after each
Newton iteration (proximal point iterations), so a bounce leaves at
exactly -e times its approach speed within the step.  Because all rows are solved together
through H = M + J^T D J, a heavy body's mass reaches every row it touches:
nearly rigid joints stay rigid whatever the mass ratios.

The two friction rows of a contact share one isotropic (disc) bound
mu * lambda_normal, the normal impulse taken at the current iterate (as the
sweeping solvers couple them); on the disc's rim their penalty is the
norm's Huber function.  Each iteration assembles H over the rows in their
quadratic zone (from each row's 6 x 6 body blocks), solves H dv = -gradient
with a dense Cholesky factorization per connected component of the bodies (H is block diagonal
over them) and takes an exact line search along it
(a search over the sorted kinks of the piecewise-quadratic cost, then 1-D
Newton steps between the two around the minimum).  A fixed number of iterations
runs in a ``scan``, warm-started from the previous step's impulses.  No
factorization or line search is differentiated: the gradient is the implicit
function theorem's at the last iterate (``Problem.implicit_gradient``), and
with ``newton_gradient="exact"`` the rigid contact rows' memory is followed
through the iterations, each iterate differentiated the same way at its own
minimum.
"""

from __future__ import annotations

import numpy as np

from ..backend import cholesky_solve, linear_solve, pt, scan, scan_name, stop_gradient
from . import gather as gather_module
from .batching import batch_size
from .effective_mass import inverse_effective_masses, row_sides
from .forces import FreeMotion
from .rows import OPEN_BOUND, Rows, project
from .sweeps import apply_impulse

LINE_SEARCH_ITERATIONS = 3  # 1-D Newton refinements within the bracketing kinks
BRACKET_ROUNDS = 2  # rounds of the search for the two kinks around the minimum (3 measured no faster)


def newton_solve(model, rows: Rows, free: FreeMotion, warm_impulse, gathers):
    """Velocities (B, N, 6) and row impulses (B, R) after ``newton_iterations`` Newton steps.

    gathers: the rows' per-side terms (effective_mass.row_terms)."""
    dtype, n = model.dtype, model.n_bodies
    velocity = free.velocity
    n_batch = batch_size(velocity)
    inverse_mass = inverse_effective_masses(gathers)
    jacobian = full_jacobian(rows, n, dtype)  # (B, R, 6N)
    mass_matrix = block_mass_matrix(free, n, n_batch)  # (B, 6N, 6N)
    pairs = FrictionPairs(rows)
    components = Components(rows, n, pairs, dtype)

    compliance = rows.impulse_scale / rows.mass_scale
    # Equality rows are always in their quadratic zone, so their stiffness costs Newton nothing but
    # conditioning; a stiff bounded row changes zone along a step, and the step shortens.
    equality = pt.and_(pt.le(rows.lower, -0.5 * OPEN_BOUND), pt.ge(rows.upper, 0.5 * OPEN_BOUND))
    impedance = pt.switch(equality, model.solver.rigid_impedance, model.solver.bound_impedance)
    floor = (1.0 - impedance) / impedance
    rigid = pt.lt(compliance, floor)
    compliance = pt.switch(rigid, floor, compliance)
    row_inverse_mass = pairs.share_tangent_mass(inverse_mass)
    stiffness = 1.0 / (compliance * row_inverse_mass + 1e-12)  # D (B, R)
    # A rigid row's impulse starts from its previous one (a proximal term): under a steady load the
    # row then meets its target exactly instead of giving way by load / D.
    memory = pt.switch(rigid, warm_impulse, 0.0)
    problem = Problem(jacobian, mass_matrix, pt.reshape(velocity, (n_batch, 6 * n)), stiffness, memory,
                      rows, pairs, components, BlockAssembly(rows, n, n_batch))

    if model.solver.warm_start:
        velocity = apply_impulse(velocity, warm_impulse, gathers)
    start = pt.reshape(velocity, (n_batch, 6 * n))

    # Rigid contact rows (bounces, friction) move their memory to their impulse within the step.
    # Motor and limit rows keep the previous step's: moving theirs too makes motor speeds exact
    # (a 10 g wheel's 0.1% shortfall) but a three-link servo chain then needs 16 iterations, not 8,
    # before its gradients agree with central differences (benchmarks/RESULTS.md).
    contact_rows = np.zeros(rows.n_rows, dtype=bool)
    contact_rows[pairs.normal] = True
    contact_rows |= pairs.is_friction
    rigid_mask = pt.cast(rigid, dtype) * pt.constant(contact_rows.astype(dtype))

    name = scan_name("newton_iterations", dtype)
    follow_memory = model.solver.newton_gradient == "exact"

    def iterate(v, memory, *constants):
        inner = problem.with_constants(constants)
        inner.memory = memory
        v = inner.newton_step(v)
        if follow_memory:
            # Each iterate's dependence on the memory it was found with: that of the minimum (one implicit
            # step), not of the Cholesky factorization and line search that reached it.
            v = inner.implicit_gradient(stop_gradient(v))
        # Proximal point: once an iterate solves the problem of the present memory, a rigid bounded
        # row's memory moves to its impulse there, so the rows converge to their rigid solution
        # ((1 - d) / d of the error left per update).  Moving it before then shifts a row's narrow
        # quadratic zone under Newton's feet: a 10 g wheel's motor then never settles.
        impulse, _, _ = inner.impulses(v)
        update = rigid_mask * inner.solved(v, impulse)
        return v, update * impulse + (1.0 - update) * memory, memory

    def iterate_fixed_memory(v, *constants):
        return problem.with_constants(constants).newton_step(v)

    if contact_rows.any():
        # The last iterate minimizes the problem of the memory it was found with, not of the memory
        # moved after it: its impulses are taken with the former.
        (history, _, used) = scan(iterate, outputs_info=[start, memory, None], non_sequences=problem.constants(),
                                  n_steps=model.solver.newton_iterations, name=name)
        if follow_memory:
            problem.memory = used[-1]
        else:
            # "fixed_memory": the moves are not differentiated; their gradient scan is 2-3x the forward one.
            problem.memory = memory + stop_gradient(used[-1] - memory)
    else:
        # No contact row moves its memory: the iterations carry only the velocities, and no gradient
        # is built through them (the implicit step below is the whole gradient).
        history = scan(iterate_fixed_memory, outputs_info=[start], non_sequences=problem.constants(),
                       n_steps=model.solver.newton_iterations, name=name)[0]
    final = problem.implicit_gradient(stop_gradient(history[-1]))
    impulse, _, _ = problem.impulses(final)
    return pt.reshape(final, (n_batch, n, 6)), impulse


def full_jacobian(rows: Rows, n_bodies: int, dtype):
    """(B, R, 6 N) Jacobian of every row over every body's [linear, angular] velocity."""
    total = 0.0
    for body, jac in row_sides(rows):
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
        if any(rows.body_a[r] != rows.body_a[n] or rows.body_b[r] != rows.body_b[n] for n, g in groups.items()
               for r in g):
            raise ValueError("method='newton' needs each friction row on its normal row's bodies")
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


class Components:
    """The connected components of the bodies under the rows (static): independent subproblems.

    H is block diagonal over them, so each takes its own step length: a free body's line search is
    not held back by another body's narrow motor zone.
    """

    def __init__(self, rows: Rows, n_bodies: int, pairs: FrictionPairs, dtype):
        root = list(range(n_bodies))

        def find(b):
            while root[b] != b:
                root[b] = root[root[b]]
                b = root[b]
            return b

        for a, b in zip(rows.body_a, rows.body_b):
            if a >= 0 and b >= 0:
                root[find(int(a))] = find(int(b))
        labels = np.unique([find(b) for b in range(n_bodies)], return_inverse=True)[1].reshape(-1)
        self.n = int(labels.max()) + 1
        row_body = np.where(rows.body_a >= 0, rows.body_a, rows.body_b)
        self.row = labels[row_body]  # (R,)
        self.contact = self.row[pairs.normal]  # (P,)
        self.dof_one_hot = pt.constant(gather_module.one_hot(np.repeat(labels, 6), self.n, dtype))  # (6N, C)
        self.dtype = dtype
        # Each component's coordinates, the components grouped by size: one batched factorization per
        # size instead of one of the whole (6 N x 6 N) matrix.
        sizes = np.bincount(labels, minlength=self.n)
        self.groups = []  # (components of the size, 6 x size) coordinate indices
        for size in np.unique(sizes):
            members = np.nonzero(sizes == size)[0]
            self.groups.append(np.stack([(6 * np.nonzero(labels == c)[0][:, None] + np.arange(6)).reshape(-1)
                                         for c in members]))
        self.from_groups = np.argsort(np.concatenate([coords.reshape(-1) for coords in self.groups]))
        self.n_coordinates = 6 * n_bodies

    def solve(self, solver, matrix, rhs):
        """x (B, 6 N) with ``matrix`` x = ``rhs`` for a matrix (B, 6 N, 6 N) that is block diagonal over the
        components: ``solver`` (cholesky_solve or linear_solve) on each component's block, batched over
        the components of one size.  A free box is a 6 x 6 solve, not part of one dense (6 N)^3 one."""
        if self.n == 1:
            return solver(matrix, rhs)
        n_batch, width = matrix.shape[0], self.n_coordinates
        flat = pt.reshape(matrix, (n_batch, width * width))
        parts = []
        for coords in self.groups:
            block = flat[:, pt.constant(coords[:, :, None] * width + coords[:, None, :])]  # (B, m, 6k, 6k)
            parts.append(pt.reshape(solver(block, rhs[:, pt.constant(coords)]), (n_batch, coords.size)))
        return pt.concatenate(parts, axis=1)[:, pt.constant(self.from_groups)]

    def totals(self, x):
        """Per-component sums (B, C) of per-coordinate values x (B, 6 N)."""
        return pt.matmul(x, self.dof_one_hot)

    def spread(self, x):
        """Per-coordinate values (B, 6 N) of per-component values x (B, C)."""
        return pt.matmul(x, self.dof_one_hot.T)

    def of_rows(self, x):
        """x[..., component of each row] (B, W, R) for per-component x (B, W, C)."""
        return x if self.n == 1 else x[:, :, pt.constant(self.row)]

    def sum_rows(self, x):
        """Per-component sums (B, W, C) of per-row x (B, W, R)."""
        return self._segment_sum(x, self.row)

    def sum_contacts(self, x):
        """Per-component sums (B, W, C) of per-contact x (B, W, P)."""
        return self._segment_sum(x, self.contact)

    def _segment_sum(self, x, labels):
        if self.n == 1:
            return pt.sum(x, axis=-1, keepdims=True)
        total = pt.zeros((x.shape[0], x.shape[1], self.n), dtype=x.dtype)
        return pt.inc_subtensor(total[:, :, pt.constant(labels)], x)

    def columns(self, x, candidate):
        """x[:, candidate] for per-component x (B, C)."""
        return pt.matmul(x, pt.constant(gather_module.one_hot(np.asarray(candidate), self.n, self.dtype).T))


class Problem:
    """One step's minimization: the constant arrays and the Newton iteration over them."""

    def __init__(self, jacobian, mass_matrix, free_velocity, stiffness, memory, rows: Rows, pairs: FrictionPairs,
                 components: Components, assembly: BlockAssembly):
        self.jacobian, self.mass_matrix, self.free_velocity = jacobian, mass_matrix, free_velocity
        self.side_jacobian = pt.stack([jac for _, jac in row_sides(rows)], axis=2)  # (B, R, S, 6)
        self.assembly = assembly
        self.stiffness, self.memory = stiffness, memory
        self.target, self.lower, self.upper = rows.target, rows.lower, rows.upper
        self.finite_bounds = rows.bounds_may_be_finite()
        self.friction = rows.friction * pt.ones_like(rows.target)
        self.pairs, self.components = pairs, components

    def constants(self) -> list:
        # One packed (B, R, 6) row array keeps the scan's inputs (and its gradient graph) few.
        row_data = pt.stack([self.target, self.stiffness, self.lower, self.upper, self.friction, self.memory],
                            axis=-1)
        return [self.jacobian, self.side_jacobian, self.mass_matrix, self.free_velocity, row_data]

    def with_constants(self, constants) -> Problem:
        """The same problem over the scan's inner copies of ``constants()``."""
        jacobian, side_jacobian, mass_matrix, free_velocity, row_data = constants
        inner = object.__new__(Problem)
        inner.jacobian, inner.mass_matrix, inner.free_velocity = jacobian, mass_matrix, free_velocity
        inner.side_jacobian, inner.assembly, inner.finite_bounds = side_jacobian, self.assembly, self.finite_bounds
        inner.target, inner.stiffness, inner.lower, inner.upper, inner.friction, inner.memory = (
            row_data[..., k] for k in range(6))
        inner.pairs, inner.components = self.pairs, self.components
        return inner

    def row_velocity(self, v):
        """J v (B, R) of packed velocities v (B, 6 N)."""
        return pt.matmul(self.jacobian, v[..., None])[..., 0]

    def unclipped_impulse(self, v):
        """m + D (target - J v) (B, R): each row's impulse before its bounds, at v."""
        return self.memory + self.stiffness * (self.target - self.row_velocity(v))

    def quadratic_zone(self, raw):
        """1 where a row's unclipped impulse lies strictly within its bounds (its penalty is quadratic), else 0."""
        return pt.cast(pt.and_(pt.gt(raw, self.lower), pt.lt(raw, self.upper)), raw.dtype)

    def hessian(self, weighted_sides):
        """M + J^T W J (B, 6 N, 6 N) from the sides of W J (B, R, S, 6) (W couples rows of one contact only)."""
        return self.mass_matrix + self.assembly.product(self.side_jacobian, weighted_sides)

    def impulses(self, v):
        """(impulse (B, R), Hessian weight of each row (B, R), friction bound mu lambda_normal (B, C)
        or None without friction) at v."""
        pairs = self.pairs
        raw = self.unclipped_impulse(v)
        clipped = project(raw, self.lower, self.upper)
        weight = self.stiffness * self.quadratic_zone(raw)
        if not len(pairs):
            return clipped, weight, None
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
        return impulse, (1.0 - mask) * weight + disc_weight, friction_bound

    def friction_bound(self, clipped):
        """mu * lambda_normal (B, n_contacts) from the rows' clipped impulses."""
        pairs = self.pairs
        return pairs.columns(self.friction, pairs.first) * pairs.columns(clipped, pairs.normal)

    def slope_and_curvature(self, alphas, line):
        """d cost / d alpha and its (majorizing) curvature, both (B, C, W), at v + alpha d along ``line``
        for W step lengths per component, ``alphas`` (B, C, W), each in its component's part of the cost.
        Each row is evaluated at its own component's step lengths only: O(W rows), whatever C."""
        pairs, components = self.pairs, self.components
        steps = alphas.dimshuffle(0, 2, 1)  # (B, W, C): rows last, so that the sums run along the last axis
        raw = line["raw"][:, None, :] - components.of_rows(steps) * line["raw_rate"][:, None, :]  # (B, W, R)
        rate = line["row_rate"][:, None, :]  # J d
        lower, upper = self.lower[:, None, :], self.upper[:, None, :]
        quadratic = pt.cast(pt.and_(pt.gt(raw, lower), pt.lt(raw, upper)), raw.dtype)
        row_slope = project(raw, lower, upper) * rate
        row_curvature = self.stiffness[:, None, :] * quadratic * rate * rate
        curvature = line["quadratic"][:, None, :]
        slope = line["linear"][:, None, :] + steps * curvature  # (B, W, C)
        if len(pairs):
            # Friction rows are bounded by their disc, not by their own bounds.
            bounded = pt.constant((~pairs.is_friction).astype(raw.dtype))
            row_slope, row_curvature = bounded * row_slope, bounded * row_curvature
            disc = Disc(pt.take(raw, pairs.first, axis=2), pt.take(raw, pairs.second, axis=2),
                        line["bound"][:, None, :])
            rate1, rate2 = pt.take(rate, pairs.first, axis=2), pt.take(rate, pairs.second, axis=2)
            tangent_stiffness = pairs.columns(self.stiffness, pairs.first)[:, None, :]
            slope = slope - components.sum_contacts(disc.scale * (disc.first * rate1 + disc.second * rate2))
            curvature = curvature + components.sum_contacts(tangent_stiffness * disc.scale
                                                            * (rate1 * rate1 + rate2 * rate2))
        slope = slope - components.sum_rows(row_slope)
        curvature = curvature + components.sum_rows(row_curvature)
        return slope.dimshuffle(0, 2, 1), curvature.dimshuffle(0, 2, 1)

    def line_search(self, v, direction, bound):
        """Step lengths (B, C), one per component, minimizing the cost along ``direction``.

        The cost along the line is convex with a continuous, increasing slope, piecewise linear
        between kinks (where a row's unclipped impulse meets a bound, or a contact's friction
        impulse its disc's rim).  A search over the sorted kinks (``bracket``) finds the two
        neighbouring kinks around the minimum, between which the slope is linear (up to the rim's
        curvature): the zero of the line through the bracket's ends, refined by safeguarded 1-D
        Newton steps.  The cost is a sum over the components, so each is searched on its own.
        """
        components = self.components
        row_rate = self.row_velocity(direction)
        inertial = pt.matmul(self.mass_matrix, direction[..., None])[..., 0]  # M d
        line = dict(raw=self.unclipped_impulse(v),
                    raw_rate=self.stiffness * row_rate, row_rate=row_rate, bound=bound,
                    quadratic=components.totals(direction * inertial),
                    linear=components.totals((v - self.free_velocity) * inertial))
        kinks, kink_component = self.kinks(line)  # (B, K), (K,)

        def at(alpha):  # slope and curvature (B, C) at one step length (B, C) per component
            slope, curvature = self.slope_and_curvature(alpha[..., None], line)
            return slope[..., 0], curvature[..., 0]

        low, high = self.bracket(kinks, kink_component, line, batch_size(v))
        bounded = pt.lt(high, np.inf)
        high_value = pt.switch(bounded, high, low + 1.0)
        slope_low, curvature_low = at(low * (1.0 + 1e-9) + 1e-12)
        slope_high, _ = at(high_value)
        span = pt.switch(bounded, slope_high - slope_low, 1.0)
        secant = low - slope_low * (high_value - low) / pt.switch(pt.gt(span, 0.0), span, 1.0)
        alpha = pt.switch(bounded, secant, low - slope_low / pt.switch(pt.gt(curvature_low, 0.0), curvature_low, 1.0))
        high = pt.switch(bounded, high, np.inf)
        for _ in range(LINE_SEARCH_ITERATIONS):
            slope, curvature = at(alpha)
            below = pt.lt(slope, 0.0)
            low, high = pt.switch(below, alpha, low), pt.switch(below, high, alpha)
            newton = alpha - slope / pt.switch(pt.gt(curvature, 0.0), curvature, 1.0)
            # Inclusive: at the minimum the Newton step rounds onto the bracket's end it came from,
            # and bisecting from there threw an exact step length away (1 became 4 on a motor row).
            inside = pt.and_(pt.ge(newton, low), pt.le(newton, high))
            alpha = pt.switch(inside, newton, pt.switch(pt.lt(high, np.inf), 0.5 * (low + high), alpha))
        return alpha

    def bracket(self, kinks, kink_component, line, n_batch):
        """The two neighbouring kinks (B, C) around each component's minimum along the line: the last
        with a negative slope (0 if none) and the first with a non-negative one (inf if none).

        The slope is non-decreasing along the line, so a search over each component's sorted kinks
        finds them: ``BRACKET_ROUNDS`` rounds, each evaluating the slope at W evenly spaced kinks of
        the bracket left by the last, (W + 1)^rounds > L (the most kinks of a component).  That is
        O(W rounds rows) work, not the O(K rows) of evaluating every kink.
        """
        components = self.components
        dtype = kinks.dtype
        n = components.n
        if not len(kink_component):
            zero = pt.zeros((kinks.shape[0], n), dtype=dtype)
            return zero, zero + np.inf
        # Each component's candidate kinks side by side (C, L), padded with a column that is always inf.
        counts = np.bincount(kink_component, minlength=n)
        n_kinks = int(counts.max())
        if n == 1:
            padded = kinks[:, None, :]
        else:
            table = np.full((n, n_kinks), len(kink_component), dtype=np.int64)
            for c in range(n):
                members = np.nonzero(kink_component == c)[0]
                table[c, :len(members)] = members
            padded = pt.concatenate([kinks, pt.zeros_like(kinks[:, :1]) + np.inf], axis=1)[:, pt.constant(table)]
        valid = pt.and_(pt.gt(padded, 0.0), pt.lt(padded, np.inf))
        ordered = pt.sort(pt.switch(valid, padded, np.inf), axis=-1)  # (B, C, L): each component's kinks, then inf
        rounds = min(BRACKET_ROUNDS, int(np.ceil(np.log2(n_kinks + 1))))
        width = int(np.ceil((n_kinks + 1) ** (1.0 / rounds))) - 1  # probes per round
        while (width + 1) ** rounds <= n_kinks:  # the float root can round down
            width += 1
        lower = pt.zeros_like(ordered[:, :, 0], dtype="int64") - 1  # (B, C) negative slope there (-1: alpha 0)
        upper = lower + 1 + n_kinks  # (B, C) non-negative slope there (L: alpha inf)
        fractions = np.arange(1, width + 1, dtype=np.int64)

        def kink(index):  # the sorted kinks at ``index`` (B, C, W), clipped into range
            found = pt.take_along_axis(ordered, pt.clip(index, 0, n_kinks - 1), axis=-1)
            return pt.specify_shape(found, (n_batch if isinstance(n_batch, int) else None, n, index.type.shape[-1]))

        for _ in range(rounds):
            index = lower[..., None] + ((upper - lower)[..., None] * fractions) // (width + 1)  # (B, C, W)
            probe = pt.and_(pt.gt(index, lower[..., None]), pt.lt(index, upper[..., None]))
            alpha = kink(index)
            finite = pt.lt(alpha, np.inf)
            slope = self.slope_and_curvature(pt.switch(finite, alpha, 0.0), line)[0]
            below = pt.and_(probe, pt.and_(finite, pt.lt(slope, 0.0)))
            above = pt.and_(probe, pt.invert(below))
            lower = pt.maximum(lower, pt.max(pt.switch(below, index, -1), axis=-1))
            upper = pt.minimum(upper, pt.min(pt.switch(above, index, n_kinks), axis=-1))
        low = pt.switch(pt.ge(lower, 0), kink(lower[..., None])[..., 0], 0.0)
        high = pt.switch(pt.lt(upper, n_kinks), kink(upper[..., None])[..., 0], np.inf)
        return pt.cast(low, dtype), pt.cast(high, dtype)

    def kinks(self, line):
        """(B, K) step lengths along the line where a row's unclipped impulse meets one of its bounds
        or a contact's friction impulse meets its disc's rim (inf where it never does), and each
        kink's component (K,)."""
        raw, rate = line["raw"], line["raw_rate"]
        pieces, component = [], []
        # Rows whose bound is always open, and friction rows (bounded by their disc), have no kink there.
        may_be_finite = self.finite_bounds & ~self.pairs.is_friction[:, None]
        for side, bound in enumerate((self.lower, self.upper)):
            index = np.nonzero(may_be_finite[:, side])[0]
            if not len(index):
                continue
            row_raw, row_rate, row_bound = raw[:, index], rate[:, index], bound[:, index]
            moving = pt.gt(abs(row_rate), 0.0)
            finite = pt.and_(moving, pt.lt(abs(row_bound), 0.5 * OPEN_BOUND))
            pieces.append(pt.switch(finite, (row_raw - row_bound) / pt.switch(moving, row_rate, 1.0), np.inf))
            component.append(self.components.row[index])
        pairs = self.pairs
        if len(pairs):
            # |z0 - alpha z'|^2 = bound^2 for the friction impulses z = (first, second).
            z1, z2 = pairs.columns(raw, pairs.first), pairs.columns(raw, pairs.second)
            r1, r2 = pairs.columns(rate, pairs.first), pairs.columns(rate, pairs.second)
            a = r1 * r1 + r2 * r2
            half_b = z1 * r1 + z2 * r2
            c = z1 * z1 + z2 * z2 - line["bound"] * line["bound"]
            discriminant = half_b * half_b - a * c
            real = pt.and_(pt.gt(a, 0.0), pt.ge(discriminant, 0.0))
            root = pt.sqrt(pt.switch(real, discriminant, 0.0))
            safe_a = pt.switch(real, a, 1.0)
            pieces += [pt.switch(real, (half_b - root) / safe_a, np.inf),
                       pt.switch(real, (half_b + root) / safe_a, np.inf)]
            component += [self.components.contact, self.components.contact]
        if not pieces:
            return pt.zeros((raw.shape[0], 0), dtype=raw.dtype), np.zeros(0, dtype=np.int64)
        return pt.concatenate(pieces, axis=1), np.concatenate(component)

    def momentum_terms(self, v, impulse):
        """(M (v - v*), J^T impulse), both (B, 6 N): the cost's gradient is their difference."""
        inertial = pt.matmul(self.mass_matrix, (v - self.free_velocity)[..., None])[..., 0]
        return inertial, pt.matmul(impulse[:, None, :], self.jacobian)[:, 0]

    def solved(self, v, impulse):
        """1 per row (B, R) whose component's coordinates v minimize the cost to sqrt(machine epsilon)
        of their momentum terms, else 0."""
        components = self.components
        member = components.dof_one_hot[None]  # (1, 6 N, C)

        def largest(x):  # per-component max of |x| (B, C)
            return pt.max(abs(x)[:, :, None] * member, axis=1)

        inertial, constraint = self.momentum_terms(v, impulse)
        tolerance = np.sqrt(np.finfo(v.dtype).eps)
        done = pt.le(largest(inertial - constraint), tolerance * (largest(inertial) + largest(constraint)))
        return components.columns(pt.cast(done, v.dtype), components.row)

    def gradient_and_hessian(self, v):
        """The cost's gradient (B, 6 N), (majorizing) Hessian (B, 6 N, 6 N) and friction bound at v."""
        impulse, weight, bound = self.impulses(v)
        inertial, constraint = self.momentum_terms(v, impulse)
        return inertial - constraint, self.hessian(weight[..., None, None] * self.side_jacobian), bound

    def newton_step(self, v):
        """The next iterate from v (B, 6 N): a Newton direction and an exact line search along it."""
        gradient, hessian, bound = self.gradient_and_hessian(v)
        direction = -self.components.solve(cholesky_solve, hessian, gradient)
        return v + self.components.spread(self.line_search(v, direction, bound)) * direction

    def implicit_gradient(self, solution):
        """``solution`` (its value unchanged) with the implicit function theorem's gradient.

        At the minimum the cost's gradient g(v; inputs) vanishes, so dv = -H^-1 dg: the gradient of
        one Newton step from the stopped solution with its Hessian held fixed.  No iterate is stored
        and no Cholesky factorization is differentiated.
        """
        gradient, _, _ = self.gradient_and_hessian(solution)
        step = -self.components.solve(linear_solve, stop_gradient(self.exact_jacobian(solution)), gradient)
        return solution + (step - stop_gradient(step))

    def exact_jacobian(self, v):
        """d gradient / d v (B, 6 N, 6 N) at v: the rows' true curvature, and on a disc's rim the
        coupling of the friction bound mu * lambda_normal to the normal row (not symmetric)."""
        pairs = self.pairs
        raw = self.unclipped_impulse(v)
        weight = self.stiffness * self.quadratic_zone(raw)  # (B, R)
        if not len(pairs):
            return self.hessian(weight[..., None, None] * self.side_jacobian)
        dtype = raw.dtype
        bound = self.friction_bound(project(raw, self.lower, self.upper))
        disc = Disc(pairs.columns(raw, pairs.first), pairs.columns(raw, pairs.second), bound)
        rim = 1.0 - pt.cast(disc.inside, dtype)
        unit1, unit2 = disc.first / disc.norm, disc.second / disc.norm
        stiffness = pairs.columns(self.stiffness, pairs.first)
        mask = pt.constant((~pairs.is_friction).astype(dtype))
        # Row-space weights d lambda_r / d u_s (with the sign of -d lambda / d u): diagonal, plus the
        # couplings within a contact, whose three rows share their bodies.
        weight = mask * weight \
            + pairs.place(stiffness * disc.scale * (1.0 - rim * unit1 * unit1), pairs.first, dtype) \
            + pairs.place(stiffness * disc.scale * (1.0 - rim * unit2 * unit2), pairs.second, dtype)
        cross = -stiffness * disc.scale * rim * unit1 * unit2
        # lambda_t = bound * unit on the rim, bound = mu * lambda_normal, d lambda_normal / d u_n = -D_n q_n.
        normal_weight = pairs.columns(self.friction, pairs.first) * pairs.columns(weight, pairs.normal)
        coupling1, coupling2 = -rim * unit1 * normal_weight, -rim * unit2 * normal_weight
        sides = self.side_jacobian
        first, second, normal = (pairs.columns(sides, index) for index in (pairs.first, pairs.second, pairs.normal))
        extra_first = cross[..., None, None] * second - coupling1[..., None, None] * normal  # (B, C, S, 6)
        extra_second = cross[..., None, None] * first - coupling2[..., None, None] * normal
        weighted = weight[..., None, None] * sides + pairs.place(extra_first, pairs.first, dtype) \
            + pairs.place(extra_second, pairs.second, dtype)
        return self.hessian(weighted)


class BlockAssembly:
    """J^T X (B, 6 N, 6 N) from two row arrays given by their body sides (B, R, S, 6), J's and X's.

    A row touches at most two bodies, so J^T X is a sum of at most four 6 x 6 blocks per row: one
    scatter-add of those blocks into the body-block grid instead of a dense (6 N x R x 6 N) product.
    Blocks on the static world are left out.  It is never differentiated (the Newton steps and the
    implicit step's Hessian are not).
    """

    def __init__(self, rows: Rows, n_bodies: int, n_batch):
        bodies = [body for body, _ in row_sides(rows)]
        self.blocks = []  # (side s, side t, rows whose bodies on both sides are not the world)
        first, second = [], []
        for s, body_s in enumerate(bodies):
            for t, body_t in enumerate(bodies):
                on_bodies = np.nonzero((body_s >= 0) & (body_t >= 0))[0]
                if len(on_bodies):
                    self.blocks.append((s, t, slice(None) if len(on_bodies) == len(body_s) else on_bodies))
                    first.append(body_s[on_bodies])
                    second.append(body_t[on_bodies])
        self.first, self.second = np.concatenate(first), np.concatenate(second)
        self.n_bodies, self.n_batch = n_bodies, n_batch

    def product(self, jacobian_sides, weighted_sides):
        n = self.n_bodies
        blocks = pt.concatenate([jacobian_sides[:, rows, s, :, None] * weighted_sides[:, rows, t, None, :]
                                 for s, t, rows in self.blocks], axis=1)  # (B, K, 6, 6)
        grid = pt.zeros((self.n_batch, n, n, 6, 6), dtype=blocks.dtype)
        grid = pt.inc_subtensor(grid[:, self.first, self.second], blocks)  # (B, N, N, 6, 6)
        return pt.reshape(grid.dimshuffle(0, 1, 3, 2, 4), (self.n_batch, 6 * n, 6 * n))


class Disc:
    """The isotropic friction bound on a contact's two tangent impulses (B, C[, K])."""

    def __init__(self, first, second, bound):
        self.first, self.second, self.bound = first, second, bound
        self.norm = pt.sqrt(first * first + second * second + 1e-30)
        self.inside = pt.lt(self.norm, bound)
        # 0 on an inactive contact (bound 0), 1 inside the disc, bound / |z| on its rim.
        self.scale = pt.switch(self.inside, 1.0, bound / pt.switch(self.inside, 1.0, self.norm))

