"""Cold and warm compile of the timing table's function, each in a fresh process (issue 16's targets).

    python benchmarks/compile_time.py [--processes 3] [--method gauss_seidel] [--steps 1000] [--saved]

The first process finds the on-disk caches (SYMPHYS_CACHE_DIR, SYMPHYS_JAX_CACHE) empty, in a new
temporary folder; the next ones reuse them. Each prints one JSON line: building the rollout and its
gradient and compiling them (s), the first call (s; JAX traces and loads or compiles XLA), the total
from the process's start (imports included) and the process's wall time as its parent saw it.
Forward + gradient of the small controller at batch 1, float32, JAX.

--saved: the first process also saves the function (``CompiledFunction.save``), and the next ones
load it (``symphys.load_function``) instead of building the graph: what a script that saves its
compiled rollout pays from its second run on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def child(method: str, steps: int, saved: str | None) -> None:
    start = time.perf_counter()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import common

    import symphys as sp

    sizes = common.CONTROLLERS["small"]
    weights = common.init_weights(sizes, "float32")
    report = dict(method=method, steps=steps)
    tick = time.perf_counter()
    if saved and os.path.exists(saved):
        fn = sp.load_function(saved)
        report["load_s"] = round(time.perf_counter() - tick, 2)
    else:
        import timing_table

        model = timing_table.load_model("float32", method=method)
        tick = time.perf_counter()
        fn, _ = timing_table.build_function(model, sizes, 1, True, steps, "jax")
        report["build_and_compile_s"] = round(time.perf_counter() - tick, 2)
    tick = time.perf_counter()
    distance = float(fn(*weights)[0])
    report["first_call_s"] = round(time.perf_counter() - tick, 2)
    if saved and not os.path.exists(saved):
        tick = time.perf_counter()
        fn.save(saved)
        report["save_s"] = round(time.perf_counter() - tick, 2)
    report.update(distance=distance, total_s=round(time.perf_counter() - start, 2))
    print(json.dumps(report), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--method", default="gauss_seidel")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--saved", action="store_true", help="save the function, then load it in later processes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--saved-path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.method, args.steps, args.saved_path)
        return
    with tempfile.TemporaryDirectory(prefix="symphys-compile-") as folder:
        env = dict(os.environ, SYMPHYS_CACHE_DIR=os.path.join(folder, "functions"),
                   SYMPHYS_JAX_CACHE=os.path.join(folder, "jax"))
        for process in range(args.processes):
            print(f"process {process + 1} ({'cold caches' if process == 0 else 'warm caches'}):", flush=True)
            command = [sys.executable, __file__, "--child", "--method", args.method, "--steps", str(args.steps)]
            if args.saved:
                command += ["--saved-path", os.path.join(folder, "saved.npz")]
            tick = time.perf_counter()
            subprocess.run(command, env=env, check=True)
            print(f"  process wall time {time.perf_counter() - tick:.2f} s", flush=True)


if __name__ == "__main__":
    main()
