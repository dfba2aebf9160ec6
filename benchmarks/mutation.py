"""Mutation check: ten deliberate faults in the engine, one at a time; each must fail a test.

Each fault is an exact string replacement in a scratch copy of the ``symphys``
package (the pattern must occur exactly once, else the script stops: a fault
whose code moved cannot silently become a no-op).  The tests then run from
this checkout (cwd = repository root) with the copy first on PYTHONPATH
(PYTHONSAFEPATH=1, so neither pytest nor the tests' subprocesses import the
checkout's own package), stopping at the first failure (-x), and the first
failing test is recorded.  A baseline run on the unmutated copy comes first:
it checks that the copy is what gets imported, and tests that already fail
there are deselected (and listed), so they cannot "catch" every fault.

Compiled functions: the on-disk function cache (SYMPHYS_CACHE_DIR) of the
runs is a folder of the work directory, never the checkout's, so no faulty
compiled function can be reused outside.  PyTensor's compile dir and JAX's
persistent cache are shared (their keys are the generated code and the HLO).

    python benchmarks/mutation.py                 # all faults, writes RESULTS.md
    python benchmarks/mutation.py --only 4 6      # some faults (RESULTS.md untouched)
    python benchmarks/mutation.py --list          # the faults and where they apply
    python benchmarks/mutation.py --all           # no -x: every test each fault fails (~10x longer)

Exits 1 if a fault is caught by no test (or a pattern is missing), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from results import write_section

HERE = os.path.dirname(os.path.abspath(__file__))  # benchmarks/
ROOT = os.path.dirname(HERE)
PACKAGE = "symphys"

# Fast test files that assert physics, in the order they run (the first failure stops a run).
TEST_FILES = ["tests/test_physics.py", "tests/test_step.py", "tests/test_joints.py", "tests/test_gradients.py",
              "tests/test_forces.py", "tests/test_motors.py", "tests/test_regimes.py"]


@dataclasses.dataclass(frozen=True)
class Fault:
    name: str
    path: str  # relative to the package folder
    old: str  # exact text, must occur once
    new: str


FAULTS = [
    Fault("friction sign flipped (second tangent row's coefficient -mu)",
          "physics/contacts.py",
          "friction=pt.concatenate([pt.zeros_like(mu), mu, mu], axis=1)",
          "friction=pt.concatenate([pt.zeros_like(mu), mu, -mu], axis=1)"),
    Fault("gyroscopic term dropped",
          "physics/forces.py",
          "torque = torque - math3d.cross(w, math3d.matvec(inertia, w))",
          "torque = torque"),
    Fault("contact Jacobian's angular columns zeroed",
          "physics/contacts.py",
          "return pt.concatenate([pt.ones_like(lever) * d, angular], axis=-1)",
          "return pt.concatenate([pt.ones_like(lever) * d, 0.0 * angular], axis=-1)"),
    Fault("half dt in the position update (x += 0.5 dt v)",
          "physics/integrate.py",
          "x_new = state.position + model.dt * v_new",
          "x_new = state.position + 0.5 * model.dt * v_new"),
    Fault("gravity applied twice",
          "physics/forces.py",
          "force = mass[..., None] * pt.constant(model.gravity.astype(dtype))",
          "force = 2.0 * mass[..., None] * pt.constant(model.gravity.astype(dtype))"),
    Fault("restitution e -> e^2",
          "physics/contacts.py",
          "target_n = pt.switch(bounce, -restitution * approach, push_out)",
          "target_n = pt.switch(bounce, -restitution**2 * approach, push_out)"),
    Fault("joint anchor lever on the wrong body (child's Jacobian uses the parent's lever)",
          "physics/joints.py",
          "pt.concatenate([d, math3d.cross(lever_b, d)], axis=-1))",
          "pt.concatenate([d, math3d.cross(lever_a, d)], axis=-1))"),
    Fault("motor torque limit ignored (bounds open)",
          "physics/motors.py",
          "target, 1.0, 0.0, -limit, limit,",
          "target, 1.0, 0.0, -1e12 * limit, 1e12 * limit,"),
    Fault("quaternion integrated with half the angular velocity",
          "math3d.py",
          "q_new = q + (0.5 * dt) * quat_multiply(omega, q)",
          "q_new = q + (0.25 * dt) * quat_multiply(omega, q)"),
    Fault("projection ignores the lower bound",
          "physics/rows.py",
          "inside = pt.switch(pt.lt(value, lower), lower, pt.switch(pt.gt(value, upper), upper, value))",
          "inside = pt.switch(pt.gt(value, upper), upper, value)"),
]

SUMMARY_LINE = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")


def copy_package(destination: str, source: str) -> str:
    """Copy the package folder ``source`` to ``destination``/symphys (no bytecode); return the folder."""
    target = os.path.join(destination, PACKAGE)
    shutil.rmtree(target, ignore_errors=True)  # a reused --work-dir
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def locate(package: str, fault: Fault) -> int:
    """Line (1-based) where ``fault.old`` starts in the package copy; stops if it is not there exactly once."""
    text = open(os.path.join(package, fault.path)).read()
    count = text.count(fault.old)
    if count != 1:
        sys.exit(f"mutation.py: fault {fault.name!r}: pattern found {count} times in {PACKAGE}/{fault.path} "
                 f"(expected exactly once); update FAULTS to today's code:\n    {fault.old}")
    return text[:text.index(fault.old)].count("\n") + 1


def apply(package: str, fault: Fault) -> int:
    """Apply ``fault`` to the package copy; return the changed line."""
    line = locate(package, fault)
    path = os.path.join(package, fault.path)
    text = open(path).read()
    with open(path, "w") as handle:
        handle.write(text.replace(fault.old, fault.new))
    compile(open(path).read(), path, "exec")  # a syntax error would be "caught" by every test
    return line


def environment(prefix: str, cache_dir: str) -> dict:
    """Environment of a test run importing the package from ``prefix``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([prefix] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["PYTHONSAFEPATH"] = "1"  # no cwd (= this checkout) in front of PYTHONPATH, here and in subprocesses
    env["SYMPHYS_CACHE_DIR"] = cache_dir
    env.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT}/.cache/pytensor")
    env.setdefault("SYMPHYS_JAX_CACHE", f"{ROOT}/.cache/jax")
    env.setdefault("MPLBACKEND", "Agg")
    env["COLUMNS"] = "240"  # short-summary messages are cut at the terminal width
    return env


def check_import(prefix: str, env: dict) -> None:
    """Stop unless a process started like the test runs imports the package from ``prefix``."""
    out = subprocess.run([sys.executable, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"], cwd=ROOT,
                         env=env, capture_output=True, text=True)
    where = out.stdout.strip()
    if out.returncode or not where.startswith(prefix + os.sep):
        sys.exit(f"mutation.py: the test runs would import {PACKAGE} from {where or out.stderr!r}, "
                 f"not from the copy in {prefix}")


def run_tests(files, env, log_path, stop_first, deselect, timeout):
    """Run pytest on ``files``; return (failing node ids with messages, summary line, seconds)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", "-n", "0",
               "-rfE", "--no-header", *(["-x"] if stop_first else [])]
    for node in deselect:
        command += ["--deselect", node]
    command += files
    start = time.perf_counter()
    with open(log_path, "w") as log:
        log.write(" ".join(command) + "\n\n")
        log.flush()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except BaseException as error:  # Ctrl-C or the timeout: stop the whole process group
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            if not isinstance(error, subprocess.TimeoutExpired):
                raise
            timed_out = True
    seconds = time.perf_counter() - start
    if timed_out:  # counted as not caught: a fault must fail a test, not hang the run
        return [], f"timed out after {timeout:.0f} s", seconds
    failures, summary = [], ""
    for line in open(log_path).read().splitlines():
        match = SUMMARY_LINE.match(line)
        if match:
            failures.append((match.group(2), match.group(3) or match.group(1)))
        elif re.search(r"\d+ (passed|failed|error)", line) and " in " in line:
            summary = line.strip("= ")
    return failures, summary, seconds


def failure_kind(message: str) -> str:
    """The exception's class name in a short-summary message (a bare ``assert`` is an AssertionError)."""
    if message.startswith("assert ") or message == "FAILED":
        return "AssertionError"
    return re.split(r"[:\s]", message, maxsplit=1)[0].rsplit(".", 1)[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", type=int, nargs="+", metavar="N", help="run only these faults (1-based)")
    parser.add_argument("--list", action="store_true", help="list the faults and where they apply, then exit")
    parser.add_argument("--files", nargs="+", default=TEST_FILES, help="test files, in run order")
    parser.add_argument("--work-dir", help="scratch folder for copies, logs and caches (default: a new temp folder)")
    parser.add_argument("--all", action="store_true",
                        help="run every test under each fault (no -x) and count the tests that fail")
    parser.add_argument("--skip-baseline", action="store_true", help="no baseline run (nothing deselected)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per pytest run")
    parser.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = parser.parse_args()

    work = args.work_dir or tempfile.mkdtemp(prefix="symphys-mutation-")
    os.makedirs(work, exist_ok=True)
    snapshot = copy_package(os.path.join(work, "snapshot"), os.path.join(ROOT, PACKAGE))  # one state for all runs
    lines = [locate(snapshot, fault) for fault in FAULTS]  # every pattern checked before any run
    if args.list:
        for i, (fault, line) in enumerate(zip(FAULTS, lines), 1):
            print(f"{i:2d}. {fault.name}  ({PACKAGE}/{fault.path}:{line})")
        shutil.rmtree(work) if not args.work_dir else None
        return 0
    chosen = sorted(set(args.only or range(1, len(FAULTS) + 1)))
    if any(not 1 <= n <= len(FAULTS) for n in chosen):
        sys.exit(f"mutation.py: faults are numbered 1 to {len(FAULTS)}")
    files = [f for f in args.files if os.path.exists(os.path.join(ROOT, f))]
    missing = sorted(set(args.files) - set(files))
    cache_dir = os.path.join(work, "functions")
    print(f"work dir {work} (logs, copies, function cache); tests: {' '.join(files)}", flush=True)
    if missing:
        print(f"  not found, skipped: {' '.join(missing)}", flush=True)

    deselect, baseline = [], None
    try:
        if not args.skip_baseline:
            prefix = os.path.join(work, "baseline")
            copy_package(prefix, snapshot)
            env = environment(prefix, cache_dir)
            check_import(prefix, env)
            print("baseline (no fault) ...", end=" ", flush=True)
            failures, summary, seconds = run_tests(files, env, os.path.join(work, "baseline.log"), False, [],
                                                   args.timeout)
            deselect = [node for node, _ in failures]
            baseline = (summary, seconds)
            print(f"{summary} [{seconds:.0f} s]", flush=True)
            for node, message in failures:
                print(f"  fails without a fault, deselected: {node} - {message}", flush=True)
            if not re.search(r"\d+ passed", summary):
                sys.exit(f"mutation.py: no test passed on the unmutated copy; see {work}/baseline.log")

        rows = []
        for n in chosen:
            fault = FAULTS[n - 1]
            prefix = os.path.join(work, f"fault{n:02d}")
            package = copy_package(prefix, snapshot)
            line = apply(package, fault)
            env = environment(prefix, cache_dir)
            check_import(prefix, env)
            where = f"{PACKAGE}/{fault.path}:{line}"
            print(f"[{n:2d}/{len(FAULTS)}] {fault.name} ({where}) ...", end=" ", flush=True)
            failures, summary, seconds = run_tests(files, env, os.path.join(work, f"fault{n:02d}.log"),
                                                   not args.all, deselect, args.timeout)
            caught = failures[0] if failures else None
            more = f" and {len(failures) - 1} more" if len(failures) > 1 else ""
            print(f"{'caught by ' + caught[0] + more if caught else 'NOT CAUGHT (' + summary + ')'} "
                  f"[{seconds:.0f} s]", flush=True)
            for node, message in failures if args.all else failures[:1]:
                print(f"      {node if args.all else ''} {message[:160]}", flush=True)
            rows.append((n, fault, where, caught, len(failures), seconds, summary))
    except KeyboardInterrupt:
        print(f"\ninterrupted; logs in {work}", file=sys.stderr)
        return 130

    uncaught = [n for n, _, _, caught, _, _, _ in rows if caught is None]
    table = ["| # | fault | changed | first test that failed | failure | "
             + ("tests failed | " if args.all else "") + "seconds |", "|---|---|---|---|---|---|" + "---|" * args.all]
    for n, fault, where, caught, n_failed, seconds, summary in rows:
        test = f"`{caught[0]}`" if caught else "**not caught**"
        table.append(f"| {n} | {fault.name} | `{where}` | {test} | {failure_kind(caught[1]) if caught else summary} | "
                     + (f"{n_failed} | " if args.all else "") + f"{seconds:.0f} |")
    print("\n" + "\n".join(table))
    print(f"\n{len(rows) - len(uncaught)} of {len(rows)} faults caught; logs in {work}")

    if args.only is None and args.files == TEST_FILES:  # only a full, standard run goes into RESULTS.md
        text = [
            "## Mutation check" + (", every test" if args.all else "") + " (`benchmarks/mutation.py`)", "",
            f"Command: `python benchmarks/mutation.py{' --all' if args.all else ''}`"
            + ("" if args.all else " (`make mutation`)") + ". Each fault is an exact string "
            "replacement in a scratch copy of the package (the line given is in today's code); the tests run "
            "from the checkout with the copy first on PYTHONPATH"
            + (", every test (`--all`; \"tests failed\" counts them):  " if args.all
               else ", stopping at the first failure:  "),
            f"`pytest {'' if args.all else '-x '}-q -m \"not slow\" -n 0 {' '.join(files)}`  ",
            f"with a function cache of their own. Seconds are the wall time of that run on a shared 2-core "
            f"machine (compiling included). {len(rows) - len(uncaught)} of {len(rows)} faults caught.", ""]
        if baseline:
            text.append(f"Baseline without a fault: {baseline[0]} ({baseline[1]:.0f} s)"
                        + ("; failing there, so deselected: " + ", ".join(f"`{d}`" for d in deselect)
                           if deselect else "") + ".")
            text.append("")
        section = "mutation_all" if args.all else "mutation"
        write_section(args.results, section, "\n".join(text + table))
        print(f"wrote the {section!r} section of {args.results}")
    return 1 if uncaught else 0


if __name__ == "__main__":
    sys.exit(main())
