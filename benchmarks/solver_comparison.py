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
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import common  # noqa: E402
from results import write_section  # noqa: E402

G = 9.81


def crossing_period(x, dt):
    s = np.sign(x)
    index = np.nonzero((s[:-1] > 0) & (s[1:] <= 0))[0]
    return np.mean(np.diff((index + x[index] / (x[index] - x[index + 1])) * dt))


def pendulum(method):
    import symphys as sp

    dt = 0.005
    world = sp.World(dt=dt, method=method)
    bob = world.add_sphere(radius=0.05, mass=1.0, position=(np.sin(0.1), 0, -np.cos(0.1)))
    world.add_ball_joint(None, bob, anchor=(0, 0, 0))
    period = 2 * np.pi * np.sqrt((0.4 * 0.05**2 + 1.0) / G)
    trajectory = sp.simulate(world.build(), steps=int(2.3 * period / dt))
    gap = np.max(np.abs(np.linalg.norm(trajectory.position[:, 0], axis=-1) - 1.0))
    return 100 * (crossing_period(trajectory.position[:, 0, 0], dt) / period - 1), 1e3 * gap


def mass_ratio(method):
    import symphys as sp

    dt, angle, lever, radius = 0.005, 0.1, 1.0, 0.05
    world = sp.World(dt=dt, method=method)
    direction = np.array([np.sin(angle), 0.0, -np.cos(angle)])
    rod = world.add_box(half_extents=(0.01, 0.01, lever / 2), mass=0.01, position=direction * lever / 2,
                        orientation=(np.cos(angle / 2), 0.0, np.sin(angle / 2), 0.0))
    bob = world.add_sphere(radius=radius, mass=100.0, position=direction * lever)
    world.add_hinge(None, rod, anchor=(0, 0, 0), axis=(0, 1, 0))
    world.add_fixed(rod, bob)
    inertia = 0.01 * (lever**2 / 3 + 0.02**2 / 12) + 100.0 * (0.4 * radius**2 + lever**2)
    centre = (0.01 * lever / 2 + 100.0 * lever) / 100.01
    period = 2 * np.pi * np.sqrt(inertia / (100.01 * G * centre))
    trajectory = sp.simulate(world.build(), steps=int(2.3 * period / dt), check=False)
    gap = np.max(np.abs(np.linalg.norm(trajectory.position[:, 1], axis=-1) - lever))
    x = trajectory.position[:, 1, 0]
    error = 100 * (crossing_period(x, dt) / period - 1) if np.all(np.isfinite(x)) else float("nan")
    return error, 1e3 * gap


def hips(method):
    import symphys as sp
    from symphys_models import quadruped

    model = quadruped.build_model(method=method, max_torque=1e-9, joint_frequency=60.0)
    state = model.initial_state()
    state = state.replace(velocity=state.velocity + np.array([1.0, 0.0, 0.0]))
    s = sp.symbolic_state(model)
    _, trajectory = sp.rollout(model, s, 600)
    angles = sp.compile([s.velocity], [sp.joint_angles(model, trajectory)])(state.velocity)[0]
    return np.degrees(np.max(np.abs(angles)) - quadruped.LIMIT)


def energy(method):
    import symphys as sp
    from symphys.rotations import quat_to_matrix

    world = sp.World(dt=0.01, method=method)
    world.add_ground(friction=0.8)
    a = world.add_box(half_extents=(0.2, 0.1, 0.05), mass=5.0, position=(0, 0, 1.0), velocity=(1, 0.5, 0),
                      angular_velocity=(2, -3, 1))
    b = world.add_box(half_extents=(0.15, 0.05, 0.05), mass=0.5, position=(0.35, 0, 1.0))
    c = world.add_box(half_extents=(0.15, 0.05, 0.05), mass=0.05, position=(0.65, 0, 1.0))
    world.add_hinge(a, b, anchor=(0.2, 0, 1.0), axis=(0, 1, 0), lower=-1.0, upper=1.0)
    world.add_ball_joint(b, c, anchor=(0.5, 0, 1.0))
    model = world.build()
    t = sp.simulate(model, steps=1000, check=False)
    omega = np.einsum("tnji,tnj->tni", quat_to_matrix(t.orientation), t.angular_velocity)
    total = 0.5 * np.sum(model.body_mass * np.sum(t.velocity**2, -1), -1) \
        + 0.5 * np.sum(np.sum(model.body_inertia * omega**2, -1), -1) \
        + np.sum(model.body_mass * G * t.position[..., 2], -1)
    return 100 * (np.max(total) - total[0]) / abs(total[0])


def diagonal(method):
    import symphys as sp

    world = sp.World(dt=0.01, method=method)
    world.add_ground(friction=0.5)
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=1.0, position=(0, 0, 0.0996), velocity=(1.5, 1.0, 0),
                  friction=0.5)
    end = sp.simulate(world.build(), steps=150).position[-1, 0]
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
             "(Gauss-Seidel and Jacobi 10 sweeps, joint rows 60 Hz; Newton 8 iterations, rigid_impedance "
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
