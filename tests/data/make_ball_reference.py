"""Regenerate tests/data/ball_reference.npz: the ball experiment's optimized
initial state under PyTensor (JAX), which the Aesara lane must reproduce
(tests/test_ball.py).  Run from the repository root with the default venv:

    .venv/bin/python tests/data/make_ball_reference.py
"""

import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import symphys as sp  # noqa: E402
from symphys_models import ball  # noqa: E402

SEED = 0  # ball.run's default; the gradient method starts from rest whatever the seed


def main() -> None:
    if sp.backend.GRAPH_LIBRARY != "pytensor":
        raise SystemExit("the reference is computed under PyTensor (unset SYMPHYS_GRAPH)")
    problem = ball.BallProblem(cma_batch=10, backend="jax")
    start = np.zeros(6)
    result = ball.optimize_gradient(problem, start, progress=False)
    assert result.converged, result
    path = pathlib.Path(__file__).parent / "ball_reference.npz"
    np.savez(path, initial_velocity=result.initial_velocity, iterations=result.iterations, seed=SEED,
             start=start, library=f"{sp.backend.GRAPH_LIBRARY} {sp.backend.LIBRARY_VERSION}", backend="jax")
    print(f"{path}: {result.iterations} iterations, initial state {result.initial_velocity}")


if __name__ == "__main__":
    main()
