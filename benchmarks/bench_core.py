"""Core engine benchmark: graph size, compile times, run times.

For each backend: node counts of the forward and gradient graphs; cold
compile (empty caches, fresh process) and warm compile (second process,
symphys's compiled-function cache and JAX's compilation cache filled) of
the gradient of a 1,000-step rollout; forward and forward+gradient time of
1,000 steps for 1 and 128 worlds of 8 boxes (dt 0.01, 10 solver sweeps).

    python benchmarks/bench_core.py                 # all backends, writes RESULTS.md
    python benchmarks/bench_core.py --backends jax  # one backend
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
from results import write_section

STEPS = 1000


def boxes_model(n_boxes=8, dtype="float64", method="auto"):
    import symphys as sp

    world = sp.World(dt=0.01, dtype=dtype, method=method)
    world.add_ground(friction=0.8)
    # The core benchmark measures ground contacts: with body contacts on (the default since issue 19),
    # the 8 boxes' 28 pairs add 2,016 candidate rows and the scene measures those instead.
    for i in range(n_boxes):
        world.add_box(half_extents=(0.1, 0.1, 0.1), mass=1.0,
                      position=(0.4 * i, 0.0, 0.3 + 0.05 * i), velocity=(1.0, 0.0, 0.0),
                      angular_velocity=(0.0, 0.5 * i, 0.0), contype=0, conaffinity=0)
    return world.build()


def build(batch, gradient, steps=STEPS, n_boxes=8, dtype="float64", method="auto"):
    import symphys as sp

    model = boxes_model(n_boxes, dtype, method)
    state = sp.symbolic_state(model, batch=batch)
    final, _ = sp.rollout(model, state, steps)
    loss = final.position[..., 0].mean()
    outputs = [loss] + ([sp.grad(loss, state.velocity)] if gradient else [])
    return model, state, outputs


def child_compile(backend, steps):
    """In a fresh process: time from start to the first gradient."""
    start = time.perf_counter()
    import symphys as sp

    model, state, outputs = build(None, True, steps)
    fn = sp.compile([state.velocity], outputs, backend)
    compiled = time.perf_counter()
    fn(model.initial_state().velocity)
    done = time.perf_counter()
    print(json.dumps({"compile": compiled - start, "first_call": done - compiled,
                      "total": done - start, "from_cache": fn.from_cache}))


def compile_times(backend, steps):
    """Cold and warm: two fresh processes sharing fresh cache folders."""
    folder = tempfile.mkdtemp(prefix="symphys-bench-")
    env = dict(os.environ, SYMPHYS_CACHE_DIR=os.path.join(folder, "functions"),
               SYMPHYS_JAX_CACHE=os.path.join(folder, "jax"),
               PYTENSOR_FLAGS=f"base_compiledir={os.path.join(folder, 'pytensor')}")
    runs = []
    try:
        for _ in range(2):
            out = subprocess.run([sys.executable, __file__, "--child", backend, "--steps", str(steps)],
                                 env=env, capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return runs


def run_times(backend, batch, repeats=3):
    import symphys as sp

    rows = {}
    for gradient in (False, True):
        model, state, outputs = build(batch, gradient)
        fn = sp.compile([state.velocity], outputs, backend)
        # JIT / first-call work excluded; long runs (over 10 s): one timing is precise enough.
        best, _, _ = common.time_calls(fn, [model.initial_state(batch).velocity], repeats)
        rows["gradient" if gradient else "forward"] = best
    return rows


def graph_sizes():
    import symphys as sp

    sizes = {}
    for gradient in (False, True):
        _, _, outputs = build(None, gradient)
        sizes["gradient" if gradient else "forward"] = sp.graph_stats(outputs)["total"]
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", nargs="+", default=["jax", "c", "numba"])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 128])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--output", default=os.path.join(common.HERE, "RESULTS.md"))
    args = parser.parse_args()
    if args.child:
        child_compile(args.child, args.steps)
        return
    from tqdm import tqdm

    devices = common.jax_platforms()
    sizes = graph_sizes()
    lines = [
        "## Core engine (`benchmarks/bench_core.py`)", "",
        f"Command: `{' '.join(['python', 'benchmarks/bench_core.py'] + sys.argv[1:])}`  ",
        f"Machine: {common.machine()}, JAX devices {devices}; {time.strftime('%Y-%m-%d')}.  ",
        "Scene: 8 boxes dropped on the ground, dt 0.01, 10 Jacobi sweeps, float64, 1,000 steps.  ",
        f"Graph size (nodes incl. scan inner graphs): forward {sizes['forward']}, "
        f"forward+gradient {sizes['gradient']}; the same for 1 or 32 bodies (tests/test_graph.py).",
        "", "| backend | cold compile s (to 1st gradient) | warm compile s (2nd process) | "
        + " | ".join(f"fwd s B={b} | fwd+grad s B={b} | grad/fwd B={b}" for b in args.batches) + " |",
        "|---|---|---|" + "---|---|---|" * len(args.batches),
    ]
    for backend in tqdm(args.backends, desc="backends"):
        cold, warm = compile_times(backend, STEPS)
        cells = [backend, f"{cold['total']:.1f}", f"{warm['total']:.1f}"]
        for batch in args.batches:
            t = run_times(backend, batch if batch > 1 else None)
            cells += [f"{t['forward']:.3f}", f"{t['gradient']:.3f}",
                      f"{t['gradient'] / t['forward']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    table = "\n".join(lines) + "\n"
    print(table)
    write_section(args.output, "bench_core", table)


if __name__ == "__main__":
    main()
