"""Billiards: a combination shot, found with gradients through body-body contacts and with CMA-ES.

Pool balls (57.2 mm, 0.17 kg) lie on a table (2.54 m x 1.27 m, cushions
of fixed boxes).  The cue ball is struck with a horizontal velocity
u = (u_x, u_y) m/s and no spin; it hits ball "one", which hits the "target"
ball, which must come to rest within 2 cm of a pocket point (and below
1 cm/s) after ``DURATION`` s.  A fourth ball stands by (it is a candidate
of every pair but is not hit).  The problem is solved once with
Gauss-Newton on the exact Jacobian (reverse mode through the rollout)
and once with CMA-ES, from the same start: the ghost-ball aim, where the
chain of hits already exists.

Cloth: ball on cloth slides with Coulomb friction 0.2; a rolling ball is
slowed by rolling resistance, a torque mu_r m g R against its horizontal
spin (applied as an external wrench of the state, ``rollout(wrench=f)``),
so it decelerates at (5/7) mu_r g and stops.  mu_r = 0.03 is a slow cloth
(a fast one is ~0.01): the shot ends within 4 s.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

import symphys as sp

BALL_RADIUS = 0.0286  # m (57.2 mm pool ball)
BALL_MASS = 0.17  # kg
BALL_FRICTION = 0.05  # ball on ball (pairs mix sqrt(mu_a mu_b))
CLOTH_FRICTION = 0.8  # the table's coefficient: ball on cloth sqrt(0.05 * 0.8) = 0.2
RESTITUTION = 0.93  # ball on ball and ball on cushion (pairs take the larger)
RESTITUTION_THRESHOLD = 0.05  # m/s: slower impacts do not bounce (the solver's default, 0.5, is a
# billiards shot's speed: two balls meeting at 0.4 m/s would stick)
ROLLING_RESISTANCE = 0.03  # mu_r: torque mu_r m g R against the rolling; deceleration (5/7) mu_r g
STOP_SPIN = 0.1  # rad/s: the resistance torque is smoothed as w / sqrt(|w|^2 + STOP_SPIN^2), so a ball
# stops without chattering around w = 0 (linear below ~3 mm/s; its rate 2.5 / STOP_SPIN 1/s stays
# below 1 / dt)
TABLE = (2.54, 1.27)  # m, playing surface of a 9-ft table, centred on the origin
CUSHION_HALF = (0.025, 0.02)  # m: half width and half height of the cushion boxes
POCKET = np.array([1.0, 0.4])  # m: where the target ball must stop, 0.24 m from the cushions
BALLS = {"cue": (-0.6, 0.0), "one": (0.0, 0.05), "target": (0.45, 0.2), "other": (0.3, -0.3)}  # m
DURATION = 4.0  # s
START_SPEED = 2.0  # m/s: the ghost-ball aim's speed (the target stops short of the pocket)
MISS_ANGLE = -0.15  # rad: the start that misses ball one (and every other ball), turned this much from the aim
CHAIN = "cue > one > target"  # the shot asked for: the target is sent by ball one, which the cue sends
CHAIN_PENALTY = 1.0  # m added to CMA-ES's loss of a shot that does not go through CHAIN (e.g. a direct pot)
MOVING = 1e-3  # m: a ball has been hit once it is this far from where it lay
POSITION_TOLERANCE = 0.02  # m
SPEED_TOLERANCE = 0.01  # m/s


def build_model(dt: float = 0.01, cushions: bool = True, other: bool = True, pocket_marker: bool = True,
                positions: dict | None = None, pocket=POCKET) -> sp.Model:
    """The table: balls "cue", "one", "target" (and "other"), four cushions (fixed boxes) and a
    marker of radius POSITION_TOLERANCE at the pocket point (fixed, touching nothing; drawn only).

    positions: {name: (x, y) m} of the balls; BALLS by default.  pocket: (x, y) m of the marker.
    """
    dt = sp.checks.positive(dt, "dt")
    pocket = sp.checks.vector(pocket, 2, "pocket")
    positions = dict(BALLS if positions is None else positions)
    if not other:
        positions.pop("other", None)
    for name in ("cue", "one", "target"):
        if name not in positions:
            raise ValueError(f"positions: no ball named {name!r}; give cue, one and target")
    world = sp.World(dt=dt, restitution_threshold=RESTITUTION_THRESHOLD)
    world.add_ground(friction=CLOTH_FRICTION)
    for name, xy in positions.items():
        x, y = sp.checks.vector(xy, 2, f"positions[{name!r}]")
        world.add_sphere(radius=BALL_RADIUS, mass=BALL_MASS, position=(x, y, BALL_RADIUS), friction=BALL_FRICTION,
                         restitution=RESTITUTION, name=name)
    if cushions:
        length, width = TABLE
        half_width, half_height = CUSHION_HALF
        for name, centre, half in (
                ("cushion_top", (0.0, width / 2 + half_width), (length / 2 + 2 * half_width, half_width)),
                ("cushion_bottom", (0.0, -width / 2 - half_width), (length / 2 + 2 * half_width, half_width)),
                ("cushion_right", (length / 2 + half_width, 0.0), (half_width, width / 2)),
                ("cushion_left", (-length / 2 - half_width, 0.0), (half_width, width / 2))):
            world.add_box(half_extents=(*half, half_height), position=(*centre, half_height), fixed=True,
                          friction=BALL_FRICTION, restitution=RESTITUTION, name=name)
    if pocket_marker:
        world.add_sphere(radius=POSITION_TOLERANCE, position=(*pocket, 0.0), fixed=True, contype=0, conaffinity=0,
                         name="pocket")
    return world.build()


def rolling_resistance(model: sp.Model):
    """The cloth's rolling resistance as a force field for ``rollout(wrench=...)``: on every ball a
    torque -mu_r m g R w_h / sqrt(|w_h|^2 + STOP_SPIN^2) (N m), w_h the horizontal spin (rad/s)."""
    pt = sp.backend.pt
    balls = (np.asarray(model.body_shape) == int(sp.Shape.SPHERE)) & ~model.fixed_mask
    g = float(np.linalg.norm(model.gravity))
    scale = np.where(balls, ROLLING_RESISTANCE * model.body_mass * g * model.body_size[:, 0], 0.0)
    horizontal = np.array([1.0, 1.0, 0.0])

    def wrench(state, step):
        spin = state.angular_velocity * pt.constant(horizontal.astype(model.dtype))  # (B, N, 3)
        norm = pt.sqrt((spin**2).sum(axis=-1, keepdims=True) + STOP_SPIN**2)
        torque = -pt.constant(scale.astype(model.dtype))[None, :, None] * spin / norm
        return pt.concatenate([pt.zeros_like(torque), torque], axis=-1)

    return wrench


def ghost_ball_aim(model: sp.Model, pocket=POCKET, speed: float = START_SPEED) -> np.ndarray:
    """The cue velocity (2,) m/s of the ghost-ball aim: each ball is sent at the point where it would
    touch the next one's "ghost" (the position from which the next ball leaves towards its goal)."""
    position = {name: model.init_position[i, :2] for i, name in enumerate(model.body_names)}
    goal = sp.checks.vector(pocket, 2, "pocket")
    for name in ("target", "one", "cue"):
        direction = goal - position[name]
        direction = direction / np.linalg.norm(direction)
        goal = position[name] - 2 * BALL_RADIUS * direction  # the ghost of this ball
    return speed * direction


@dataclasses.dataclass
class Result:
    method: str
    iterations: int  # optimizer iterations (CMA-ES: generations)
    evaluations: int  # rollouts simulated (a batch of n counts n)
    compile_seconds: float
    wall_seconds: float  # optimization time, compile excluded
    cue_velocity: np.ndarray  # (2,) m/s
    position_error: float  # m, target ball to the pocket point at the end
    final_speed: float  # m/s, target ball at the end
    converged: bool
    history: list  # loss per iteration


class BilliardsProblem:
    """Compiled rollouts of the table: the residual and its Jacobian, batched outcomes and poses.

    The residual of a cue velocity u (2,) m/s is r(u) = p_T - pocket (2,) m, the target ball's final
    horizontal position from the pocket point; the functions also return its final horizontal
    velocity v_T (2,) m/s (a shot is solved when it has stopped, |v_T| < SPEED_TOLERANCE), as
    ``outcome`` (4,) = [r, v_T].  Each compiled function is made once.
    """

    N_RESIDUALS = 2

    def __init__(self, backend: str | None = None, dt: float = 0.01, duration: float = DURATION,
                 batch: int = 10, cushions: bool = True, other: bool = True, positions: dict | None = None,
                 pocket=POCKET):
        duration = sp.checks.positive(duration, "duration")
        self.batch = sp.checks.positive_int(batch, "batch")
        self.pocket = sp.checks.vector(pocket, 2, "pocket")
        self.model = model = build_model(dt, cushions=cushions, other=other, positions=positions, pocket=self.pocket)
        self.steps = int(round(duration / model.dt))
        if self.steps < 1:
            raise ValueError(f"duration: {duration} s is shorter than one step of {model.dt} s")
        self.backend = backend = sp.backend.resolve_backend(backend)
        self.cue, self.target = model.body_names.index("cue"), model.body_names.index("target")
        self._field = rolling_resistance(model)
        start = time.perf_counter()
        # The Jacobian from one reverse pass over a batch of 2 copies: copy b differentiates
        # component b of its own residual.
        n = self.N_RESIDUALS
        state = sp.symbolic_state(model, batch=n)
        final, _ = sp.rollout(model, state, self.steps, wrench=self._field)
        outcome = self._outcome(final)  # (2, 4)
        (g_v,) = sp.grad(sum(outcome[b, b] for b in range(n)), [state.velocity])
        self._jacobian_fn = sp.compile([state.velocity], [outcome[0], g_v[:, self.cue, :2], final.position[0]],
                                       backend)
        self._batch_fn = None  # compiled on first use (compile_batch)
        # The first call compiles what JAX compiles lazily: not optimization time.
        self.outcome_and_jacobian(np.zeros(2))
        self.compile_seconds = time.perf_counter() - start  # s, grows by compile_batch's

    def compile_batch(self) -> None:
        """Compile the batched forward rollouts (CMA-ES, trajectories) unless done; adds to compile_seconds."""
        if self._batch_fn is not None:
            return
        start = time.perf_counter()
        state = sp.symbolic_state(self.model, batch=self.batch)
        final, traj = sp.rollout(self.model, state, self.steps, wrench=self._field)
        self._batch_fn = sp.compile([state.velocity], [self._outcome(final), traj.position, traj.orientation],
                                    self.backend)
        self._batch_fn(self._velocities(np.zeros((1, 2)), self.batch))
        self.compile_seconds += time.perf_counter() - start

    def _outcome(self, final):
        pt = sp.backend.pt
        return pt.concatenate([final.position[:, self.target, :2] - pt.constant(self.pocket),
                               final.velocity[:, self.target, :2]], axis=-1)

    def _velocities(self, us, copies: int) -> np.ndarray:
        """(copies, n_bodies, 3) initial velocities: the cue ball's horizontal ones from us (k, 2)."""
        velocity = np.repeat(self.model.initial_state().velocity[None], copies, axis=0)
        velocity[:len(us), self.cue, :2] = us
        return velocity

    def outcome_and_jacobian(self, u):
        """[r(u), v_T] (4,) and dr/du (2, 2) at the cue velocity u (2,) m/s."""
        return self.shot(u)[:2]

    def shot(self, u):
        """[r(u), v_T] (4,), dr/du (2, 2) and every body's final position (n_bodies, 3) m."""
        u = _cue_velocity(u)
        return self._jacobian_fn(self._velocities(np.repeat(u[None], self.N_RESIDUALS, 0), self.N_RESIDUALS))

    def rollouts(self, us):
        """Outcomes [r, v_T] (k, 4), positions (T + 1, k, n_bodies, 3) and orientations of the cue velocities
        us (k, 2) m/s, k <= batch, in batches of ``batch``."""
        us = np.asarray(us, dtype=float).reshape(-1, 2)
        if len(us) > self.batch:
            raise ValueError(f"us: at most batch = {self.batch} cue velocities per call, got {len(us)}")
        outcome, position, orientation = self._batch_fn(self._velocities(us, self.batch))
        k = len(us)
        return outcome[:k], position[:, :k], orientation[:, :k]

    def batch_outcomes(self, us):
        return self.rollouts(us)[0]

    def trajectory(self, u):
        """Positions (T + 1, n_bodies, 3) and orientations (T + 1, n_bodies, 4) of one shot."""
        _, position, orientation = self.rollouts(_cue_velocity(u)[None])
        return position[:, 0], orientation[:, 0]


def _cue_velocity(u) -> np.ndarray:
    u = np.asarray(u, dtype=float)
    if u.shape != (2,) or not np.all(np.isfinite(u)):
        raise ValueError(f"u: the cue velocity must be 2 finite numbers (m/s), got {u!r}")
    return u


def errors(outcome) -> tuple[float, float]:
    """(position error m, final speed m/s) of an outcome [r, v_T]."""
    return float(np.linalg.norm(outcome[:2])), float(np.linalg.norm(outcome[2:4]))


def loss_of(outcome) -> float:
    """Distance (m) from the target ball's final position to the pocket point."""
    return errors(outcome)[0]


def solved(outcome) -> bool:
    position, speed = errors(outcome)
    return position < POSITION_TOLERANCE and speed < SPEED_TOLERANCE


def optimize_gradient(problem: BilliardsProblem, u0, max_iterations: int = 30, progress: bool = True,
                      method: str = "gradient (Gauss-Newton, exact Jacobian)") -> Result:
    """Gauss-Newton with a dogleg trust region (scipy's ``dogbox``) on the 2 residuals, with the exact
    Jacobian from reverse mode through the rollout; stops when the shot is within the tolerances."""
    from tqdm.auto import tqdm

    from .ball import least_squares_with_callback

    max_iterations = sp.checks.positive_int(max_iterations, "max_iterations")
    u0 = _cue_velocity(u0)
    cache: dict = {}
    history: list = []
    evaluations = [0]

    def evaluate(u):
        key = tuple(np.asarray(u, dtype=float))
        if key not in cache:
            cache.clear()
            cache[key] = problem.outcome_and_jacobian(np.asarray(u, dtype=float))
            evaluations[0] += problem.N_RESIDUALS  # one batched forward + reverse pass over 2 copies
        return cache[key]

    bar = tqdm(total=max_iterations, desc="gradient (dogbox)", disable=not progress, leave=False, mininterval=0.5)

    def callback(intermediate_result):
        outcome = evaluate(intermediate_result.x)[0]
        history.append(loss_of(outcome))
        position, speed = errors(outcome)
        bar.update(1)
        bar.set_postfix(position=f"{position:.2e} m", speed=f"{speed:.2e} m/s")
        if solved(outcome) or len(history) >= max_iterations:
            raise StopIteration

    start = time.perf_counter()
    if solved(evaluate(u0)[0]):
        u = u0
    else:
        try:
            result = least_squares_with_callback(
                lambda u: evaluate(u)[0][:2], u0, jac=lambda u: evaluate(u)[1], callback=callback, method="dogbox",
                xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=10 * max_iterations)
        finally:
            bar.close()
        u = result.x
    wall = time.perf_counter() - start
    outcome = evaluate(u)[0]
    position, speed = errors(outcome)
    return Result(method, len(history), evaluations[0], problem.compile_seconds, wall, np.asarray(u, dtype=float),
                  position, speed, solved(outcome), history)


def optimize_cmaes(problem: BilliardsProblem, u0, sigma0: float = 0.3, max_evaluations: int = 3000,
                   seed: int = 0, progress: bool = True, method: str = "CMA-ES") -> Result:
    """CMA-ES (the ``cma`` package) on the same loss, from u0 with step ``sigma0`` m/s; each generation
    is one batched rollout of the population (popsize = the problem's batch).  A shot whose chain of
    hits is not CHAIN (a direct pot of the target) costs CHAIN_PENALTY more and does not count as
    solved: without it CMA-ES finds the easier direct shot."""
    import cma
    from tqdm.auto import tqdm

    sigma0 = sp.checks.positive(sigma0, "sigma0")
    max_evaluations = sp.checks.positive_int(max_evaluations, "max_evaluations")
    u0 = _cue_velocity(u0)
    options = {"popsize": problem.batch, "seed": seed + 1, "verbose": -9, "maxfevals": max_evaluations,
               "tolfun": 0, "tolx": 0, "tolfunhist": 0, "tolstagnation": 10**9}
    strategy = cma.CMAEvolutionStrategy(u0, sigma0, options)
    history, best_outcome, best_u, best_loss, best_through = [], None, u0, np.inf, False
    evaluations = 0
    bar = tqdm(total=max_evaluations, desc="CMA-ES", disable=not progress, leave=False, mininterval=0.5)
    start = time.perf_counter()
    try:
        while not strategy.stop():
            candidates = np.array(strategy.ask())
            outcomes, positions, _ = problem.rollouts(candidates)
            through = [hits(problem.model, positions[:, k]) == CHAIN for k in range(len(candidates))]
            losses = [loss_of(o) + (0.0 if ok else CHAIN_PENALTY) for o, ok in zip(outcomes, through)]
            strategy.tell(list(candidates), losses)
            evaluations += len(candidates)
            best = int(np.argmin(losses))
            if best_outcome is None or losses[best] < best_loss:
                best_outcome, best_u, best_loss = outcomes[best], candidates[best], losses[best]
                best_through = through[best]
            history.append(best_loss)
            position, speed = errors(best_outcome)
            bar.update(len(candidates))
            bar.set_postfix(position=f"{position:.2e} m", speed=f"{speed:.2e} m/s")
            if best_through and solved(best_outcome):
                break
    finally:
        bar.close()
    wall = time.perf_counter() - start
    position, speed = errors(best_outcome)
    return Result(method, len(history), evaluations, problem.compile_seconds, wall, np.asarray(best_u, dtype=float),
                  position, speed, best_through and solved(best_outcome), history)


def miss_start(model: sp.Model) -> np.ndarray:
    """The ghost-ball aim turned by MISS_ANGLE: the cue ball misses ball one, nothing touches the target."""
    u = ghost_ball_aim(model, POCKET)
    c, s = np.cos(MISS_ANGLE), np.sin(MISS_ANGLE)
    return np.array([c * u[0] - s * u[1], s * u[0] + c * u[1]])


def hits(model: sp.Model, position) -> str:
    """The chain of hits that set the target moving, e.g. "cue > one > target" ("target not hit"):
    each ball is attributed to the nearest ball already moving at the step it first lies MOVING
    from where it lay.  position: (T + 1, n_bodies, 3) m of one shot."""
    names = model.body_names
    balls = [i for i in range(len(names)) if not model.fixed_mask[i]]
    moved = {}
    for i in balls:
        away = np.linalg.norm(position[:, i] - position[0, i], axis=-1) > MOVING
        if away.any():
            moved[i] = int(np.argmax(away))
    hit_by = {}
    for i, k in moved.items():
        earlier = [j for j in moved if moved[j] < k]
        if earlier:
            hit_by[i] = min(earlier, key=lambda j: np.linalg.norm(position[k, j] - position[k, i]))
    path = [names.index("target")]
    while path[-1] in hit_by and len(path) <= len(balls):
        path.append(hit_by[path[-1]])
    if len(path) == 1 or names[path[-1]] != "cue":
        return "target not hit"
    return " > ".join(names[i] for i in reversed(path))


def report(results: list, chains: list | None = None) -> str:
    lines = ["| method | start | iterations | rollouts | compile s | optimization s | target to pocket m "
             "| final speed m/s | within 2 cm & 1 cm/s | hits |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    chains = chains or [""] * len(results)
    for (start, r), chain in zip(results, chains):
        lines.append(f"| {r.method} | {start} | {r.iterations} | {r.evaluations} | {r.compile_seconds:.1f} "
                     f"| {r.wall_seconds:.2f} | {r.position_error:.2e} | {r.final_speed:.2e} "
                     f"| {'yes' if r.converged else 'NO'} | {chain} |")
    return "\n".join(lines)


def write_views(problem: BilliardsProblem, u, out_dir: str, title: str) -> list:
    """The shot ``u`` as a self-contained HTML player and a GIF in ``out_dir``; returns the paths."""
    import os

    from symphys import viewer

    position, orientation = problem.trajectory(u)
    traj = viewer.from_model(problem.model, (position, orientation), every=2, title=title)
    traj = dataclasses.replace(traj, follow=-1)  # a fixed camera over the table
    camera = viewer.camera.default_camera(traj, distance=2.8, elevation=60.0, azimuth=-90.0)  # the table fills it
    paths = [os.path.join(out_dir, "billiards.html"), os.path.join(out_dir, "billiards.gif")]
    viewer.write_html(paths[0], traj)
    viewer.write_gif(paths[1], traj, camera=camera)
    return paths


def run(out_dir: str = "out/billiards", backend: str | None = None, seed: int = 0, progress: bool = True,
        miss: bool = True) -> list:
    """The whole experiment: both optimizers from the ghost-ball aim (and, with ``miss``, from a start
    that misses ball one); the table, and the gradient's shot as HTML and GIF."""
    import os

    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir):
        raise ValueError(f"out_dir must be a folder path, got {out_dir!r}")
    os.makedirs(out_dir, exist_ok=True)
    print(f"compiling the billiards rollouts ({sp.backend.resolve_backend(backend)}) ...", flush=True)
    problem = BilliardsProblem(backend=backend)
    problem.compile_batch()
    model = problem.model
    print(f"compiled in {problem.compile_seconds:.1f} s (shared by both methods); {problem.steps} steps of "
          f"{model.dt} s, {model.n_rows} rows ({model.solver_method})", flush=True)
    u0 = ghost_ball_aim(model, problem.pocket)
    results = [("ghost-ball aim", optimize_gradient(problem, u0, progress=progress)),
               ("ghost-ball aim", optimize_cmaes(problem, u0, seed=seed, progress=progress))]
    if miss:
        u_miss = miss_start(model)
        results += [("a miss", optimize_gradient(problem, u_miss, progress=progress)),
                    ("a miss", optimize_cmaes(problem, u_miss, seed=seed, progress=progress))]
    chains = [hits(model, problem.trajectory(r.cue_velocity)[0]) for _, r in results]
    print(report(results, chains))
    for start, r in results:
        print(f"{r.method} from {start}: cue velocity {np.round(r.cue_velocity, 4)} m/s")
    gradient, cmaes = results[0][1], results[1][1]
    print(f"gradient / CMA-ES from the aim: {gradient.wall_seconds / cmaes.wall_seconds:.3f}x wall time, "
          f"{gradient.evaluations / cmaes.evaluations:.3f}x rollouts")
    for path in write_views(problem, gradient.cue_velocity, out_dir, "billiards: the gradient's shot"):
        print(f"wrote {path}")
    return results


GRAPH_MODELS = {"billiards": build_model}  # symphys graph --model billiards


def register(subparsers) -> None:
    """Declare ``symphys billiards``: the experiment above from the command line."""
    parser = subparsers.add_parser("billiards", help="a combination shot into a pocket: gradients vs CMA-ES")
    parser.add_argument("--out", default="out/billiards", help="folder for the HTML player and the GIF")
    parser.add_argument("--backend", default=None, choices=["jax", "c", "numba"],
                        help="default: jax under PyTensor, c under Aesara (SYMPHYS_GRAPH)")
    parser.add_argument("--seed", type=int, default=0, help="CMA-ES seed")
    parser.add_argument("--no-miss", action="store_true", help="skip the runs from a start that misses ball one")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(run=main)


def main(args) -> int:
    """``symphys billiards``: run the experiment; exit status 0 if the gradient method reached the pocket."""
    from symphys.cli import output_problem, show_progress

    problem = output_problem(f"{args.out}/billiards.html", (".html",))
    if problem:
        import sys

        print(f"symphys billiards: {problem.replace('billiards.html', '').rstrip('/')}", file=sys.stderr)
        return 2
    results = run(args.out, args.backend, args.seed, show_progress(args), miss=not args.no_miss)
    return 0 if results[0][1].converged else 1
