"""The ``symphys`` command: the engine's ``graph`` and ``view``, and the subcommands example modules register."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import zipfile

# Each declares its subcommand with register(subparsers) (the handler: set_defaults(run=...)); it may also
# offer models to `symphys graph --model` (GRAPH_MODELS: name -> build function) and motions to
# `symphys view --model` (VIEW_MOTIONS: name -> function of the seconds giving a viewer Trajectory).
EXAMPLES = ("symphys_models.ball", "symphys_models.billiards", "symphys_models.arm_cli", "symphys_models.quadruped_cli",
            "symphys_models.sysid")
GRAPH_SUFFIXES = (".svg", ".dot")  # the built-in layout writes SVG; .dot is graphviz text
VIEW_SUFFIXES = (".html", ".htm", ".gif", ".mp4", ".npz")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="symphys", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    models, motions = {}, {}
    for module in map(importlib.import_module, EXAMPLES):
        module.register(subparsers)
        models.update(getattr(module, "GRAPH_MODELS", {}))
        motions.update(getattr(module, "VIEW_MOTIONS", {}))
    _register_graph(subparsers, models)
    _register_view(subparsers, motions)
    args = parser.parse_args(argv)
    return args.run(args)


# -- argument checks shared with the example modules' subcommands ------------------------------
def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def show_progress(args) -> bool:
    """Progress bars: unless --no-progress, and only when they go to a terminal."""
    return not getattr(args, "no_progress", False) and sys.stderr.isatty()


def output_problem(path: str, suffixes: tuple) -> str | None:
    """Why ``path`` cannot be written (None: it can): a suffix not in ``suffixes``, a folder that is not
    writable, or missing folders that would have to be created at the file-system root (missing
    folders are created below an existing folder other than the root, like the default out/)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in suffixes:
        return f"--out {path}: cannot write {suffix or 'a file without suffix'}; use {', '.join(suffixes)}"
    folder = os.path.dirname(os.path.abspath(path))
    existing = folder
    while not os.path.isdir(existing):
        existing = os.path.dirname(existing)
    if existing != folder and os.path.dirname(existing) == existing:  # only the root exists
        return f"--out {path}: the folder {folder} does not exist; create it first"
    if not os.access(existing, os.W_OK):
        return f"--out {path}: the folder {existing} is not writable"
    return None


def read_checkpoint(load, path: str, command: str):
    """``load(path)``, or exit with a one-line error (no traceback) if the file is missing or not a
    checkpoint (e.g. a trajectory .npz)."""
    try:
        return load(path)
    except (OSError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile) as error:
        detail = str(error.args[0] if isinstance(error, KeyError) and error.args else error)
        raise SystemExit(f"{command}: {path} is not a usable checkpoint ({detail})") from None


def _sources(functions: dict) -> str:
    """'name: path/to/module.py; ...' of registered functions."""
    return "; ".join(f"{name}: {function.__module__.replace('.', '/')}.py" for name, function in functions.items())


def _register_graph(subparsers, models: dict) -> None:
    graph = subparsers.add_parser("graph", help="node counts and an SVG drawing of a model's step or rollout gradient")
    graph.add_argument("--out", default="out/graph/step.svg", help="drawing (.svg; .dot writes graphviz text)")
    graph.add_argument("--model", default="boxes", choices=["boxes", *models],
                       help=f"boxes: a sphere and a box on the ground (notebooks/01); {_sources(models)}")
    graph.add_argument("--grad", action="store_true",
                       help="draw a --steps rollout and its gradient instead of one step")
    graph.add_argument("--steps", type=positive_int, default=10, help="rollout steps with --grad")
    graph.add_argument("--backend", default=None, choices=["jax", "c", "numba"],
                       help="also count the nodes left after this backend's rewrites")
    graph.add_argument("--engine", default="auto", choices=["auto", "graphviz", "python"],
                       help="layout: graphviz's dot if installed (auto), or the built-in one")
    graph.set_defaults(run=_graph, models=models)


def _register_view(subparsers, motions: dict) -> None:
    view = subparsers.add_parser("view", help="render a saved trajectory, or a model's motion, as HTML, GIF or MP4")
    view.add_argument("trajectory", nargs="?", help="an .npz written by symphys.viewer.save_trajectory")
    view.add_argument("--model", choices=list(motions), default=None,
                      help=f"simulate a model's motion instead of loading one ({_sources(motions)})")
    view.add_argument("--seconds", type=positive_float, default=4.0, help="--model: simulated time")
    view.add_argument("--out", action="append", default=None,
                      help=".html (self-contained 3-D player), .gif, .mp4 (needs ffmpeg) or .npz (the "
                           "trajectory); repeatable; default out/view/NAME.html")
    view.add_argument("--fps", type=positive_float, default=None, help="frames per second (HTML 30, GIF 20, MP4 30)")
    view.add_argument("--width", type=positive_int, default=None, help="GIF/MP4 width in pixels")
    view.add_argument("--height", type=positive_int, default=None, help="GIF/MP4 height in pixels")
    view.set_defaults(run=_view, motions=motions)


def _graph(args) -> int:
    from .inspect import graph, report

    problem = output_problem(args.out, GRAPH_SUFFIXES)
    if problem:
        print(f"symphys graph: {problem}", file=sys.stderr)
        return 2
    model = graph.sphere_and_box_model() if args.model == "boxes" else args.models[args.model]()
    try:
        report.report(model, args.out, gradient=args.grad, steps=args.steps, backend=args.backend,
                      engine=args.engine)
    except ValueError as error:  # e.g. --engine graphviz without graphviz installed
        print(f"symphys graph: {error}", file=sys.stderr)
        return 2
    return 0


def _view(args) -> int:
    from . import viewer

    if (args.trajectory is None) == (args.model is None):
        print("symphys view: give either a trajectory file or --model", file=sys.stderr)
        return 2
    for out in args.out or []:  # before the simulation, not after it
        problem = output_problem(out, VIEW_SUFFIXES)
        if problem:
            print(f"symphys view: {problem}", file=sys.stderr)
            return 2
    if args.model is not None:
        traj, name = args.motions[args.model](args.seconds), args.model
    else:
        try:
            traj = viewer.load_trajectory(args.trajectory)
        except (OSError, ValueError, KeyError) as error:
            print(f"symphys view: cannot read {args.trajectory}: {error}", file=sys.stderr)
            return 2
        name = os.path.splitext(os.path.basename(args.trajectory))[0]
    for out in args.out or [os.path.join("out", "view", f"{name}.html")]:
        try:
            path = viewer.write(out, traj, fps=args.fps, width=args.width, height=args.height)
        except (ValueError, RuntimeError) as error:  # unknown suffix; MP4 without ffmpeg
            print(f"symphys view: {error}", file=sys.stderr)
            return 2
        print(f"wrote {path} ({os.path.getsize(path) / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
