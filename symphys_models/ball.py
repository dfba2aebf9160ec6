"""The paper's ball experiment.

A ball of 1 m diameter (density 1000 kg/m^3, friction 1.0, restitution
0.5) rests on the ground.  Find its 6-D initial velocity (linear m/s and
angular rad/s) such that after 10 s it lies at rest 10 m away, once with
gradients through the physics and once with CMA-ES, from the same start.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

import symphys as sp

RADIUS = 0.5  # m
DURATION = 10.0  # s
TARGET = np.array([10.0, 0.0, RADIUS])  # m
POSITION_TOLERANCE = 0.01  # m
SPEED_TOLERANCE = 0.01  # m/s


def build_model(dt: float = 0.01) -> sp.Model:
    world = sp.World(dt=dt)
    world.add_ground(friction=1.0)
    world.add_sphere(radius=RADIUS, density=1000.0, friction=1.0, restitution=0.5,
                     position=(0.0, 0.0, RADIUS), name="ball")
    return world.build()


@dataclasses.dataclass
class Result:
    method: str
    iterations: int  # optimizer iterations (CMA-ES: generations)
    evaluations: int  # rollouts simulated (a batch of n counts n)
    compile_seconds: float
    wall_seconds: float  # optimization time, compile excluded
    initial_velocity: np.ndarray  # (6,) [v, w]
    position_error: float  # m
    final_speed: float  # m/s, linear speed plus R times angular speed
    converged: bool
    history: list  # loss per iteration


class BallProblem:
    """Compiled rollouts of the ball: residuals, their Jacobian, batched losses."""

    def __init__(self, backend: str | None = None, dt: float = 0.01, cma_batch: int = 10):
        self.model = build_model(dt)
        self.steps = int(round(DURATION / dt))
        self.backend = backend = sp.backend.resolve_backend(backend)  # None: the graph library's default
        start = time.perf_counter()
        # Residual r(u) = [p_T - target, v_T, R w_T] (9,) of the initial velocity u (6,).
        # Its Jacobian comes from one reverse pass over a batch of 9 copies:
        # copy b differentiates component b of its own residual.
        n_res = 9
        state = sp.symbolic_state(self.model, batch=n_res)
        final, _ = sp.rollout(self.model, state, self.steps)
        residual = self._residual(final)  # (9, 9)
        diagonal = sum(residual[b, b] for b in range(n_res))
        g_v, g_w = sp.grad(diagonal, [state.velocity, state.angular_velocity])
        jacobian = sp.backend.pt.concatenate([g_v[:, 0], g_w[:, 0]], axis=1)  # (9, 6)
        self._jacobian_fn = sp.compile([state.velocity, state.angular_velocity],
                                       [residual[0], jacobian], backend)
        # Batched losses for CMA-ES (one compiled batch per generation).
        self.cma_batch = cma_batch
        cstate = sp.symbolic_state(self.model, batch=cma_batch)
        cfinal, ctraj = sp.rollout(self.model, cstate, self.steps)
        self._batch_fn = sp.compile([cstate.velocity, cstate.angular_velocity],
                                    [self._residual(cfinal)], backend)
        single = sp.symbolic_state(self.model)
        _, traj = sp.rollout(self.model, single, self.steps)
        self._trajectory_fn = sp.compile([single.velocity, single.angular_velocity],
                                         [traj.position[:, 0]], backend)
        # Trigger JIT compilation now so it is not counted as optimization time.
        self.residual_and_jacobian(np.zeros(6))
        self.batch_residuals(np.zeros((cma_batch, 6)))
        self.compile_seconds = time.perf_counter() - start

    @staticmethod
    def _residual(final):
        pt = sp.backend.pt
        return pt.concatenate([final.position[:, 0] - TARGET, final.velocity[:, 0],
                               RADIUS * final.angular_velocity[:, 0]], axis=-1)

    def residual_and_jacobian(self, u):
        u = np.asarray(u, dtype=float)
        v = np.repeat(u[None, None, :3], 9, axis=0)
        w = np.repeat(u[None, None, 3:], 9, axis=0)
        residual, jacobian = self._jacobian_fn(v, w)
        return residual, jacobian

    def batch_residuals(self, us):
        us = np.asarray(us, dtype=float)
        (residual,) = self._batch_fn(us[:, None, :3], us[:, None, 3:])
        return residual

    def trajectory(self, u):
        u = np.asarray(u, dtype=float)
        (positions,) = self._trajectory_fn(u[None, :3], u[None, 3:])
        return positions


def errors(residual):
    """(position error m, final speed m/s) of a residual vector."""
    return float(np.linalg.norm(residual[:3])), float(np.linalg.norm(residual[3:6])
                                                      + np.linalg.norm(residual[6:9]))


def loss_of(residual):
    """Distance to the target plus final speed (the paper's loss)."""
    position, speed = errors(residual)
    return position + speed


def solved(residual) -> bool:
    position, speed = errors(residual)
    return position < POSITION_TOLERANCE and speed < SPEED_TOLERANCE


def least_squares_with_callback(fun, x0, jac, callback, **options):
    """scipy.optimize.least_squares with its ``callback`` (scipy >= 1.16), also on older scipy.

    The Aesara environment pins scipy <= 1.12, which has no callback.  There,
    as scipy 1.16's dogbox does, the callback runs once per accepted step,
    when the Jacobian at the new point has been evaluated, and the
    optimization stops where it raises StopIteration (status -2).
    """
    import inspect

    import scipy.optimize

    if "callback" in inspect.signature(scipy.optimize.least_squares).parameters:
        return scipy.optimize.least_squares(fun, x0, jac=jac, callback=callback, **options)
    calls = [0]

    class Halt(Exception):
        pass

    def jac_then_callback(x, *args):
        value = jac(x)
        calls[0] += 1
        if calls[0] > 1:  # the first Jacobian is the start's, before any iteration
            try:
                callback(scipy.optimize.OptimizeResult(x=np.copy(x), fun=fun(x)))
            except StopIteration:
                raise Halt(np.copy(x)) from None
        return value

    try:
        return scipy.optimize.least_squares(fun, x0, jac=jac_then_callback, **options)
    except Halt as halt:
        return scipy.optimize.OptimizeResult(x=halt.args[0], status=-2)


def optimize_gradient(problem: BallProblem, u0, max_iterations: int = 88,
                      progress: bool = True) -> Result:
    """Gauss-Newton with a dogleg trust region (scipy's ``dogbox``) on the
    residuals, with the exact Jacobian from reverse mode through the rollout."""
    from tqdm.auto import tqdm

    cache: dict = {}
    history: list = []
    evaluations = [0]

    def evaluate(u):
        key = tuple(np.asarray(u, dtype=float))
        if key not in cache:
            cache.clear()
            cache[key] = problem.residual_and_jacobian(u)
            evaluations[0] += 9  # one batched forward + reverse pass over 9 copies
        return cache[key]

    bar = tqdm(total=max_iterations, desc="gradient (dogbox)", disable=not progress, leave=False, mininterval=0.5)

    def callback(intermediate_result):
        residual = intermediate_result.fun
        history.append(loss_of(residual))
        position, speed = errors(residual)
        bar.update(1)
        bar.set_postfix(position=f"{position:.2e} m", speed=f"{speed:.2e} m/s")
        if solved(residual) or len(history) >= max_iterations:
            raise StopIteration

    start = time.perf_counter()
    try:
        result = least_squares_with_callback(
            lambda u: evaluate(u)[0], np.asarray(u0, dtype=float),
            jac=lambda u: evaluate(u)[1], callback=callback, method="dogbox", xtol=1e-15, ftol=1e-15,
            gtol=1e-15, max_nfev=10 * max_iterations)
    finally:
        bar.close()
    wall = time.perf_counter() - start
    residual = evaluate(result.x)[0]
    position, speed = errors(residual)
    return Result("gradient (Gauss-Newton, exact Jacobian)", len(history), evaluations[0],
                  problem.compile_seconds, wall, result.x, position, speed, solved(residual),
                  history)


def optimize_cmaes(problem: BallProblem, u0, sigma0: float = 5.0, max_evaluations: int = 20000,
                   seed: int = 0, progress: bool = True) -> Result:
    """CMA-ES (the ``cma`` package) on the same loss; each generation is one
    batched rollout of the population."""
    import cma
    from tqdm.auto import tqdm

    options = {"popsize": problem.cma_batch, "seed": seed + 1, "verbose": -9,
               "maxfevals": max_evaluations, "tolfun": 0, "tolx": 0, "tolfunhist": 0,
               "tolstagnation": 10**9}
    strategy = cma.CMAEvolutionStrategy(np.asarray(u0, dtype=float), sigma0, options)
    history, best_residual, best_u = [], None, np.asarray(u0, dtype=float)
    evaluations = 0
    bar = tqdm(total=max_evaluations, desc="CMA-ES", disable=not progress, leave=False, mininterval=0.5)
    start = time.perf_counter()
    try:
        while not strategy.stop():
            candidates = np.array(strategy.ask())
            residuals = problem.batch_residuals(candidates)
            losses = [loss_of(r) for r in residuals]
            strategy.tell(list(candidates), losses)
            evaluations += len(candidates)
            best = int(np.argmin(losses))
            if best_residual is None or losses[best] < loss_of(best_residual):
                best_residual, best_u = residuals[best], candidates[best]
            history.append(loss_of(best_residual))
            position, speed = errors(best_residual)
            bar.update(len(candidates))
            bar.set_postfix(position=f"{position:.2e} m", speed=f"{speed:.2e} m/s")
            if solved(best_residual):
                break
    finally:
        bar.close()
    wall = time.perf_counter() - start
    position, speed = errors(best_residual)
    return Result("CMA-ES", len(history), evaluations, problem.compile_seconds, wall, best_u,
                  position, speed, solved(best_residual), history)


def plot(problem: BallProblem, results: list, path: str) -> str:
    """Save the trajectories (x-z side view) and learning curves of both methods."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_traj, ax_loss) = plt.subplots(1, 2, figsize=(12, 4))
    for result, style in zip(results, ["-", "--"]):
        positions = problem.trajectory(result.initial_velocity)
        ax_traj.plot(positions[:, 0], positions[:, 2], style, label=result.method)
        ax_loss.semilogy(np.arange(1, len(result.history) + 1), result.history, style,
                         label=f"{result.method} ({result.evaluations} rollouts)")
    ax_traj.plot([TARGET[0]], [TARGET[2]], "r*", markersize=14, label="target")
    ax_traj.set(xlabel="x (m)", ylabel="z (m)", title="ball trajectories, 10 s")
    ax_traj.set_aspect("equal", adjustable="datalim")
    ax_traj.legend()
    ax_loss.axhline(POSITION_TOLERANCE + SPEED_TOLERANCE, color="gray", lw=0.5)
    ax_loss.set(xlabel="iteration (CMA-ES: generation)",
                ylabel="distance + final speed", title="convergence")
    ax_loss.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(results: list) -> str:
    lines = ["| method | iterations | rollouts | compile s | optimization s | position error m "
             "| final speed m/s | reached 1 cm & 1 cm/s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.method} | {r.iterations} | {r.evaluations} | {r.compile_seconds:.1f} "
                     f"| {r.wall_seconds:.2f} | {r.position_error:.2e} | {r.final_speed:.2e} "
                     f"| {'yes' if r.converged else 'NO'} |")
    return "\n".join(lines)


def run(out_dir: str = "out/ball", backend: str | None = None, seed: int = 0,
        progress: bool = True) -> list:
    """The whole experiment: both optimizers from the same start, table and plot."""
    import os

    os.makedirs(out_dir, exist_ok=True)
    print(f"compiling the ball rollouts ({sp.backend.resolve_backend(backend)}) ...", flush=True)
    problem = BallProblem(backend=backend)
    print(f"compiled in {problem.compile_seconds:.1f} s (shared by both methods)", flush=True)
    u0 = np.zeros(6)  # the ball starts at rest
    results = [optimize_gradient(problem, u0, progress=progress),
               optimize_cmaes(problem, u0, seed=seed, progress=progress)]
    print(report(results))
    for r in results:
        print(f"{r.method}: initial velocity {np.round(r.initial_velocity[:3], 4)} m/s, "
              f"angular velocity {np.round(r.initial_velocity[3:], 4)} rad/s")
    gradient, cmaes = results
    print(f"gradient / CMA-ES: {gradient.wall_seconds / cmaes.wall_seconds:.3f}x wall time, "
          f"{gradient.evaluations / cmaes.evaluations:.3f}x rollouts")
    path = plot(problem, results, os.path.join(out_dir, "ball.png"))
    print(f"plot: {path}")
    return results


GRAPH_MODELS = {"ball": build_model}  # symphys graph --model ball


def register(subparsers) -> None:
    """Declare ``symphys ball``: the experiment above from the command line."""
    ball = subparsers.add_parser("ball", help="the paper's ball experiment: gradients vs CMA-ES")
    ball.add_argument("--out", default="out/ball", help="folder for the plot")
    ball.add_argument("--backend", default=None, choices=["jax", "c", "numba"],
                      help="default: jax under PyTensor, c under Aesara (SYMPHYS_GRAPH)")
    ball.add_argument("--seed", type=int, default=0, help="CMA-ES seed")
    ball.add_argument("--no-progress", action="store_true")
    ball.set_defaults(run=main)


def main(args) -> int:
    """``symphys ball``: run the experiment; exit status 0 if the gradient method reached the target."""
    from symphys.cli import show_progress

    results = run(args.out, args.backend, args.seed, show_progress(args))
    return 0 if results[0].converged else 1
