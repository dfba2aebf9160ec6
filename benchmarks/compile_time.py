"""Cold and warm compile of the timing table's function, each in a fresh process (issue 16's targets).

    python benchmarks/compile_time.py [--processes 3] [--method gauss_seidel] [--steps 1000]

The first process finds the on-disk caches (SYMPHYS_CACHE_DIR, SYMPHYS_JAX_CACHE) empty, in a new
temporary folder; the next ones reuse them. Each prints one JSON line: building the rollout and its
gradient and compiling them (s), the first call (s; JAX traces and loads or compiles XLA), the total.
Forward + gradient of the small controller at batch 1, float32, JAX.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def child(method: str, steps: int) -> None:
    start = time.perf_counter()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import common
    import timing_table

    model = timing_table.load_model("float32", method=method)
    sizes = common.CONTROLLERS["small"]
    weights = common.init_weights(sizes, "float32")
    tick = time.perf_counter()
    fn, _ = timing_table.build_function(model, sizes, 1, True, steps, "jax")
    build = time.perf_counter() - tick
    tick = time.perf_counter()
    fn(*weights)
    first = time.perf_counter() - tick
    print(json.dumps(dict(method=method, steps=steps, build_and_compile_s=round(build, 2),
                          first_call_s=round(first, 2), total_s=round(time.perf_counter() - start, 2))), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--method", default="gauss_seidel")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.method, args.steps)
        return
    with tempfile.TemporaryDirectory(prefix="symphys-compile-") as folder:
        env = dict(os.environ, SYMPHYS_CACHE_DIR=os.path.join(folder, "functions"),
                   SYMPHYS_JAX_CACHE=os.path.join(folder, "jax"))
        for process in range(args.processes):
            print(f"process {process + 1} ({'cold caches' if process == 0 else 'warm caches'}):", flush=True)
            subprocess.run([sys.executable, __file__, "--child", "--method", args.method, "--steps", str(args.steps)],
                           env=env, check=True)


if __name__ == "__main__":
    main()
