"""Bayesian system identification: friction, restitution and mass from observed trajectories.

The scene (``sysid.xml``, MJCF): a 2 kg box (0.2 x 0.2 x 0.1 m) on the ground is pushed along +x
by a known force of 20 N for 0.4 s and slides to rest; beside it a ball (r = 5 cm) falls from
1 m and bounces.  Observations: the centres of both bodies at 50 Hz for 0.9 s with 2 mm Gaussian
noise, made by MuJoCo from the same file when the ``mujoco`` package is installed (a check of
symphys against another engine), else by symphys itself with known parameters.

Unknowns: the box-ground sliding friction coefficient (the floor and the box share it), the
ball's restitution, the box's mass (kg) and the observation noise (m).  PyMC samples their
posterior with NUTS through the symphys rollout (``symphys.pymc.trajectory``); Gauss-Newton
with the exact Jacobian and CMA-ES give point fits for comparison.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings

import numpy as np

import symphys as sp

SCENE = os.path.join(os.path.dirname(__file__), "sysid.xml")
# s observed: the push, the slide to rest (~0.82 s) and the ball's first bounce and rebound.  The
# second bounce (at ~0.44 + 0.88 e s) is left out: the step in which a bounce falls moves the rest of
# the trajectory in jumps, so over 1.2 s the sum of squares in e has 6 local minima between 0.54 and
# 0.61 (NUTS chains stuck apart, R-hat 1.8); over 0.9 s it has one (benchmarks/RESULTS.md).
DURATION = 0.9
RATE = 50.0  # Hz, observation rate
NOISE = 0.002  # m, standard deviation of the observation noise
PUSH_FORCE = 20.0  # N along +x, on the box's centre of mass
PUSH_SECONDS = 0.4  # s, from t = 0
MUJOCO_TIMESTEP = 0.002  # s: MuJoCo's reference runs finer than symphys's 0.01 s
BODIES = ("box", "ball")
# The scene's values (sysid.xml); symphys-made data use these as the truth.
TRUTH = {"friction": 0.5, "restitution": 0.57, "mass": 2.0}
NAMES = ("friction", "restitution", "mass")
UNITS = {"friction": "", "restitution": "", "mass": "kg", "sigma": "m"}
HDI_PROB = 0.94


def build_model(dtype: str = "float64", dt: float | None = None) -> sp.Model:
    """The scene as a symphys Model (dt: the file's 0.01 s unless given); MJCF approximations
    (the ball's solref) are not warned about."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sp.MJCFWarning)
        world = sp.load_mjcf(SCENE, dtype=dtype)
    if dt is not None:
        world.dt = sp.checks.positive(dt, "dt")
    model = world.build()
    assert model.n_pair_contacts == 0, "box and ball must not collide (contype/conaffinity)"
    return model


def steps_and_every(model: sp.Model) -> tuple[int, int]:
    """(time steps covering DURATION, steps per observation at RATE)."""
    every = int(round(1.0 / (RATE * model.dt)))
    if not np.isclose(every * model.dt * RATE, 1.0):
        raise ValueError(f"the model's dt {model.dt} s does not divide the observation period {1 / RATE} s")
    return int(round(DURATION / model.dt)), every


def push_wrench(model: sp.Model, steps: int) -> np.ndarray:
    """(steps, n_bodies, 6) external [force, torque] (N, N m): the push on the box."""
    wrench = np.zeros((steps, model.n_bodies, 6))
    pushed = np.arange(steps) * model.dt < PUSH_SECONDS - 1e-9
    wrench[pushed, model.body_index("box"), 0] = PUSH_FORCE
    return wrench


def scene_params(model: sp.Model, friction, restitution, mass) -> dict:
    """Params fields of the scene for the three unknowns, graph expressions of shape () or (batch,).

    friction: the box-ground coefficient mu, as the box's coefficient mu^2 against a ground of 1
    (symphys mixes the geometric mean, sqrt(mu^2 * 1) = mu; MuJoCo the maximum of the file's 0.5
    and 0.5), so that every unknown is per body and a batch can give each world its own.
    restitution: the ball's (the ground's is 0; symphys takes the larger of the two).
    mass: the box's (kg); the ball keeps the file's mass.  Per-body fields come out as (n_bodies,)
    or (batch, n_bodies).
    """
    pt = sp.backend.pt
    dtype = model.dtype
    box, ball = model.body_index("box"), model.body_index("ball")
    friction, restitution, mass = (pt.as_tensor_variable(x) for x in (friction, restitution, mass))

    def per_body(values, index, value):  # the model's values with entry ``index`` replaced
        ones = pt.ones_like(value)
        return pt.stack([value if i == index else ones * np.asarray(v, dtype=dtype) for i, v in enumerate(values)],
                        axis=-1)

    return {"body_mass": per_body(model.body_mass, box, mass),
            "body_friction": per_body(model.body_friction, box, friction ** 2),
            "body_restitution": per_body(np.zeros(model.n_bodies), ball, restitution),
            "ground_friction": np.asarray(1.0), "ground_restitution": np.asarray(0.0)}


@dataclasses.dataclass
class Observations:
    """Noisy positions of the scene's bodies and where they came from."""

    times: np.ndarray  # (frames,) s
    positions: np.ndarray  # (frames, 2, 3) m, box then ball
    source: str  # "MuJoCo 4.0.1" or "symphys"
    truth: dict  # the true (or, for MuJoCo, measured effective) values of the unknowns
    noise: float  # m
    clean: np.ndarray  # (frames, 2, 3) m, before the noise


def mujoco_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("mujoco") is not None


def mujoco_observations(seed: int = 0, noise: float = NOISE) -> Observations:
    """MuJoCo's trajectories of the scene (timestep MUJOCO_TIMESTEP), sampled at RATE, plus noise.

    The truth: the file's friction and mass, and the ball's restitution measured from MuJoCo's
    own velocities (rebound over impact speed at the first bounce): MuJoCo has no restitution
    coefficient, its bounce comes from the contact's spring and damper (solref).
    """
    import mujoco

    m = mujoco.MjModel.from_xml_path(SCENE)
    m.opt.timestep = MUJOCO_TIMESTEP
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    ids = [m.body(name).id for name in BODIES]
    ball_dof = m.jnt_dofadr[m.body("ball").jntadr[0]] + 2  # the ball's vertical velocity
    per_frame = int(round(1.0 / (RATE * MUJOCO_TIMESTEP)))
    n_steps = int(round(DURATION / MUJOCO_TIMESTEP))
    frames, ball_vz = [], []
    for i in range(n_steps + 1):
        if i % per_frame == 0:
            frames.append(d.xpos[ids].copy())
        ball_vz.append(float(d.qvel[ball_dof]))
        d.xfrc_applied[ids[0], :3] = (PUSH_FORCE, 0.0, 0.0) if i * MUJOCO_TIMESTEP < PUSH_SECONDS - 1e-9 else 0.0
        mujoco.mj_step(m, d)
    clean = np.array(frames)
    truth = {"friction": float(m.geom_friction[m.body_geomadr[ids[0]], 0]),
             "restitution": first_bounce_restitution(np.array(ball_vz)),
             "mass": float(m.body_mass[ids[0]])}
    rng = np.random.default_rng(seed)
    return Observations(np.arange(len(clean)) / RATE, clean + rng.normal(0.0, noise, clean.shape),
                        f"MuJoCo {mujoco.__version__}", truth, noise, clean)


def first_bounce_restitution(vertical_velocity: np.ndarray) -> float:
    """Rebound speed over impact speed at the first bounce of a velocity series (m/s per step)."""
    v = vertical_velocity
    impact = int(np.argmax(np.diff(v) > 0.1 * abs(v.min())))  # the first step the ground pushes back
    after = impact + int(np.argmax(np.diff(v[impact:]) <= 0))  # contact ends: no more upward push
    return float(v[after] / -v[impact])


# Coordinates that depend on the unknowns (the box's x and z, the ball's z): the point fits' residuals.
FIT_COORDINATES = ((0, 0), (0, 2), (1, 2))
LOWER, UPPER = np.array([1e-3, 0.0, 1e-2]), np.array([3.0, 1.0, 50.0])  # bounds of the point fits


class Scene:
    """The scene's model and compiled rollouts: positions, and for the point fits the residuals'
    exact Jacobian and a batch of positions for CMA-ES's population."""

    def __init__(self, backend: str | None = None, dtype: str = "float64", dt: float | None = None,
                 population: int = 8, jacobian: bool = True):
        self.model = model = build_model(dtype, dt)
        self.steps, self.every = steps_and_every(model)
        self.wrench = push_wrench(model, self.steps)
        self.backend = sp.backend.resolve_backend(backend)
        self.population = population
        pt = sp.backend.pt
        start = time.perf_counter()
        theta = sp.backend.tensor("theta", (3,), dtype)
        self._positions = sp.compile([theta], [self.positions_graph(theta[0], theta[1], theta[2])], self.backend)
        thetas = sp.backend.tensor("thetas", (population, 3), dtype)
        self._batch = sp.compile([thetas], [self.batch_positions_graph(thetas)], self.backend)
        if jacobian:
            # d residual / d theta with one reverse pass: world r of a batch of n_res copies of theta
            # differentiates residual r only (the ball experiment's trick, ball.py).
            frames = self.steps // self.every + 1
            n_res = frames * len(FIT_COORDINATES)
            # The copies are a graph input: PyTensor differentiates with respect to inputs (an
            # intermediate broadcast of theta can be rewritten away inside the scan's graph).
            copies = sp.backend.tensor("copies", (n_res, 3), dtype)
            residuals = self._fit_coordinates(self.batch_positions_graph(copies))  # (n_res worlds, n_res)
            diagonal = pt.sum(residuals[pt.arange(n_res), pt.arange(n_res)])
            self._jacobian = sp.compile([copies], [residuals[0], sp.grad(diagonal, copies)], self.backend)
            self.n_res = n_res
            self.residuals_and_jacobian(self.truth_vector())
        self._positions(self.truth_vector())
        self._batch(np.repeat(self.truth_vector()[None], population, axis=0))
        self.compile_seconds = time.perf_counter() - start

    @staticmethod
    def truth_vector() -> np.ndarray:
        return np.array([TRUTH[n] for n in NAMES])

    def positions_graph(self, friction, restitution, mass):
        """(frames, 2, 3) graph of the bodies' positions (m) for the unknowns (scalar graph expressions)."""
        params = scene_params(self.model, friction, restitution, mass)
        return sp.pymc.trajectory(self.model, params, self.steps, list(BODIES), every=self.every, wrench=self.wrench)

    def batch_positions_graph(self, thetas):
        """(batch, frames, 2, 3) graph of positions for a (batch, 3) graph of unknowns, one per world."""
        pt = sp.backend.pt
        batch = thetas.type.shape[0]
        params = self.model.params().replace(**scene_params(self.model, thetas[:, 0], thetas[:, 1], thetas[:, 2]))
        wrench = np.repeat(self.wrench[:, None], batch, axis=1)
        _, history = sp.rollout(self.model, self.model.initial_state(batch), self.steps, params, wrench=wrench)
        bodies = [self.model.body_index(b) for b in BODIES]
        return pt.moveaxis(history.position[::self.every][:, :, bodies], 1, 0)

    @staticmethod
    def _fit_coordinates(positions):
        """(..., frames * 3) of (..., frames, 2, 3) positions: FIT_COORDINATES, frame-major."""
        pt = sp.backend.pt
        parts = [positions[..., body, axis] for body, axis in FIT_COORDINATES]
        return pt.stack(parts, axis=-1).reshape((*positions.shape[:-3], -1))

    def positions(self, theta) -> np.ndarray:
        """(frames, 2, 3) m for theta = (friction, restitution, mass kg)."""
        (out,) = self._positions(np.asarray(theta, dtype=self.model.dtype))
        return out

    def batch_positions(self, thetas) -> np.ndarray:
        """(population, frames, 2, 3) m for (population, 3) unknowns."""
        (out,) = self._batch(np.asarray(thetas, dtype=self.model.dtype))
        return out

    def fit_vector(self, positions: np.ndarray) -> np.ndarray:
        """The fitted coordinates of (frames, 2, 3) positions, frame-major (as the residuals)."""
        return np.stack([positions[..., body, axis] for body, axis in FIT_COORDINATES], axis=-1).reshape(
            (*positions.shape[:-3], -1))

    def residuals_and_jacobian(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """Simulated fitted coordinates (n_res,) m and their exact Jacobian (n_res, 3)."""
        copies = np.repeat(np.asarray(theta, dtype=self.model.dtype)[None], self.n_res, axis=0)
        values, jacobian = self._jacobian(copies)
        return values, jacobian


def symphys_observations(scene: Scene, truth: dict | None = None, seed: int = 0,
                         noise: float = NOISE) -> Observations:
    """Observations simulated by symphys itself with known parameters (default TRUTH)."""
    truth = dict(TRUTH if truth is None else truth)
    clean = scene.positions([truth[n] for n in NAMES])
    rng = np.random.default_rng(seed)
    return Observations(np.arange(len(clean)) / RATE, clean + rng.normal(0.0, noise, clean.shape),
                        "symphys", truth, noise, clean)


def pymc_model(model: sp.Model, observations: Observations, steps: int | None = None, every: int | None = None):
    """The PyMC model: priors on the unknowns, the symphys rollout as the mean of a Normal likelihood.

    Priors (weakly informative): friction ~ LogNormal(log 0.4, 0.5), restitution ~ Beta(2, 2),
    box mass ~ LogNormal(log 1.5, 0.5) kg, noise sigma ~ HalfNormal(0.01) m.  The likelihood
    covers the coordinates the unknowns move (box x and z, ball z: FIT_COORDINATES).
    """
    pm = sp.pymc.require_pymc()
    default_steps, default_every = steps_and_every(model)
    steps = default_steps if steps is None else steps
    every = default_every if every is None else every
    wrench = push_wrench(model, steps)
    observed = np.stack([observations.positions[..., b, a] for b, a in FIT_COORDINATES], axis=-1)
    with pm.Model() as pymc_model:
        friction = pm.LogNormal("friction", mu=np.log(0.4), sigma=0.5)
        restitution = pm.Beta("restitution", alpha=2.0, beta=2.0)
        mass = pm.LogNormal("mass", mu=np.log(1.5), sigma=0.5)
        sigma = pm.HalfNormal("sigma", sigma=0.01)
        positions = sp.pymc.trajectory(model, scene_params(model, friction, restitution, mass), steps, list(BODIES),
                               every=every, wrench=wrench)
        mean = sp.backend.pt.stack([positions[:, b, a] for b, a in FIT_COORDINATES], axis=-1)
        pm.Normal("observed", mu=mean, sigma=sigma, observed=observed[: mean.type.shape[0] or len(observed)])
    return pymc_model


def default_sampler() -> str:
    """"nutpie" if installed (PyMC 6's own default then), else "pymc"."""
    import importlib.util

    return "nutpie" if importlib.util.find_spec("nutpie") is not None else "pymc"


def sample(pymc_model, draws: int = 1000, tune: int = 1000, chains: int = 4, seed: int = 0,
           sampler: str | None = None, progress: bool = False, max_tree_depth: int | None = None):
    """NUTS draws of the posterior; (InferenceData/DataTree, wall seconds including compilation).

    sampler: None = default_sampler(); "nutpie": nutpie's NUTS on the logp and gradient compiled by
    PyTensor's JAX linker, with its low-rank mass matrix adaptation (friction and mass are
    correlated: with a diagonal one the trees are 6x deeper).  nutpie is called directly: through
    ``pm.sample(nuts_sampler="nutpie")`` (PyMC 6.4) the same 4 chains x 300 draws had not finished
    after 300 s, against 16 s here.  "pymc": PyMC's own NUTS on the same JAX-compiled logp
    (PyTensor's default C VM runs the gradient ~10x slower); "numpyro", "blackjax": PyMC's JAX
    samplers (numpyro's XLA compilation of this model ran out of memory, RESULTS.md).
    max_tree_depth: nutpie: the NUTS tree's depth limit (None: nutpie's 10, 1,023 leapfrog steps);
    a lower one bounds the cost of a chain whose adaptation went wrong.
    """
    pm = sp.pymc.require_pymc()
    sampler = default_sampler() if sampler is None else sampler
    start = time.perf_counter()
    if sampler == "nutpie":
        import nutpie

        # nutpie's default backend is Numba, whose compilation of the rollout's gradient scan takes minutes.
        # Chains start at the priors' support points, not jittered: nutpie's U(-1, 1) jitter in the
        # unconstrained space can start a chain where the box does not move (mu m > F / g: a flat
        # likelihood) or where the ball's second bounce falls in the window (a jagged one); with
        # seed 0 such a chain had not finished 4 x 300 draws after 240 s (22-30 s unjittered, seeds 0-3).
        compiled = nutpie.compile_pymc_model(pymc_model, backend="jax", gradient_backend="jax", jitter_rvs=set())
        depth = {} if max_tree_depth is None else {"maxdepth": sp.checks.positive_int(max_tree_depth, "max_tree_depth")}
        posterior = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, seed=seed,
                                  adaptation="low_rank", progress_bar=progress, **depth)
        return posterior, time.perf_counter() - start
    kwargs = dict(draws=draws, tune=tune, chains=chains, random_seed=seed, progressbar=progress,
                  compute_convergence_checks=False, nuts_sampler=sampler)
    if sampler == "pymc":
        kwargs.update(cores=1, compile_kwargs={"mode": sp.backend.make_mode("jax")})
    with pymc_model:
        posterior = pm.sample(**kwargs)
    return posterior, time.perf_counter() - start


def summary(posterior, truth: dict) -> list[dict]:
    """Per unknown: posterior mean, 94% HDI, truth, whether the HDI covers it, R-hat, bulk ESS."""
    import arviz as az

    rows = []
    for name in (*NAMES, "sigma"):
        draws = np.asarray(posterior.posterior[name]).reshape(-1)
        low, high = (float(x) for x in np.asarray(az.hdi(posterior, var_names=[name], prob=HDI_PROB)[name]))
        rows.append({"name": name, "mean": float(draws.mean()), "low": low, "high": high,
                     "truth": truth.get(name), "rhat": float(np.asarray(az.rhat(posterior, var_names=[name])[name])),
                     "ess": float(np.asarray(az.ess(posterior, var_names=[name])[name]))})
    return rows


def divergences(posterior) -> int:
    return int(np.asarray(posterior.sample_stats["diverging"]).sum())


@dataclasses.dataclass
class PointFit:
    method: str
    theta: np.ndarray  # (friction, restitution, mass kg)
    rollouts: int
    wall_seconds: float
    rms: float  # m, residual of the fitted coordinates


def gauss_newton(scene: Scene, observations: Observations, theta0=(0.4, 0.5, 1.5)) -> PointFit:
    """Least squares on the fitted coordinates: scipy's trust-region reflective Gauss-Newton with the
    exact Jacobian (one batched reverse pass, Scene.residuals_and_jacobian), within LOWER..UPPER."""
    import scipy.optimize

    target = scene.fit_vector(observations.positions)
    calls = [0]

    def jac(theta):
        calls[0] += 1
        return scene.residuals_and_jacobian(theta)[1]

    start = time.perf_counter()
    result = scipy.optimize.least_squares(lambda th: scene.fit_vector(scene.positions(th)) - target,
                                          np.asarray(theta0, float), jac=jac, bounds=(LOWER, UPPER),
                                          method="trf", x_scale="jac")
    wall = time.perf_counter() - start
    return PointFit("Gauss-Newton (exact Jacobian)", result.x, int(result.nfev) + calls[0] * scene.n_res, wall,
                    float(np.sqrt(np.mean(result.fun ** 2))))


def cmaes(scene: Scene, observations: Observations, theta0=(0.4, 0.5, 1.5), seed: int = 0,
          max_evaluations: int = 4000) -> PointFit:
    """CMA-ES (``cma``) on the same sum of squares, one batched rollout per generation."""
    import cma

    target = scene.fit_vector(observations.positions)
    options = {"popsize": scene.population, "seed": seed + 1, "verbose": -9, "maxfevals": max_evaluations,
               "bounds": [list(LOWER), list(UPPER)], "tolfun": 1e-12, "tolx": 1e-7}
    strategy = cma.CMAEvolutionStrategy(np.asarray(theta0, float), 0.3, options)
    evaluations = 0
    start = time.perf_counter()
    while not strategy.stop():
        candidates = np.array(strategy.ask())
        losses = ((scene.fit_vector(scene.batch_positions(candidates)) - target) ** 2).mean(axis=1)
        strategy.tell(list(candidates), list(losses))
        evaluations += len(candidates)
    wall = time.perf_counter() - start
    best = np.asarray(strategy.result.xbest)
    return PointFit("CMA-ES", best, evaluations, wall, float(np.sqrt(strategy.result.fbest)))


def plot(scene: Scene, observations: Observations, posterior, out_dir: str, seed: int = 0) -> list[str]:
    """A corner plot of the posterior (matplotlib: pairwise scatter, histograms on the diagonal, truth
    marked) and observed vs posterior-predictive trajectories (50 posterior draws)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = (*NAMES, "sigma")
    draws = {n: np.asarray(posterior.posterior[n]).reshape(-1) for n in names}
    fig, axes = plt.subplots(len(names), len(names), figsize=(9, 9))
    for i, row in enumerate(names):
        for j, col in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                ax.hist(draws[row], bins=40, color="C0")
                if row in observations.truth:
                    ax.axvline(observations.truth[row], color="r")
            else:
                ax.plot(draws[col], draws[row], ".", ms=1, alpha=0.3)
                if row in observations.truth and col in observations.truth:
                    ax.plot(observations.truth[col], observations.truth[row], "r*", ms=10)
            if i == len(names) - 1:
                ax.set_xlabel(f"{col} {UNITS[col]}".strip())
            if j == 0:
                ax.set_ylabel(f"{row} {UNITS[row]}".strip())
    fig.suptitle(f"posterior ({observations.source} data; red: true values)")
    fig.tight_layout()
    corner = os.path.join(out_dir, "sysid_corner.png")
    fig.savefig(corner, dpi=100)
    plt.close(fig)

    rng = np.random.default_rng(seed)
    picks = rng.choice(len(draws["friction"]), size=min(50, len(draws["friction"])), replace=False)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    t = observations.times
    for k in picks:
        p = scene.positions([draws[n][k] for n in NAMES])[: len(t)]
        axes[0].plot(t, p[:, 0, 0], color="C1", alpha=0.1)
        axes[1].plot(t, p[:, 1, 2], color="C1", alpha=0.1)
    axes[0].plot(t, observations.positions[:, 0, 0], "k.", ms=3, label=f"observed ({observations.source})")
    axes[1].plot(t, observations.positions[:, 1, 2], "k.", ms=3, label=f"observed ({observations.source})")
    axes[0].set(xlabel="t (s)", ylabel="box x (m)", title="box pushed 0.4 s, sliding")
    axes[1].set(xlabel="t (s)", ylabel="ball z (m)", title="ball bouncing")
    for ax in axes:
        ax.plot([], [], color="C1", label="posterior predictive (50 draws)")
        ax.legend()
    fig.tight_layout()
    predictive = os.path.join(out_dir, "sysid_trajectories.png")
    fig.savefig(predictive, dpi=100)
    plt.close(fig)
    return [corner, predictive]


def report(rows: list[dict], fits: list[PointFit]) -> str:
    lines = ["| unknown | truth | posterior mean | 94% HDI | R-hat | ESS (bulk) | "
             + " | ".join(f.method for f in fits) + " |", "|---" * (6 + len(fits)) + "|"]
    for r in rows:
        truth = "" if r["truth"] is None else f"{r['truth']:.4g}"
        index = NAMES.index(r["name"]) if r["name"] in NAMES else None
        points = [f"{f.theta[index]:.4g}" if index is not None else "" for f in fits]
        lines.append(f"| {r['name']} {UNITS[r['name']]} | {truth} | {r['mean']:.4g} | [{r['low']:.4g}, "
                     f"{r['high']:.4g}] | {r['rhat']:.3f} | {r['ess']:.0f} | " + " | ".join(points) + " |")
    return "\n".join(lines)


def run(out_dir: str = "out/sysid", draws: int = 1000, tune: int = 1000, chains: int = 4, seed: int = 0,
        sampler: str | None = None, source: str = "auto", progress: bool = True) -> dict:
    """The experiment: observations (MuJoCo if installed, else symphys), NUTS, point fits, table, plots."""
    os.makedirs(out_dir, exist_ok=True)
    scene = Scene()
    use_mujoco = source == "mujoco" or (source == "auto" and mujoco_available())
    observations = mujoco_observations(seed) if use_mujoco else symphys_observations(scene, seed=seed)
    print(f"observations: {observations.source}"
          + ("" if use_mujoco else " (MuJoCo is not installed: symphys with known parameters)"), flush=True)
    posterior, wall = sample(pymc_model(scene.model, observations), draws, tune, chains, seed, sampler, progress)
    rows = summary(posterior, observations.truth)
    fits = [gauss_newton(scene, observations), cmaes(scene, observations, seed=seed)]
    print(f"NUTS ({sampler or default_sampler()}): {chains} chains x {draws} draws (+{tune} tuning) in {wall:.0f} s "
          f"(compilation included), {divergences(posterior)} divergences")
    print(report(rows, fits))
    for f in fits:
        print(f"{f.method}: {f.rollouts} rollouts, {f.wall_seconds:.1f} s, rms residual {f.rms * 1e3:.2f} mm")
    for path in plot(scene, observations, posterior, out_dir, seed):
        print(f"plot: {path}")
    return {"rows": rows, "fits": fits, "wall": wall, "divergences": divergences(posterior),
            "source": observations.source}


def register(subparsers) -> None:
    """Declare ``symphys sysid``."""
    from symphys.cli import positive_int

    sysid = subparsers.add_parser("sysid", help="Bayesian system identification (PyMC): friction, restitution, mass")
    sysid.add_argument("--out", default="out/sysid", help="folder for the plots")
    sysid.add_argument("--draws", type=positive_int, default=1000)
    sysid.add_argument("--tune", type=positive_int, default=1000)
    sysid.add_argument("--chains", type=positive_int, default=4)
    sysid.add_argument("--seed", type=int, default=0)
    sysid.add_argument("--sampler", default=None, choices=["pymc", "nutpie", "numpyro", "blackjax"],
                       help="default: nutpie if installed, else pymc (PyMC's NUTS on the JAX-compiled logp)")
    sysid.add_argument("--data", default="auto", choices=["auto", "mujoco", "symphys"],
                       help="observations: MuJoCo if installed (auto), or symphys with known parameters")
    sysid.add_argument("--no-progress", action="store_true")
    sysid.set_defaults(run=main)


def main(args) -> int:
    """``symphys sysid``: exit status 0 if R-hat <= 1.01 and no divergences."""
    from symphys.cli import show_progress

    try:
        sp.pymc.require_pymc()
    except ImportError as error:
        print(f"symphys sysid: {error}")
        return 2
    if args.data == "mujoco" and not mujoco_available():
        print("symphys sysid: --data mujoco needs the mujoco package (pip install 'symphys[mujoco]')")
        return 2
    result = run(args.out, args.draws, args.tune, args.chains, args.seed, args.sampler, args.data,
                 show_progress(args))
    good = all(r["rhat"] <= 1.01 for r in result["rows"]) and result["divergences"] == 0
    return 0 if good else 1
