"""What the benchmark scripts share: the timing-table quadruped, its controllers' weights, timing and rows.

The quadruped of ``symphys_models/timing_quadruped.xml`` is timed by
timing_table.py (symphys) and peers.py (MuJoCo, MJX, Brax) with the same
controllers, sensors and number of steps; scaling.py and bench_core.py time
their calls the same way.  Scripts import it as ``common`` (their own folder
is first on ``sys.path`` when run as ``python benchmarks/<script>.py``).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))  # benchmarks/
ROOT = os.path.dirname(HERE)
MODEL_FILE = os.path.join(ROOT, "symphys_models", "timing_quadruped.xml")
STEPS = 1000  # 10 s at dt 0.01
CONTROLLERS = {"small": (81, 16), "large": (81, 1024, 1024, 16)}  # layer sizes, inputs first
FEET = ("front_left_foot", "front_right_foot", "rear_left_foot", "rear_right_foot")
TARGET_SCALE = 0.5  # rad: targets = 0.5 tanh(output)


def n_weights(sizes) -> int:
    """Number of weights of a dense network without biases of layer sizes ``sizes``."""
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def init_weights(sizes, dtype: str, seed: int = 0) -> list:
    """He-normal hidden layers, the output layer a tenth of that: the robot starts moving gently."""
    rng = np.random.default_rng(seed)
    layers = list(zip(sizes[:-1], sizes[1:]))
    return [(rng.normal(0.0, np.sqrt(2.0 / a) * (0.1 if i == len(layers) - 1 else 1.0), (a, b))).astype(dtype)
            for i, (a, b) in enumerate(layers)]


def time_calls(fn, args, repeats: int = 3, long: float = 10.0) -> tuple[float, list, float]:
    """(best time s of up to ``repeats`` calls, last outputs, time s of the first call).

    The first call also compiles what JAX (XLA) and Numba compile lazily, so it is timed apart.
    """
    start = time.perf_counter()
    out = fn(*args)
    first = time.perf_counter() - start
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
        if best > long:
            break
    return best, out, first


def measure_rows(rows, measure, describe, desc: str, failures: list | None = None) -> list:
    """[measure(*row) for row in rows] with a progress bar, each result printed as JSON.

    ``describe(*row)`` labels the bar.  Ctrl-C (SIGINT, as ``timeout -s INT``
    sends) stops the loop and keeps the results measured so far.  A row that
    raises (a peer engine out of memory, say) is left out, its label and error
    appended to ``failures`` if given, and the loop goes on.
    """
    from tqdm import tqdm

    results = []
    try:
        for row in (bar := tqdm(rows, desc=desc)):
            bar.set_postfix_str(describe(*row))
            try:
                results.append(measure(*row))
            except Exception as error:  # noqa: BLE001 - one failed row must not lose the others
                message = f"{describe(*row)}: {type(error).__name__}: {str(error).splitlines()[0][:200]}"
                tqdm.write(f"failed: {message}")
                if failures is not None:
                    failures.append(message)
                continue
            tqdm.write(json.dumps(results[-1]))
    except KeyboardInterrupt:
        print("interrupted: keeping the rows measured so far", file=sys.stderr)
    return results


def row_label(engine: str, controller: str, batch: int, gradient: bool, steps: int) -> str:
    """Progress-bar label of a timing-table row (engine or backend, controller, batch, pass, steps)."""
    return f"{engine} {controller} B={batch} {'grad' if gradient else 'fwd'}"


def jax_platforms() -> list:
    """JAX configured as symphys runs it (float64, compilation cache, XLA flags); its device platforms."""
    import symphys.backend

    symphys.backend.configure_jax()  # XLA flags must be set before JAX starts
    import jax

    return sorted({d.platform for d in jax.devices()})


def machine() -> str:
    """The machine in words: architecture, cores, Python version."""
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
