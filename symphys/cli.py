"""The ``symphys`` command."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="symphys", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ball = sub.add_parser("ball", help="the paper's ball experiment: gradients vs CMA-ES")
    ball.add_argument("--out", default="out/ball", help="folder for the plot")
    ball.add_argument("--backend", default=None, choices=["jax", "c", "numba"],
                      help="default: jax under PyTensor, c under Aesara (SYMPHYS_GRAPH)")
    ball.add_argument("--seed", type=int, default=0, help="CMA-ES seed")
    ball.add_argument("--no-progress", action="store_true")
    arm = sub.add_parser("arm", help="the 4-DOF arm: fixed-target reaching; a global reaching policy")
    arm.add_argument("task", choices=["reach", "train", "eval", "cmaes"],
                     help="reach: fixed target (0.5, 0.5, 0.5) m; train: the global policy on random "
                          "targets; eval: the policy on the 256 held-out targets; cmaes: CMA-ES baseline")
    arm.add_argument("--evaluations", type=int, default=None,
                     help="rollouts (reach: 150; cmaes: default = the checkpoint's training budget)")
    arm.add_argument("--learning-rate", type=float, default=None, help="Adam rate (reach 3e-3, train 1e-2)")
    arm.add_argument("--updates", type=int, default=1000, help="train: Adam updates")
    arm.add_argument("--batch", type=int, default=32, help="train/cmaes: targets per update")
    arm.add_argument("--checkpoint", default=None, help="train/eval: weights file (default: the shipped one)")
    arm.add_argument("--resume", action="store_true", help="train: continue from the checkpoint")
    arm.add_argument("--out", default="out/arm", help="folder for plots")
    arm.add_argument("--seed", type=int, default=0)
    arm.add_argument("--no-progress", action="store_true")
    graph = sub.add_parser("graph", help="node counts and an SVG drawing of a model's step or rollout gradient")
    graph.add_argument("--out", default="out/graph/step.svg", help="drawing (.svg; .dot writes graphviz text)")
    graph.add_argument("--model", default="boxes", choices=["boxes", "ball", "arm"],
                       help="boxes: a sphere and a box on the ground (notebooks/01); ball: models/ball.py; "
                            "arm: models/arm.py")
    graph.add_argument("--grad", action="store_true",
                       help="draw a --steps rollout and its gradient instead of one step")
    graph.add_argument("--steps", type=int, default=10, help="rollout steps with --grad")
    graph.add_argument("--backend", default=None, choices=["jax", "c", "numba"],
                       help="also count the nodes left after this backend's rewrites")
    graph.add_argument("--engine", default="auto", choices=["auto", "graphviz", "python"],
                       help="layout: graphviz's dot if installed (auto), or the built-in one")
    view = sub.add_parser("view", help="render a saved trajectory, or a model's motion, as HTML, GIF or MP4")
    view.add_argument("trajectory", nargs="?", help="an .npz written by symphys.viewer.save_trajectory")
    view.add_argument("--model", choices=["quadruped"], default=None,
                      help="simulate instead of loading: quadruped = the hand-tuned trot (models/quadruped.py)")
    view.add_argument("--seconds", type=float, default=4.0, help="--model: simulated time")
    view.add_argument("--out", action="append", default=None,
                      help=".html (self-contained 3-D player), .gif, .mp4 (needs ffmpeg) or .npz (the "
                           "trajectory); repeatable; default out/view/NAME.html")
    view.add_argument("--fps", type=float, default=None, help="frames per second (HTML 30, GIF 20, MP4 30)")
    view.add_argument("--width", type=int, default=None, help="GIF/MP4 width in pixels")
    view.add_argument("--height", type=int, default=None, help="GIF/MP4 height in pixels")
    quad = sub.add_parser("quadruped", help="the quadruped: a neural gait trained through physics")
    quad.add_argument("task", choices=["train", "eval", "cmaes", "baseline"],
                      help="train: backpropagation through 8 s rollouts; eval: the saved gait against the "
                           "hand-tuned trot (also writes its trajectory, HTML and GIF); cmaes: CMA-ES on the "
                           "same budget; baseline: the grid of trots the hand-tuned one was picked from")
    quad.add_argument("--evaluations", type=int, default=500, help="train/cmaes: rollouts")
    quad.add_argument("--learning-rate", type=float, default=None, help="train: Adam rate (3e-3)")
    quad.add_argument("--checkpoint", default=None, help="weights file (default: the shipped one)")
    quad.add_argument("--out", default="out/quadruped", help="folder for plots and trajectories")
    quad.add_argument("--seed", type=int, default=0)
    quad.add_argument("--max-torque", type=float, default=None,
                      help="train/cmaes/baseline: servo torque limit, N m (default: the paper's 4; eval reads "
                           "the checkpoint)")
    quad.add_argument("--horizon", type=float, default=None,
                      help="train: exact gradient of the speed over the first HORIZON s (default: 8 s rollouts, "
                           "gradient of the last second's speed)")
    quad.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "quadruped":
        from models import quadruped_cli

        return quadruped_cli.main(args)
    if args.command == "graph":
        return _graph(args)
    if args.command == "view":
        return _view(args)
    if args.command == "arm" and args.task != "reach":
        from models import arm_cli

        return arm_cli.main(args)
    if args.command == "arm":
        from models import arm as arm_model

        task = arm_model.FixedTargetTask(seed=args.seed)
        print(f"compiled in {task.compile_seconds:.1f} s; {task.net.n_parameters} controller weights")
        result, _ = arm_model.train_backprop(task, args.evaluations or 150, args.learning_rate or 3e-3)
        print(f"backprop: {result.evaluations} rollouts, {result.wall_seconds:.1f} s, mean distance "
              f"{result.mean_distance:.4f} m, final distance {result.final_distance:.4f} m")
        return 0 if result.final_distance < 0.01 else 1
    if args.command == "ball":
        from models import ball as experiment

        results = experiment.run(args.out, args.backend, args.seed, not args.no_progress)
        return 0 if results[0].converged else 1
    return 2


def _graph(args) -> int:
    from . import graph

    if args.model == "ball":
        from models import ball as ball_model

        model = ball_model.build_model()
    elif args.model == "arm":
        from models import arm as arm_model

        model = arm_model.build_model()
    else:
        model = graph.sphere_and_box_model()
    try:
        graph.report(model, args.out, gradient=args.grad, steps=args.steps, backend=args.backend,
                     engine=args.engine)
    except ValueError as error:  # e.g. --engine graphviz without graphviz installed
        print(f"symphys graph: {error}", file=sys.stderr)
        return 2
    return 0


def _view(args) -> int:
    import os

    from . import viewer

    if (args.trajectory is None) == (args.model is None):
        print("symphys view: give either a trajectory file or --model", file=sys.stderr)
        return 2
    if args.model is not None:
        traj, name = _simulate_for_view(args.model, args.seconds), args.model
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


def _simulate_for_view(name: str, seconds: float):
    """A trajectory of a model's reference motion: the quadruped's hand-tuned trot."""
    import numpy as np

    from models import quadruped

    from . import backend, viewer
    from .compile import compile as compile_function
    from .compile import symbolic_state
    from .rollout import check_finite, rollout

    model = quadruped.build_model()
    steps = max(1, int(round(seconds / model.dt)))
    controls = backend.pt.matrix("controls")
    _, trajectory = rollout(model, symbolic_state(model), steps, controls=controls)
    simulate = compile_function([controls], trajectory)
    trajectory = simulate(quadruped.trot(np.arange(steps) * model.dt))
    check_finite(model, trajectory)
    print(f"{name}: hand-tuned trot, {seconds:g} s, mean forward velocity "
          f"{quadruped.forward_velocity(model, trajectory):.3f} m/s")
    return viewer.from_model(model, trajectory, title=f"{name}: hand-tuned trot")


if __name__ == "__main__":
    sys.exit(main())
