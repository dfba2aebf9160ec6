"""Colored Gauss-Seidel's hand-written gradient against the automatic gradient of the same sweeps."""

import types

import numpy as np
import pytest

from symphys import backend as B
from symphys.physics.rows import OPEN_BOUND
from symphys.physics.solver_gauss_seidel import ColoredSolver, ColorLayout, color_rows

N_BODIES = 6


def random_rows(rng, n_rows, n_sides):
    """Rows between random bodies (the world, -1, on the second side of some) in the solver's
    packed layout: [target, compliance, 1 / denominator, lower, upper, friction, (J, M^-1 J^T) per side].
    Every third row is a friction row bounded by the row before it; some rows are equalities, some
    one-sided (contacts, limits) and some bounded (motors), so every branch of the projection is taken."""
    body_a = rng.integers(0, N_BODIES, n_rows)
    body_b = np.where(rng.random(n_rows) < 0.3, -1, (body_a + rng.integers(1, N_BODIES, n_rows)) % N_BODIES)
    if n_sides == 1:
        body_b[:] = -1
    normal_row = np.arange(n_rows)
    friction = np.zeros(n_rows)
    kind = np.arange(n_rows) % 3
    friction_rows = np.nonzero(kind == 2)[0]
    normal_row[friction_rows] = friction_rows - 1
    friction[friction_rows] = rng.uniform(0.3, 1.0, len(friction_rows))
    body_a[friction_rows], body_b[friction_rows] = body_a[friction_rows - 1], body_b[friction_rows - 1]
    lower = np.where(kind == 0, -OPEN_BOUND, 0.0)  # equalities; contacts push (>= 0), friction 0 +- mu lambda_n
    upper = np.where(kind == 2, 0.0, OPEN_BOUND)
    motors = np.nonzero((kind == 0) & (rng.random(n_rows) < 0.5))[0]
    lower[motors], upper[motors] = -0.3, 0.3
    # Consistent soft rows: M^-1 J^T from each body's (diagonal) inverse mass and inertia, mass ratios up
    # to 20, and 1 / (J M^-1 J^T + compliance) as the denominator, so the sweeps converge.
    inverse_mass = rng.uniform(0.1, 2.0, (N_BODIES, 6))
    sides, effective = [], np.zeros(n_rows)
    for body in [body_a, body_b][:n_sides]:
        jacobian = rng.normal(0, 1, (n_rows, 6))
        minv_jt = np.where(body[:, None] >= 0, inverse_mass[body] * jacobian, 0.0)  # the world does not move
        effective += (jacobian * minv_jt).sum(axis=-1)
        sides += [jacobian, minv_jt]
    compliance = rng.uniform(0.0, 0.3, n_rows) * effective
    fields = np.stack([rng.normal(0, 1, n_rows), compliance, 1.0 / (effective + compliance), lower, upper, friction],
                      axis=-1)
    rows = types.SimpleNamespace(body_a=body_a, body_b=body_b, normal_row=normal_row, n_rows=n_rows)
    return rows, np.concatenate([fields] + sides, axis=-1)


def slot_data(layout, row_data, batch, rng):
    """(C, P, B, K) solver data from (R, K) rows, perturbed per world; padding slots zero."""
    per_world = row_data[None] * rng.uniform(0.9, 1.1, (batch, *row_data.shape))
    padded = np.concatenate([per_world, np.zeros((batch, 1, row_data.shape[-1]))], axis=1)[:, layout.slot_row]
    return padded.reshape(batch, layout.n_colors, layout.n_slots, -1).transpose(1, 2, 0, 3)


def test_coloring_gives_no_body_twice_in_a_color():
    rng = np.random.default_rng(0)
    rows, _ = random_rows(rng, 40, 2)
    colors = color_rows(rows.body_a, rows.body_b)
    for c in range(colors.max() + 1):
        bodies = np.concatenate([rows.body_a[colors == c], rows.body_b[colors == c]])
        bodies = bodies[bodies >= 0]
        assert len(bodies) == len(set(bodies)), c


def sweeps_problem(n_sides, sweeps, relaxation, batch=2):
    """A solver, its (data, impulse, velocity) inputs and values, and a random linear cost of its results."""
    rng = np.random.default_rng([n_sides, sweeps])
    rows, row_data = random_rows(rng, 24, n_sides)
    layout = ColorLayout.of_rows(rows, N_BODIES, n_sides)
    solver = ColoredSolver(layout, sweeps, relaxation, "float64")
    values = [slot_data(layout, row_data, batch, rng), 0.1 * rng.normal(size=(layout.n_colors, layout.n_slots, batch)),
              np.concatenate([rng.normal(size=(N_BODIES, batch, 6)), np.zeros((1, batch, 6))])]
    inputs = [B.tensor(name, value.shape, "float64") for name, value in zip(["data", "impulse", "velocity"], values)]
    weights = [rng.normal(size=(layout.n_colors, layout.n_slots, batch)), rng.normal(size=(N_BODIES + 1, batch, 6))]
    weights[1][-1] = 0.0  # the world's row is not a result

    def cost(impulse, velocity):
        return (impulse * weights[0]).sum() + (velocity * weights[1]).sum()

    return solver, layout, inputs, values, cost


# Aesara: the engine differentiates the sweeps automatically (no custom gradients, B.custom_gradient_missing).
needs_custom_gradient = pytest.mark.skipif(B.custom_gradient_missing() is not None,
                                           reason=str(B.custom_gradient_missing()))


@needs_custom_gradient
@pytest.mark.parametrize("backend", [pytest.param("jax", marks=pytest.mark.backends("jax")), "c"])
@pytest.mark.parametrize("n_sides, sweeps, relaxation", [(2, 1, 1.0), (2, 7, 1.0), (1, 4, 0.8), (2, 3, 1.3)])
def test_pullback_equals_the_automatic_gradient_of_the_sweeps(backend, n_sides, sweeps, relaxation):
    """Gradients of a random linear function of the final impulses and velocities with respect to the row
    data, the warm-start impulses and the starting velocities: the pullback written by hand (the one the
    engine uses) against the graph library's automatic gradient of the same forward sweeps, float64."""
    batch = 2
    solver, layout, inputs, values, cost = sweeps_problem(n_sides, sweeps, relaxation, batch)
    automatic = solver.forward(*inputs)[:2]
    custom = B.custom_gradient(solver.forward, solver.pullback, inputs, name="gauss_seidel_test")[:2]
    # The reference runs on C: JAX cannot trace the automatic gradient of these nested scans outside a
    # rollout (a dynamic slice in a gradient scan); the engine's pullback never needs it.
    reference = B.function(inputs, [*automatic, *B.grad(cost(*automatic), inputs)], mode=B.make_mode("c"))
    candidate = B.function(inputs, [*custom, *B.grad(cost(*custom), inputs)], mode=B.make_mode(backend))
    with B.call_context("c", "float64"):
        expected = reference(*values)
    with B.call_context(backend, "float64"):
        actual = candidate(*values)
    for name, a, c in zip(["impulse", "velocity"], expected[:2], actual[:2]):
        np.testing.assert_allclose(c, a, rtol=1e-12, atol=1e-12 * np.abs(a).max(), err_msg=name)
    # Every kind of row is live: friction rows load, contacts both open and push.
    final_impulse = expected[0].reshape(-1, batch)[layout.slot]
    assert np.any(np.abs(final_impulse[2::3]) > 1e-3), "friction rows never load"
    assert np.any(final_impulse[1::3] == 0.0) and np.any(final_impulse[1::3] > 0.0), "contacts neither open nor push"
    for name, a, c in zip(["data", "impulse", "velocity"], expected[2:], actual[2:]):
        assert np.abs(a).max() > 1e-3, name
        np.testing.assert_allclose(c, a, rtol=1e-10, atol=1e-10 * np.abs(a).max(), err_msg=name)


@needs_custom_gradient
def test_pullback_matches_central_differences():
    """The pullback's directional derivatives along random directions of (data, impulse, velocity) equal
    central differences of the forward sweeps (float64, the graph library's default backend)."""
    solver, _, inputs, values, cost = sweeps_problem(2, 5, 1.0)
    result = cost(*B.custom_gradient(solver.forward, solver.pullback, inputs, name="gauss_seidel_test")[:2])
    fn = B.function(inputs, [result, *B.grad(result, inputs)], mode=B.make_mode(None))
    backend = B.resolve_backend(None)

    def evaluate(point):
        with B.call_context(backend, "float64"):
            return fn(*point)

    _, *gradients = evaluate(values)
    rng = np.random.default_rng(1)
    eps = 1e-6
    for _ in range(3):
        direction = [rng.normal(size=v.shape) for v in values]
        # Bounds and friction coefficients stay put: where bounds tie (padding slots, and friction rows of
        # a contact at rest: mu * 0 on both sides) moving them crosses a kink of the projection, which
        # central differences average and the gradient takes from one side, the automatic gradient's too
        # (rows.project); the test against the automatic gradient covers them.
        direction[0][..., 3:6] = 0.0
        exact = sum((g * d).sum() for g, d in zip(gradients, direction))
        plus = evaluate([v + eps * d for v, d in zip(values, direction)])[0]
        minus = evaluate([v - eps * d for v, d in zip(values, direction)])[0]
        numeric = (plus - minus) / (2 * eps)
        assert abs(exact) > 1.0
        assert abs(exact - numeric) <= 1e-6 * abs(exact), (exact, numeric)
