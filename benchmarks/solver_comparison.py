"""Jacobi, colored Gauss-Seidel and Newton side by side: the physics each gets right, and its cost.

For each solver (engine defaults, no per-model joint setting):
- pendulum: a 5 cm, 1 kg sphere hanging 1 m below a ball joint (dt 5 ms): period error against the
  rigid pendulum and the largest anchor gap;
- mass ratio: a 10 g rod hinged to the world with a 100 kg sphere fixed to its end: period error
  against the rigid composite and the largest gap at the fixed joint;
- hips: the 9-body quadruped with servos of no torque, pushed forward at 1 m/s for 3 s: the largest
  hinge angle beyond the 45 deg stops;
- energy: three hinged/ball-jointed boxes (5 kg, 0.5 kg, 50 g) thrown spinning onto the ground for
  10 s without motors: the largest rise of kinetic + potential energy above its start;
- diagonal slide: a box pushed at (1.5, 1.0) m/s on mu = 0.5: the angle between its stop point and
  its initial direction;
- speed: the timing quadruped (17 bodies, 16 servos, float32, JAX, batch 1, 1,000 steps, the
  paper's small controller): seconds per 10 s forward and with the gradient, compile s.

    python benchmarks/solver_comparison.py [--methods jacobi gauss_seidel newton] [--no-timing]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import solver_scenes as scenes  # noqa: E402
from results import write_section  # noqa: E402

from symphys.model import SolverOptions  # noqa: E402


def pendulum(method):
    import symphys as sp

    model, period = scenes.ball_joint_pendulum(method)
    trajectory = sp.simulate(model, steps=int(2.3 * period / scenes.PENDULUM_DT))
    gap = np.max(np.abs(np.linalg.norm(trajectory.position[:, 0], axis=-1) - 1.0))
    measured = scenes.crossing_period(trajectory.position[:, 0, 0], scenes.PENDULUM_DT)
    return 100 * (measured / period - 1), 1e3 * gap


def mass_ratio(method):
    import symphys as sp

    lever, radius, masses = 1.0, 0.05, (0.01, 100.0)
    model = scenes.composite_pendulum(method, radius, lever)
    period = scenes.rigid_period(*masses, radius, lever)
    trajectory = sp.simulate(model, steps=int(2.3 * period / scenes.PENDULUM_DT), check=False,
                             params=model.params().replace(body_mass=np.array(masses)))
    gap = np.max(np.abs(np.linalg.norm(trajectory.position[:, 1], axis=-1) - lever))
    x = trajectory.position[:, 1, 0]
    finite = np.all(np.isfinite(x))
    error = 100 * (scenes.crossing_period(x, scenes.PENDULUM_DT) / period - 1) if finite else float("nan")
    return error, 1e3 * gap


def hips(method):
    from symphys_models import quadruped

    angles = scenes.pushed_quadruped_angles(method, seconds=3.0, joint_frequency=60.0)
    return np.degrees(np.max(np.abs(angles)) - quadruped.LIMIT)


def energy(method):
    import symphys as sp

    model = scenes.tumbling_robot(method)
    total = scenes.total_energy(model, sp.simulate(model, steps=1000, check=False))
    return 100 * (np.max(total) - total[0]) / abs(total[0])


def diagonal(method):
    import symphys as sp

    end = sp.simulate(scenes.diagonal_slide(method), steps=150).position[-1, 0]
    return np.degrees(np.arctan2(end[1], end[0]) - np.arctan2(1.0, 1.5))


def timing(method):
    """{pass: (s per 10 s, compile + first call s, nodes)} of the timing quadruped, in a process of its own
    (float32 JAX after this process's float64 graphs would be refused)."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--timing-only", method], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def timing_here(method):
    import timing_table

    import symphys as sp

    model = sp.load_mjcf(common.MODEL_FILE, dtype="float32", method=method).build()
    sizes = common.CONTROLLERS["small"]
    weights = common.init_weights(sizes, "float32")
    row = {}
    for gradient in (False, True):
        start = time.perf_counter()
        fn, nodes = timing_table.build_function(model, sizes, 1, gradient, common.STEPS, "jax")
        compile_s = time.perf_counter() - start
        run_s, _, first_call_s = common.time_calls(fn, weights)
        row["grad" if gradient else "fwd"] = (run_s, compile_s + first_call_s, nodes)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=["jacobi", "gauss_seidel", "newton"])
    parser.add_argument("--no-timing", action="store_true", help="skip the timing quadruped")
    parser.add_argument("--output", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument("--timing-only", metavar="METHOD", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.timing_only:
        import json

        print(json.dumps(timing_here(args.timing_only)))
        return
    rows = []
    for method in args.methods:
        row = dict(method=method)
        for name, fn in (("pendulum", pendulum), ("mass_ratio", mass_ratio), ("hips", hips), ("energy", energy),
                         ("diagonal", diagonal)):
            row[name] = fn(method)
            print(method, name, row[name], flush=True)
        if not args.no_timing and method != "jacobi":
            row["timing"] = timing(method)
            print(method, "timing", row["timing"], flush=True)
        rows.append(row)
    lines = ["## Solvers compared (`benchmarks/solver_comparison.py`)", "",
             "Command: `python benchmarks/solver_comparison.py " + " ".join(argv or sys.argv[1:]) + "`  ",
             f"Machine: {common.machine()}; {time.strftime('%Y-%m-%d')}. Engine defaults for each method "
             f"(Gauss-Seidel and Jacobi 10 sweeps, joint rows 60 Hz; Newton {SolverOptions().newton_iterations} "
             "iterations, rigid_impedance "
             "0.9999, bound_impedance 0.999). See the script's docstring for each model.", "",
             "| method | pendulum period % | pendulum anchor gap mm | 10 g rod + 100 kg bob period % | its fixed-joint "
             "gap mm | hips past stops deg | energy rise % | diagonal slide off deg | timing quadruped fwd s / 10 s "
             "| fwd+grad s / 10 s | compile fwd / grad s (first call incl.) | nodes fwd / grad |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t = r.get("timing")
        timing_cells = (f"{t['fwd'][0]:.2f} | {t['grad'][0]:.2f} | {t['fwd'][1]:.0f} / {t['grad'][1]:.0f} | "
                        f"{t['fwd'][2]:,} / {t['grad'][2]:,}") if t else "not run | | |"
        lines.append(f"| {r['method']} | {r['pendulum'][0]:+.3f} | {r['pendulum'][1]:.3f} | {r['mass_ratio'][0]:+.2f} "
                     f"| {r['mass_ratio'][1]:.2f} | {r['hips']:.2f} | {r['energy']:.2f} | {r['diagonal']:+.2f} "
                     f"| {timing_cells} |")
    write_section(args.output, "solver_comparison", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
