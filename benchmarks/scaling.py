"""How symphys's cost grows: time per step against bodies and batch, forward and gradient.

Boxes dropped on the ground (``bench_core.boxes_model``: dt 0.01, Jacobi 10
sweeps, float32), ``--steps`` steps (default 50) per call; the loss is the
mean x position after the rollout, the gradient is with respect to every
initial velocity.  Rows: 1-64 boxes at batch 1, then batch 1-1024 with 8
boxes.  Each point: compile, one warm-up call, best of up to 3.  Writes the
table to RESULTS.md (section ``scaling``) and a log-log plot.

``--scene spheres``: N spheres dropped into a corral of four fixed boxes,
every pair of bodies a candidate (body-body contacts, issue 19): rows,
compile time cold (fresh caches) and warm (a second process), and forward
time per step for each N and solver, each measured in fresh processes.
Writes section ``scaling_spheres``.

    python benchmarks/scaling.py
    python benchmarks/scaling.py --scene spheres --bodies 8 32 128 --steps 50
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import common
import numpy as np
from bench_core import build
from results import image_link, write_section

from symphys.model import SolverOptions


def measure(n_boxes: int, batch: int, gradient: bool, steps: int, method: str = "jacobi",
            backend: str = "jax") -> dict:
    import symphys as sp

    batch_axis = None if batch == 1 else batch
    model, state, outputs = build(batch_axis, gradient, steps, n_boxes=n_boxes, dtype="float32", method=method)
    start = time.perf_counter()
    fn = sp.compile([state.velocity], outputs, backend)
    compile_s = time.perf_counter() - start
    best, out, _ = common.time_calls(fn, [model.initial_state(batch_axis).velocity])
    return dict(boxes=n_boxes, method=method, batch=batch, gradient=gradient, steps=steps, compile_s=compile_s,
                ms_per_step=1e3 * best / steps, finite=bool(np.all(np.isfinite(np.asarray(out[0])))))


SPHERE_RADIUS = 0.05  # m
SPHERE_SPACING = 0.12  # m between the centres of the grid the spheres start on
SPHERES_PER_ROW = 6  # a layer of the grid is 6 x 6 spheres


def spheres_in_a_box(n_spheres: int, method: str = "auto", distant: float | None = None, seed: int = 0):
    """N spheres (r 0.05 m, 0.5 kg) on a grid of 6 x 6 layers, 0.02 m apart, dropped with small random
    horizontal velocities (seeded) into a corral of four fixed boxes on the ground; dt 0.01, float64.
    Every pair is a candidate, unless ``distant`` (m): then world.exclude_distant_contacts(distant)."""
    import symphys as sp

    world = sp.World(dt=0.01, method=method)
    world.add_ground(friction=0.5)
    inner = SPHERES_PER_ROW * SPHERE_SPACING / 2 + 0.02  # m, half the corral's inner width
    layers = -(-n_spheres // SPHERES_PER_ROW**2)
    height = SPHERE_SPACING * layers + 0.2
    for name, centre, half in (("wall_north", (0, inner + 0.02), (inner + 0.04, 0.02)),
                               ("wall_south", (0, -inner - 0.02), (inner + 0.04, 0.02)),
                               ("wall_east", (inner + 0.02, 0), (0.02, inner)),
                               ("wall_west", (-inner - 0.02, 0), (0.02, inner))):
        world.add_box(half_extents=(*half, height / 2), position=(*centre, height / 2), fixed=True, name=name)
    rng = np.random.default_rng(seed)
    offset = (SPHERES_PER_ROW - 1) * SPHERE_SPACING / 2
    for i in range(n_spheres):
        layer, cell = divmod(i, SPHERES_PER_ROW**2)
        row, column = divmod(cell, SPHERES_PER_ROW)
        world.add_sphere(radius=SPHERE_RADIUS, mass=0.5, friction=0.5, restitution=0.3,
                         position=(column * SPHERE_SPACING - offset, row * SPHERE_SPACING - offset,
                                   SPHERE_RADIUS + 0.02 + layer * SPHERE_SPACING),
                         velocity=(*rng.normal(0.0, 0.2, 2), 0.0))
    if distant is not None:
        world.exclude_distant_contacts(distant)
    return world.build()


MAX_LAYOUT_BYTES = 2e9  # Gauss-Seidel's (rows x colours * slots) one-hot constant above which a row is skipped


def gauss_seidel_layout(model) -> tuple[int, int, float]:
    """(colours, slots per colour, bytes of the rows x (colours * slots) one-hot) that Gauss-Seidel's
    colored sweeps would build for a model of ground and body-body contacts (3 rows each)."""
    from symphys.physics.solver_gauss_seidel import color_rows

    pairs = np.concatenate([model.pair_round_body.reshape(-1, 2), model.pair_box_body.reshape(-1, 2),
                            model.pair_edge_body.reshape(-1, 2)])
    side = np.where(model.fixed_mask[pairs], -1, pairs)
    body_a = np.concatenate([np.tile(model.contact_body, 3), np.tile(side[:, 0], 3)])
    body_b = np.concatenate([np.full(3 * len(model.contact_body), -1), np.tile(side[:, 1], 3)])
    colors = color_rows(body_a, body_b)
    n_colors, n_slots = int(colors.max()) + 1, int(np.bincount(colors).max())
    return n_colors, n_slots, len(body_a) * n_colors * n_slots * np.dtype(model.dtype).itemsize


def sphere_child(n_spheres: int, method: str, steps: int, distant: float | None) -> None:
    """In a fresh process: compile a forward rollout (to its first result), then time it; prints JSON."""
    start = time.perf_counter()
    import symphys as sp

    model = spheres_in_a_box(n_spheres, method, distant)
    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, steps)
    fn = sp.compile([state.velocity], [final.position], "jax")
    out = fn(model.init_velocity)
    compile_s = time.perf_counter() - start
    best, out, _ = common.time_calls(fn, [model.init_velocity])
    pairs = model.n_pair_contacts
    print(json.dumps(dict(spheres=n_spheres, method=model.solver_method, distant=distant, steps=steps,
                          bodies=model.n_bodies, pair_rows=3 * model.n_pair_contacts, rows=model.n_rows,
                          candidates=pairs, compile_s=compile_s, from_cache=bool(fn.from_cache),
                          ms_per_step=1e3 * best / steps,
                          finite=bool(np.all(np.isfinite(np.asarray(out[0])))))))


def measure_spheres(n_spheres: int, method: str, steps: int, distant: float | None) -> dict:
    """Two fresh processes sharing fresh cache folders: the first compiles cold, the second warm."""
    folder = tempfile.mkdtemp(prefix="symphys-spheres-")
    env = dict(os.environ, SYMPHYS_CACHE_DIR=os.path.join(folder, "functions"),
               SYMPHYS_JAX_CACHE=os.path.join(folder, "jax"),
               PYTENSOR_FLAGS=f"base_compiledir={os.path.join(folder, 'pytensor')}")
    command = [sys.executable, os.path.abspath(__file__), "--child", str(n_spheres), method, str(steps),
               "none" if distant is None else str(distant)]
    try:
        cold, warm = (json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True)
                                 .stdout.strip().splitlines()[-1]) for _ in range(2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return dict(warm, compile_cold_s=cold["compile_s"], compile_warm_s=warm["compile_s"],
                ms_per_step=min(cold["ms_per_step"], warm["ms_per_step"]))


def spheres_main(args, argv) -> None:
    devices = common.jax_platforms()
    candidates = [(n, method, None) for n in args.bodies for method in args.methods]
    candidates += [(n, args.methods[0], args.distant) for n in args.bodies if args.distant is not None]
    rows, skipped = [], []
    for n, method, distant in candidates:
        model = spheres_in_a_box(n, method, distant)
        if model.solver_method == "gauss_seidel":
            n_colors, n_slots, size = gauss_seidel_layout(model)
            if size > MAX_LAYOUT_BYTES:
                skipped.append(f"{n} spheres, Gauss-Seidel: not run; {model.n_rows:,} rows in {n_colors} colours of "
                               f"up to {n_slots} slots, a {size / 1e9:.1f} GB one-hot layout (the process was "
                               "killed for memory)")
                continue
        rows.append((n, method, distant))
    results = common.measure_rows(rows, lambda n, method, distant: measure_spheres(n, method, args.steps, distant),
                                  lambda n, method, distant: f"{n} spheres {method}"
                                  + ("" if distant is None else f" distant {distant}"), "spheres")
    lines = ["## Scaling: N spheres in a box (`benchmarks/scaling.py --scene spheres`)", "",
             f"Command: `python benchmarks/scaling.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
             f"Machine: {common.machine()}; JAX devices {devices}; {time.strftime('%Y-%m-%d')}.  ",
             "N spheres (r 0.05 m) dropped into a corral of 4 fixed boxes on the ground, dt 0.01, float64, JAX, "
             f"10 solver sweeps, forward only, {args.steps} steps per call. Candidates: every pair of bodies "
             "(sphere-sphere and sphere-wall), or with `exclude_distant_contacts(d)` only pairs whose bounding "
             "spheres start within d. Compile: from process start to the first result, cold (empty caches) "
             "and warm (a second process).", "",
             "| spheres | solver | candidates | pair rows | all rows | ms/step | compile cold s | compile warm s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        rule = "" if r["distant"] is None else f", within {r['distant']} m"
        lines.append(f"| {r['spheres']} | {r['method']}{rule} | {r['candidates']:,} | {r['pair_rows']:,} "
                     f"| {r['rows']:,} | {r['ms_per_step']:.2f} | {r['compile_cold_s']:.1f} "
                     f"| {r['compile_warm_s']:.1f} |")
    lines += [""] + [f"- {line}" for line in skipped]
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(dict(devices=devices, rows=results), handle, indent=1)
    if args.output:
        write_section(args.output, "scaling_spheres", "\n".join(lines))


def main(argv=None):
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        n, method, steps, distant = sys.argv[2:6]
        sphere_child(int(n), method, int(steps), None if distant == "none" else float(distant))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scene", choices=["boxes", "spheres"], default="boxes")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="solvers (spheres: auto jacobi, auto picking Gauss-Seidel for body contacts; "
                             "boxes: jacobi, the batch rows with the first only)")
    parser.add_argument("--distant", type=float, default=None,
                        help="--scene spheres: also measure the first solver with exclude_distant_contacts(this)")
    parser.add_argument("--bodies", nargs="+", type=int, default=None,
                        help="boxes: 1 4 16 64; spheres: 8 32 128")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 16, 128, 1024])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--output", default=os.path.join(common.HERE, "RESULTS.md"))
    parser.add_argument("--section", default="scaling")
    parser.add_argument("--plot", default=os.path.join(common.HERE, "scaling.png"))
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    if args.scene == "spheres":
        args.bodies = args.bodies or [8, 32, 128]
        args.methods = args.methods or ["auto", "jacobi"]
        return spheres_main(args, argv)
    args.bodies = args.bodies or [1, 4, 16, 64]
    args.methods = args.methods or ["jacobi"]
    devices = common.jax_platforms()
    points = [(n, 1, m) for m in args.methods for n in args.bodies] + [(8, b, args.methods[0]) for b in args.batches]
    rows = [(n, b, m, gradient) for n, b, m in points for gradient in (False, True)]
    results = common.measure_rows(rows, lambda n, b, m, gradient: measure(n, b, gradient, args.steps, m),
                                  lambda n, b, m, gradient: f"{n} boxes {m} B={b} {'grad' if gradient else 'fwd'}",
                                  "scaling")
    by = {(r["boxes"], r["batch"], r["method"], r["gradient"]): r for r in results}
    lines = ["## Scaling: bodies and batch (`benchmarks/scaling.py`)", "",
             f"Command: `python benchmarks/scaling.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
             f"Machine: {common.machine()}; JAX devices {devices}; "
             f"{time.strftime('%Y-%m-%d')}.  ",
             f"Boxes dropped on the ground, dt 0.01, float32, JAX (Jacobi and Gauss-Seidel 10 sweeps, Newton "
             f"{SolverOptions().newton_iterations} iterations); {args.steps} steps per call; "
             "gradient w.r.t. every initial velocity. Milliseconds per step (per step of the whole batch).", "",
             "| boxes | solver | batch | fwd ms/step | fwd+grad ms/step | grad/fwd | fwd ms/step per world | "
             "compile fwd / grad s |", "|---|---|---|---|---|---|---|---|"]
    for n, b, m in points:
        f, g = by.get((n, b, m, False)), by.get((n, b, m, True))
        if not (f and g):
            continue
        lines.append(f"| {n} | {m} | {b} | {f['ms_per_step']:.3f} | {g['ms_per_step']:.3f} | "
                     f"{g['ms_per_step'] / f['ms_per_step']:.1f} | {f['ms_per_step'] / b:.4f} | "
                     f"{f['compile_s']:.1f} / {g['compile_s']:.1f} |")
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(dict(devices=devices, rows=results), handle, indent=1)
    if args.plot and results:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
        for ax, key, xs, fixed in ((axes[0], "boxes", args.bodies, dict(batch=1)),
                                   (axes[1], "batch", args.batches, dict(boxes=8, method=args.methods[0]))):
            for m, style in zip(args.methods, ("o-", "s--", "^:")):
                for gradient, color in ((False, "tab:blue"), (True, "tab:red")):
                    pts = [(r[key], r["ms_per_step"]) for r in results if r["gradient"] == gradient
                           and r["method"] == m and all(r[k] == v for k, v in fixed.items()) and r[key] in xs]
                    if pts:
                        ax.loglog(*zip(*sorted(pts)), style, color=color,
                                  label=f"{m} {'fwd+grad' if gradient else 'fwd'}")
            ax.set_xlabel("boxes (batch 1)" if key == "boxes" else "batch (8 boxes)")
            ax.set_ylabel("ms per step")
            ax.legend()
        fig.suptitle(f"symphys cost per step ({', '.join(devices)})")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
        lines += ["", image_link("scaling", args.plot, args.output)]
    if args.output:
        write_section(args.output, args.section, "\n".join(lines))


if __name__ == "__main__":
    main()
