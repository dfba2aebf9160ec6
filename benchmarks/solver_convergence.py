"""Solver convergence: Jacobi vs colored Gauss-Seidel, iterations, warm start.

Scene: a sphere, a box and a lying capsule resting on the ground for 10 s,
plus a box sliding at 2 m/s with mu = 0.5.  Measures the resting drift and
penetration, the sliding stop distance against the discrete closed form,
jitter over the last second, and run time of 1,000 steps (JAX, CPU).

    python benchmarks/solver_convergence.py
"""

from __future__ import annotations

import argparse
import os
import time

import common
import numpy as np
from results import write_section

import symphys as sp

G = 9.81


def scene(method, iterations, warm_start):
    world = sp.World(dt=0.01, method=method, iterations=iterations, warm_start=warm_start)
    world.add_ground(friction=0.5)
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0.1))
    world.add_box(half_extents=(0.1, 0.2, 0.05), mass=2.0, position=(1, 0, 0.05))
    world.add_capsule(radius=0.05, length=0.3, position=(2, 0, 0.05),
                      orientation=(np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0))
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=2.0, position=(3, 0, 0.1),
                  velocity=(2, 0, 0), friction=0.5)
    return world.build()


def main():
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    n = int(2.0 / (0.5 * G * 0.01))
    discrete_stop = 0.01 * (n * 2.0 - 0.5 * G * 0.01 * n * (n + 1) / 2)
    lines = ["## Solver convergence (`benchmarks/solver_convergence.py`)", "",
             "Command: `python benchmarks/solver_convergence.py`. Resting sphere, box and capsule "
             "for 10 s (dt 0.01); a box sliding at 2 m/s, mu 0.5. Stop distance: continuous "
             f"v^2/(2 mu g) = {4 / (2 * 0.5 * G):.4f} m, discrete semi-implicit Euler "
             f"{discrete_stop:.4f} m.", "",
             "| method | sweeps | warm start | max resting drift mm | max penetration mm | "
             "stop distance m | max speed last 1 s m/s | 1,000 steps s |",
             "|---|---|---|---|---|---|---|---|"]
    for method in ("jacobi", "gauss_seidel"):
        for iterations in (5, 10, 20):
            for warm in (True, False):
                model = scene(method, iterations, warm)
                sp.simulate(model, steps=1000)
                start = time.perf_counter()
                traj = sp.simulate(model, steps=1000)
                seconds = time.perf_counter() - start
                resting = [0, 1, 2]
                drift = np.linalg.norm(traj.position[-1, resting] - traj.position[0, resting], axis=-1)
                penetration = -(traj.position[-1, resting, 2] - traj.position[0, resting, 2])
                stop = traj.position[-1, 3, 0] - 3.0
                jitter = np.abs(traj.velocity[-100:, resting]).max()
                lines.append(f"| {method} | {iterations} | {'yes' if warm else 'no'} | "
                             f"{1e3 * drift.max():.3f} | {1e3 * penetration.max():.3f} | "
                             f"{stop:.4f} | {jitter:.1e} | {seconds:.3f} |")
                print(lines[-1], flush=True)
    write_section(os.path.join(common.HERE, "RESULTS.md"), "solver_convergence", "\n".join(lines))


if __name__ == "__main__":
    main()
