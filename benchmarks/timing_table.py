"""The paper's timing table: seconds to simulate 10 s of 1 and 128 quadrupeds.

The quadruped of ``symphys_models/timing_quadruped.xml`` (17 bodies, 16 hinge
servos, every body touching the ground; dt 0.01 s, 1,000 steps, colored
Gauss-Seidel, 10 sweeps) is driven by a dense controller reading 81 sensors
(16 joint angles and speeds, the torso's height, rotation, velocity and
angular velocity, the feet's positions relative to the torso, velocities and
heights, two clocks and a constant 1) and writing its 16 servo targets:
"small" is one layer 81 -> 16 (1,296 weights, the paper's), "large"
81 -> 1024 -> 1024 -> 16 (1,147,904 weights, the paper's).  The loss is the
distance the torso travels along x (mean over the batch); "gradient" rows
compute it and its gradient with respect to every weight.

Each row: compile time of that function in this process (symphys's function
cache and JAX's compilation cache are fresh folders unless --warm-cache),
then the best of up to 3 calls after a warm-up call.  Rows whose run would
take too long on a small CPU are measured over --short-steps steps and scaled
to 1,000 (marked "scaled").

    python benchmarks/timing_table.py --peers               # CPU: jax, c; MuJoCo, MJX, Brax
    python benchmarks/timing_table.py --backends jax --batches 1 128 --section timing_table_gpu
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import common
import numpy as np
from results import image_link, write_section

PAPER = {  # seconds per 10 s, i7-5930K CPU and GTX 1080 GPU (seed paper)
    ("small", 1, True): (8.17, 69.6), ("large", 1, True): (13.2, 75.0),
    ("small", 128, True): (263, 128), ("large", 128, True): (311, 129),
    ("small", 1, False): (1.06, 9.69), ("large", 1, False): (2.04, 9.69),
    ("small", 128, False): (47.7, 17.8), ("large", 128, False): (50.4, 18.3),
}


METHODS = ("gauss_seidel", "newton")


def load_model(dtype: str = "float32", iterations: int = 10, method: str = "gauss_seidel"):
    import symphys as sp

    return sp.load_mjcf(common.MODEL_FILE, dtype=dtype, method=method, iterations=iterations).build()


def sensors(model, state, step):
    """(batch, 81) controller inputs of a batch-first State at step index ``step``."""
    import symphys as sp
    from symphys import math3d
    from symphys.backend import pt

    torso = model.body_index("torso")
    feet = [model.body_index(name) for name in common.FEET]
    batch = state.position.shape[0]
    position, velocity = state.position, state.velocity
    rotation = math3d.quat_to_matrix(state.orientation[:, torso]).reshape((batch, 9))
    relative_feet = (position[:, feet] - position[:, torso:torso + 1]).reshape((batch, 12))
    one = pt.ones_like(position[:, torso, 2:3])  # (batch, 1); a constant (1, 1) trips a PyTensor rewrite
    time_s = pt.cast(step, model.dtype) * model.dt
    clocks = pt.stack([pt.sin(2 * np.pi * 1.5 * time_s), pt.cos(2 * np.pi * 1.5 * time_s),
                       pt.sin(2 * np.pi * 3.0 * time_s), pt.cos(2 * np.pi * 3.0 * time_s)])
    parts = [sp.joint_angles(model, state), sp.joint_speeds(model, state),
             position[:, torso, 2:3], rotation, velocity[:, torso], state.angular_velocity[:, torso],
             relative_feet, velocity[:, feet].reshape((batch, 12)), position[:, feet, 2],
             one * clocks, one]
    return pt.concatenate([pt.cast(p, model.dtype) for p in parts], axis=1)


def controller_output(weights, inputs):
    """Dense network without biases (the constant input is the bias): ReLU hidden layers, tanh out."""
    from symphys.backend import pt

    x = inputs
    for i, w in enumerate(weights):
        x = pt.dot(x, w)
        x = pt.maximum(x, 0.0) if i < len(weights) - 1 else common.TARGET_SCALE * pt.tanh(x)
    return x


def build_function(model, sizes, batch: int, gradient: bool, steps: int, backend: str):
    """Compiled (weights...) -> [distance] or [distance, gradient per weight matrix]."""
    import symphys as sp
    from symphys.backend import tensor

    weights = [tensor(f"W{i}", (a, b), model.dtype) for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
    state = model.initial_state(batch)
    final, _ = sp.rollout(model, state, steps,
                          controller=lambda current, step: controller_output(weights, sensors(model, current, step)))
    torso = model.body_index("torso")
    distance = (final.position[..., torso, 0] - state.position[..., torso, 0]).mean()
    outputs = [distance] + (sp.grad(distance, weights) if gradient else [])
    return sp.compile(weights, outputs, backend), sp.graph_stats(outputs)["total"]


def measure(backend: str, controller: str, batch: int, gradient: bool, steps: int, dtype: str,
            method: str) -> dict:
    model = load_model(dtype, method=method)
    sizes = common.CONTROLLERS[controller]
    weights = common.init_weights(sizes, dtype)
    start = time.perf_counter()
    fn, nodes = build_function(model, sizes, batch, gradient, steps, backend)
    compile_s = time.perf_counter() - start
    run_s, out, first_call_s = common.time_calls(fn, weights)
    distance = float(np.asarray(out[0]))
    grad_norm = float(np.sqrt(sum(np.sum(np.asarray(g, dtype=float) ** 2) for g in out[1:]))) if gradient else None
    return dict(backend=backend, method=method, controller=controller, weights=common.n_weights(sizes), batch=batch,
                gradient=gradient, steps=steps, compile_s=compile_s, first_call_s=first_call_s, run_s=run_s,
                seconds_per_10s=run_s * common.STEPS / steps, distance=distance, grad_norm=grad_norm, nodes=nodes,
                finite=bool(np.isfinite(distance) and (grad_norm is None or np.isfinite(grad_norm))))


def plan(backends, batches, controllers, short_steps, gpu: bool, steps: int = common.STEPS):
    """(backend, controller, batch, gradient, steps) rows, cheapest first.

    On a CPU, batch > 1 and the C/Numba rows are measured over
    short_steps steps (scaled); on a GPU every row runs the full 1,000 steps.
    """
    rows = []
    for backend in backends:
        # C and Numba compile for minutes per function: the small controller at batch 1 only.
        for batch in batches if backend == "jax" else batches[:1]:
            for controller in controllers if backend == "jax" else controllers[:1]:
                for gradient in (False, True):
                    long = not gpu and (batch > 1 or backend != "jax")
                    rows.append((backend, controller, batch, gradient, short_steps if long else steps))
    return rows


def markdown(results, args, machine: str, devices) -> list:
    paper_col = 1 if "gpu" in devices else 0
    model = load_model()
    lines = [f"## Paper's timing table{' on a GPU' if paper_col else ''} (`benchmarks/timing_table.py`)", "",
             f"Command: `python benchmarks/timing_table.py {' '.join(args)}`  ",
             f"Machine: {machine}; JAX devices {devices}; {time.strftime('%Y-%m-%d')}.  ",
             f"Model: `symphys_models/timing_quadruped.xml` ({model.n_bodies} bodies, {model.n_motors} servos, "
             f"{model.n_rows} constraint rows, dt 0.01; solver: colored Gauss-Seidel with 10 sweeps, or Newton "
             "with its default iterations), float32, "
             "10 s = 1,000 steps; loss = distance the torso travels; "
             "gradient w.r.t. every controller weight. Compile times are cold (fresh caches) unless noted; "
             "'first call' includes what XLA and Numba compile lazily at the first call. "
             "'scaled': measured over fewer steps, times x 1,000 / steps.", "",
             "| backend | solver | controller weights | batch | pass | s per 10 s | paper "
             + ("GPU" if paper_col else "CPU")
             + " s | paper / symphys | grad / fwd | compile s | first call s | graph nodes | distance m "
             "| steps timed |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    forward = {key(r): r["seconds_per_10s"] for r in results if not r["gradient"]}
    for r in results:
        paper = PAPER.get((r["controller"], r["batch"], r["gradient"]), (None, None))[paper_col]
        ratio = ""
        if r["gradient"] and key(r) in forward:
            ratio = f"{r['seconds_per_10s'] / forward[key(r)]:.1f}"
        paper_ratio = f"{paper / r['seconds_per_10s']:.2f}" if paper and r["finite"] else ""
        scaled = "" if r["steps"] == common.STEPS else " (scaled)"
        value = f"{r['seconds_per_10s']:.2f}{scaled}" if r["finite"] else "non-finite"
        lines.append(f"| {r['backend']} | {r['method']} | {r['weights']:,} | {r['batch']} "
                     f"| {'fwd+grad' if r['gradient'] else 'fwd'} "
                     f"| {value} | {paper or ''} | {paper_ratio} | {ratio} | {r['compile_s']:.1f} "
                     f"| {r.get('first_call_s', float('nan')):.1f} "
                     f"| {r['nodes']:,} | {r['distance']:.3f} | {r['steps']} |")
    return lines


def key(row) -> tuple:
    """A symphys row's (backend, solver, controller, batch): its forward and gradient rows share it."""
    return row["backend"], row["method"], row["controller"], row["batch"]


def peer_table(results, peer_rows, skipped) -> list:
    """Peers' rows beside symphys's JAX rows (one column per solver) of the same controller, batch and pass."""
    methods = list(dict.fromkeys(r["method"] for r in results if r["backend"] == "jax"))
    ours = {(r["method"], r["controller"], r["batch"], r["gradient"]): r for r in results
            if r["backend"] == "jax"}
    lines = ["Peers in the same run (`benchmarks/peers.py`: the same MJCF file, dt, controller, sensors "
             "and loss; MJX with 1 solver iteration; MuJoCo C forward only, controller in numpy):", "",
             "| engine | controller weights | batch | pass | s per 10 s "
             + "".join(f"| symphys {m} s | symphys {m} / peer " for m in methods)
             + "| grad / fwd | compile s | distance m | steps timed |",
             "|---|---|---|---|---|" + "---|---|" * len(methods) + "---|---|---|---|"]
    forward = {(r["engine"], r["controller"], r["batch"]): r["seconds_per_10s"] for r in peer_rows
               if not r["gradient"]}
    for r in peer_rows:
        cells = ""
        for method in methods:
            mine = ours.get((method, r["controller"], r["batch"], r["gradient"]))
            ratio = f"{mine['seconds_per_10s'] / r['seconds_per_10s']:.2f}" if mine and r["finite"] else ""
            cells += f"| {mine['seconds_per_10s']:.3g} | {ratio} " if mine else "| | "
        grad_fwd = (f"{r['seconds_per_10s'] / forward[(r['engine'], r['controller'], r['batch'])]:.1f}"
                    if r["gradient"] and (r["engine"], r["controller"], r["batch"]) in forward else "")
        value = f"{r['seconds_per_10s']:.3g}{'' if r['steps'] == common.STEPS else ' (scaled)'}" if r["finite"] \
            else "non-finite"
        lines.append(f"| {r['engine']} | {r['weights']:,} | {r['batch']} | {'fwd+grad' if r['gradient'] else 'fwd'} "
                     f"| {value} {cells}| {grad_fwd} | {r['compile_s']:.1f} | {r['distance']:.3f} | {r['steps']} |")
    lines += [f"Skipped: {reason}" for reason in skipped]
    return lines


def plot(results, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['backend']} {r['method']} {r['controller']}\n"
              f"B={r['batch']} {'grad' if r['gradient'] else 'fwd'}" for r in results]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(results)), 4))
    ax.bar(range(len(results)), [r["seconds_per_10s"] for r in results], color=[
        "tab:red" if r["gradient"] else "tab:blue" for r in results])
    ax.set_xticks(range(len(results)), labels, rotation=90, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("seconds per 10 s simulated")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["jax", "c"],
                        help="jax (every row), c, numba (small controller, batch 1; minutes of compiling each)")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 128])
    parser.add_argument("--methods", nargs="+", default=["gauss_seidel"], choices=METHODS,
                        help="solvers to time (newton: JAX only)")
    parser.add_argument("--controllers", nargs="+", default=list(common.CONTROLLERS),
                        choices=list(common.CONTROLLERS))
    parser.add_argument("--steps", type=int, default=common.STEPS,
                        help="steps of the full rows (default 1,000 = 10 s)")
    parser.add_argument("--short-steps", type=int, default=100,
                        help="steps timed (then scaled) for the slow CPU rows (default 100)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--warm-cache", action="store_true", help="keep the usual caches (compile times warm)")
    parser.add_argument("--output", default=os.path.join(common.HERE, "RESULTS.md"))
    parser.add_argument("--section", default="timing_table")
    parser.add_argument("--json", help="also write the rows as JSON here")
    parser.add_argument("--plot", default=os.path.join(common.HERE, "timing_table.png"))
    parser.add_argument("--peers", nargs="*", default=None, metavar="ENGINE",
                        help="also time these peer engines (mujoco mjx brax; none named: all) in the same run")
    parser.add_argument("--peer-batches", nargs="+", type=int, default=[1, 128])
    args = parser.parse_args(argv)
    if not args.warm_cache:
        folder = tempfile.mkdtemp(prefix="symphys-timing-")
        os.environ.update(SYMPHYS_CACHE_DIR=os.path.join(folder, "functions"),
                          SYMPHYS_JAX_CACHE=os.path.join(folder, "jax"),
                          PYTENSOR_FLAGS=f"base_compiledir={os.path.join(folder, 'pytensor')}")
    devices = common.jax_platforms()
    rows = plan(args.backends, args.batches, args.controllers, args.short_steps, "gpu" in devices, args.steps)
    results = []
    for method in args.methods:
        # Newton's dense Cholesky per iteration: C and Numba would compile for many minutes; JAX rows only.
        mine = [row for row in rows if method != "newton" or row[0] == "jax"]
        results += common.measure_rows(mine, lambda *row, m=method: measure(*row, args.dtype, m),
                                       common.row_label, f"timing table ({method})")
    peer_rows, skipped = [], []
    try:
        if args.peers is not None:
            import peers

            peer_rows, skipped = peers.main(["--engines", *(args.peers or peers.ENGINES), "--batches",
                                             *map(str, args.peer_batches), "--short-steps", str(args.short_steps),
                                             "--steps", str(args.steps)])
    finally:
        if not args.warm_cache:
            shutil.rmtree(folder, ignore_errors=True)
    machine = common.machine()
    lines = markdown(results, sys.argv[1:] if argv is None else argv, machine, devices)
    if args.peers is not None:
        lines += [""] + peer_table(results, peer_rows, skipped)
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(machine=machine, devices=devices, rows=results), f, indent=1)
    if args.plot and results:
        plot(results, args.plot, f"symphys quadruped, 10 s ({', '.join(devices)})")
        lines += ["", image_link("timing table", args.plot, args.output)]
    if args.output:
        write_section(args.output, args.section, "\n".join(lines))


if __name__ == "__main__":
    main()
