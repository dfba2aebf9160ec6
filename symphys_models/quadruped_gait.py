"""A neural gait for the quadruped, trained through physics (issues 4 and 17).

The controller is the paper's: an MLP from [sin(w t), cos(w t)] at 1.5 Hz
to the 8 servo targets, 2 x 128 ReLU plus a linear skip from the input
(17,952 weights), output layers zero so the robot starts by standing
still.  Targets are 45 deg x tanh(output), inside the joint limits.  The
network only sees time, so the whole target sequence is computed before
the rollout and enters it as controls.

Objective: mean forward (x) velocity of the torso over 8 s from rest.

Training is the paper's recipe (issue 17): loss = minus the torso's
forward velocity averaged over every step of the 8 s rollout (dt 5 ms),
rollout(gradient_decay=0.95) so that each step's gradient reaches back
~20 steps, clipping at global norm 1, Adam 1e-3, batch 1.  The solver is
the default ("auto": colored Gauss-Seidel, 10 sweeps; the quadruped's joint
rows at 140 Hz, quadruped.JOINT_FREQUENCY).  Other modes stay available:
truncate= (the gradient of the last seconds' speed), window=, and exact
gradients (gradient_decay=None).  8 s rollouts of this robot are chaotic:
finite differences of the 8 s speed along the gradient change sign between
eps = 1e-5 and 1e-2, and the same trot gives different speeds in a batch
and alone (rounding differs).

What counts (issue 17): a gait whose torso does not end upright (is_upright:
z axis . up > 0.5 at 8 s) does not, however far it went.  gait_score ranks
such a fall below every upright gait; it picks the hand-tuned baseline
(tune_trot), the weights training keeps and CMA-ES's best.  Variants of the
recipe: upright_weight (the torso's tilt costs speed), window (exact
gradients within windows), gradient_decay=None (exact 8 s), starts (batches
of perturbed starts).  Measured (benchmarks/RESULTS.md, "Quadruped gait"):
the recipe learns a dive, the variants dive or stall below 0.08 m/s, and
CMA-ES on the same weights finds an upright gait at 1.7x the trot in 500
rollouts.

Servos: 20 N m (MAX_TORQUE), the default of this experiment.  The paper's
4 N m servos cannot carry this robot through a stride: a quarter of its
282 N weight at a 0.35 m leg leaning 0.5 rad needs ~11 N m at the hip.
Every gait folds the legs onto their 45 deg stops within ~1.5 s and the
robot then barely moves, in symphys and in MuJoCo
(benchmarks/quadruped_feasibility.py: the best of thousands of gaits makes
~0.13 m/s over 8 s).  ``max_torque=4`` builds the paper's robot.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time

import numpy as np

import symphys as sp
from symphys import checks
from symphys.learn import nn, train

from . import quadruped

DURATION = 8.0  # s
FREQUENCY = quadruped.GAIT_FREQUENCY  # Hz, the phase signal
WINDOW = None  # s, gradient window (rollout(gradient_window=)); None: not used
TRUNCATE = None  # s, objective's gradient: the speed over the last TRUNCATE s, from a fixed start; None: not used
UPRIGHT_MIN = 0.5  # torso z axis . up at the end above which a gait counts (within 60 deg of vertical)
CMAES_SIGMA0 = 0.02  # CMA-ES's initial step size, in weight units
FALL_PENALTY = 1.0  # m/s taken off the score of a gait that does not end upright (gait_score)
UPRIGHT_FREE = 1.0  # torso z axis . up above which the upright term is flat (1: every tilt costs)
START_SPEED = 0.1  # m/s, spread of the perturbed starts' initial horizontal velocity (starts > 1)
UPRIGHT_WEIGHT = 0.0  # m/s per unit of the torso's z axis . up averaged over the steps; 0: the paper's recipe
GRADIENT_DECAY = 0.95  # rollout(gradient_decay=): each step's gradient reaches back ~1 / (1 - 0.95) = 20 steps
LEARNING_RATE = 1e-3  # Adam, the paper's recipe
MAX_TORQUE = 20.0  # N m, this experiment's servos (issue 17); the paper's 4 N m cannot carry the robot
DT = quadruped.DT
HIDDEN = (128, 128)
# A hand-tuned trot (hip and knee amplitudes rad, knee lag rad): the best of
# tune_trot's grid when the grid ran as one batch.  Scored alone, as the
# command's baseline now is (tune_trot at the robot's torque), the grid's best
# with 4 N m servos is (0.6, 0.6, pi) at 0.074 m/s and this one makes 0.042 m/s.
HAND_TUNED = dict(hip_amplitude=0.785, knee_amplitude=0.3, knee_lag=np.pi / 2)
CHECKPOINT = os.path.join(os.path.dirname(__file__), "checkpoints", "quadruped_gait.npz")


def build_model(dt: float | None = None, max_torque: float = MAX_TORQUE, **solver) -> sp.Model:
    """The quadruped (servo limit max_torque N m) on the default solver ("auto": Gauss-Seidel, 10 sweeps)."""
    return quadruped.build_model(dt=dt or DT, max_torque=max_torque, **solver)


@dataclasses.dataclass(frozen=True)
class GaitNetwork:
    """[sin, cos] -> 2 x 128 ReLU -> 8, plus a linear 2 -> 8 skip; both outputs start at 0."""

    hidden: tuple = HIDDEN

    @property
    def body(self) -> nn.MLP:
        return nn.MLP((2, *self.hidden, 8), activation="relu", zero_output=True)

    @property
    def skip(self) -> nn.MLP:
        return nn.MLP((2, 8), zero_output=True)

    @property
    def n_parameters(self) -> int:
        return self.body.n_parameters + self.skip.n_parameters

    def init(self, seed: int = 0) -> list:
        return self.body.init(seed) + self.skip.init(seed)

    def symbolic(self, seed: int = 0) -> list:
        return self.body.symbolic("gait", seed) + self.skip.symbolic("skip", seed)

    def apply(self, weights, phase):
        """Servo targets (rad) from (..., 2) phase inputs: 45 deg x tanh(body + skip)."""
        split = 2 * len(self.body.sizes) - 2
        out = self.body.apply(weights[:split], phase) + self.skip.apply(weights[split:], phase)
        return quadruped.LIMIT * sp.backend.pt.tanh(out)


def phase_inputs(steps: int, dt: float = quadruped.DT, frequency: float = FREQUENCY) -> np.ndarray:
    """(steps, 2) [sin, cos] of 2 pi f t at each step's start time."""
    angle = 2 * np.pi * frequency * np.arange(steps) * dt
    return np.stack([np.sin(angle), np.cos(angle)], axis=1)


def servo_targets(net: GaitNetwork, weights, steps: int, dt: float = quadruped.DT) -> np.ndarray:
    """Numeric (steps, 8) servo targets of a network (for viewers and baselines)."""
    x = phase_inputs(steps, dt)
    split = 2 * len(net.body.sizes) - 2
    out = net.body.apply_numpy(weights[:split], x) + net.skip.apply_numpy(weights[split:], x)
    return quadruped.LIMIT * np.tanh(out)


class GaitTask:
    """Compiled objective: mean forward velocity (m/s) over DURATION and its gradient.

    The default is the paper's recipe: the objective is the torso's forward
    velocity averaged over every step (equal to its displacement / DURATION,
    as x += dt v), differentiated through rollout(gradient_decay=0.95), so
    each step's velocity pulls on the controls of the ~20 steps before it.
    gradient_decay=None: exact gradients.  window: gradient window in
    seconds; truncate: the gradient of the speed over the last `truncate`
    seconds only.  upright_weight (m/s): adds that many times the torso's
    z axis . up, capped at upright_free (1: every tilt costs; cos 30 deg:
    30 deg of tilt are free), averaged over the steps, to the objective (a
    variant: falling costs speed).  starts > 1: the gradient and speed of each update are
    means over `starts` rollouts whose robot starts moving at a random
    horizontal velocity, N(0, start_speed) m/s per axis, drawn at each call
    (a variant: batches of perturbed starts); rollout() starts from rest.
    Compiled functions are cached on disk.
    """

    def __init__(self, duration: float = DURATION, window: float | None = WINDOW, backend: str = "jax",
                 seed: int = 0, hidden=HIDDEN, training: bool = True, truncate: float | None = TRUNCATE,
                 dt: float | None = None, max_torque: float = MAX_TORQUE,
                 gradient_decay: float | None = GRADIENT_DECAY, friction: float = 1.0,
                 upright_weight: float = UPRIGHT_WEIGHT, upright_free: float = UPRIGHT_FREE, starts: int = 1,
                 start_speed: float = START_SPEED, **solver):
        pt = sp.backend.pt
        self.starts = checks.positive_int(starts, "starts")
        self.start_speed = checks.nonnegative(start_speed, "start_speed")
        self.upright_weight, self.upright_free, self.window = upright_weight, upright_free, window
        self.max_torque = max_torque
        self.gradient_decay = gradient_decay
        self.model = build_model(dt, max_torque, friction=friction, **solver)
        self.net = GaitNetwork(tuple(hidden))
        self.duration = duration
        self.steps = int(round(duration / self.model.dt))
        self.weights0 = self.net.init(seed)
        weights = self.net.symbolic(seed)
        start = time.perf_counter()
        targets = self.net.apply(weights, pt.constant(phase_inputs(self.steps, self.model.dt)))
        window = int(round(window / self.model.dt)) if window is not None else None
        tail = int(round(truncate / self.model.dt)) if truncate is not None else None
        self._rng = np.random.default_rng(seed)
        # starts > 1: each update averages `starts` rollouts whose robot starts moving at a random horizontal
        # velocity (N(0, start_speed) m/s per axis, the same for every body, fresh at every call).
        state = sp.symbolic_state(self.model, starts)
        controls = targets[:, None] if starts == 1 else pt.repeat(targets[:, None], starts, axis=1)
        _, trajectory = sp.rollout(self.model, state, self.steps, controls=controls,
                                   gradient_window=window, truncate_gradient=tail,
                                   gradient_decay=gradient_decay if training else None)
        torso = self.model.body_index("torso")
        x = trajectory.position[:, :, torso, 0]  # (T + 1, starts)
        velocity = pt.mean(x[-1] - x[0]) / duration
        torso_up = uprightness(trajectory.orientation[:, :, torso])  # (T + 1, starts)
        forward = trajectory  # rollout(): one start from rest
        if starts > 1:
            rest = sp.symbolic_state(self.model, 1)
            _, forward = sp.rollout(self.model, rest, self.steps, controls=targets[:, None])
        forward_x = forward.position[:, 0, torso, 0]
        objective = velocity
        if gradient_decay is not None:
            # Every step's velocity (x_t+1 = x_t + dt v_t+1): the same value, but each
            # term's gradient reaches only the steps that the decay lets through.
            objective = pt.mean(trajectory.velocity[1:, :, torso, 0])
        if tail is not None:
            # Speed over the last `truncate` seconds, differentiated from a fixed start.
            objective = pt.mean(x[-1] - x[-1 - tail]) / truncate
        elif window is not None:
            # Sum of the windows' displacements, each from a fixed start: the
            # same value, but a window's start is not differentiated (its
            # gradient would cancel the previous window's end).
            edges = np.unique(np.r_[np.arange(0, self.steps, window), self.steps])
            objective = pt.mean(pt.sum(x[edges[1:]] - sp.backend.zero_grad(x[edges[:-1]]), axis=0)) / duration
        if upright_weight:
            # Tilt costs upright_weight x (upright_free - z.up) m/s at every step where z.up < upright_free:
            # the decayed gradient reaches only ~0.1 s back, but every step's tilt is in it.
            objective = objective + upright_weight * pt.mean(pt.minimum(torso_up[1:], upright_free))
        self._train = None
        if training:
            inputs = weights + ([state.velocity] if starts > 1 else [])  # perturbed starts' velocities
            self._train = sp.compile(inputs, [velocity, pt.min(torso_up[-1]), objective]
                                     + sp.grad(objective, weights), backend)
        # Of the last velocity_and_grad rollout: the torso's z axis . up at the end, and the objective
        # whose gradient it returned (m/s; the velocity itself in the exact mode without upright weight).
        self.last_upright = self.last_objective = None
        self._forward = None  # compiled at the first rollout()
        self._forward_graph = (weights, [(forward_x[-1] - forward_x[0]) / duration, forward.position[:, 0],
                                         forward.orientation[:, 0]], backend)
        self.compile_seconds = time.perf_counter() - start

    @property
    def n_parameters(self) -> int:
        return self.net.n_parameters

    def velocity_and_grad(self, weights):
        """(mean forward velocity m/s, gradients of the objective w.r.t. the weights); with starts > 1
        both are means over the perturbed starts, and last_upright is their least upright torso."""
        if self._train is None:
            raise ValueError("velocity_and_grad: this task was built with training=False")
        start = []
        if self.starts > 1:
            speed = self._rng.normal(0.0, self.start_speed, (self.starts, 1, 3)) * np.array([1.0, 1.0, 0.0])
            start = [np.repeat(speed, self.model.n_bodies, axis=1).astype(self.model.dtype)]
        out = self._train(*weights, *start)
        self.last_upright, self.last_objective = float(out[1]), float(out[2])
        return float(out[0]), out[3:]

    def rollout(self, weights):
        """(mean forward velocity m/s, positions (T+1, N, 3) m, orientations (T+1, N, 4))."""
        if self._forward is None:
            self._forward = sp.compile(*self._forward_graph)
        velocity, position, orientation = self._forward(*weights)
        return float(velocity), position, orientation


def load_checkpoint(path: str = CHECKPOINT):
    """(network, weights, log, metadata) from a checkpoint written by train_backprop."""
    weights, log, meta = train.load_checkpoint(path, "train one with `symphys quadruped train`")
    return GaitNetwork(tuple(meta["hidden"])), weights, log, meta


def uprightness(quaternion):
    """z component of a body's z axis from (..., 4) (w, x, y, z) quaternions, numpy arrays or graph
    variables: 1 upright, -1 on its back."""
    return 1 - 2 * (quaternion[..., 1] ** 2 + quaternion[..., 2] ** 2)


def upright(orientation) -> float:
    """uprightness of one (w, x, y, z) quaternion, as a float."""
    return float(uprightness(np.asarray(orientation, dtype=float)))


def is_upright(torso_up):
    """Whether a torso with this z axis . up (a float or an array) counts as upright (within 60 deg of
    vertical; issue 17's rule)."""
    return torso_up > UPRIGHT_MIN


def pitch_angles(model: sp.Model, orientation) -> np.ndarray:
    """(T + 1, 8) rad: each hip's and knee's rotation about y from the initial pose (every body starts
    unrotated, hinges about y), 2 atan2(y, w) of conj(q_parent) q_child, from (T + 1, n_bodies, 4)
    orientations; columns hip then knee per leg, legs in quadruped.LEGS order."""
    q = np.asarray(orientation, dtype=float)
    angles = []
    for leg, _, _ in quadruped.LEGS:
        for parent, child in (("torso", f"{leg}_femur"), (f"{leg}_femur", f"{leg}_tibia")):
            a, b = q[:, model.body_index(parent)], q[:, model.body_index(child)]
            w = (a * b).sum(axis=1)
            y = a[:, 0] * b[:, 2] - a[:, 2] * b[:, 0] + a[:, 1] * b[:, 3] - a[:, 3] * b[:, 1]
            angles.append(2 * np.arctan2(y, w))
    return (np.stack(angles, axis=1) + np.pi) % (2 * np.pi) - np.pi


def record_figures(path: str, **figures) -> dict:
    """Add figures (JSON-able: hand_tuned, cmaes, velocity, ...) to a checkpoint's metadata; returns the metadata."""
    weights, log, meta = train.load_checkpoint(path)
    meta.update(figures)
    train.save_checkpoint(path, weights, log, meta)
    return meta


def gait_score(velocity: float, torso_up: float) -> float:
    """Issue 17's rule as one number (m/s): the 8 s speed, less FALL_PENALTY if the torso does not end
    upright (torso_up: its z axis . up), so that a gait which ends on its back ranks below every gait
    that ends upright."""
    return velocity if is_upright(torso_up) else velocity - FALL_PENALTY


def best_upright_so_far(rollouts):
    """(velocity (n,) m/s, fell (n,) bool, best upright velocity so far (n,), -inf before the first) of
    rollouts [[velocity m/s, torso z axis . up at the end], ...] (a checkpoint's "rollouts")."""
    velocity, torso_up = np.asarray(rollouts, dtype=float).T
    fell = ~is_upright(torso_up)
    return velocity, fell, np.maximum.accumulate(np.where(fell, -np.inf, velocity))


def train_backprop(task: GaitTask, updates: int = 500, learning_rate: float = LEARNING_RATE, clip: float = 1.0,
                   checkpoint: str | None = None, progress: bool = True, checkpoint_every: int = 0,
                   on_rollout=None):
    """Adam (learn.train.backprop) on the task's objective, task.starts rollouts per update; keeps the best gait.

    The step follows the gradient of the task's objective (the paper's recipe:
    every step's forward velocity, decayed); the best weights are the best
    gait_score (speed, a fall ranked last).  A rollout that is not finite
    sends the run back to the best weights with half the rate (10 in a row
    stop it).  on_rollout(velocity, uprightness, gradients) is called after
    each rollout.  Returns (best weights, last weights, log); the checkpoint
    holds the best, and its metadata every rollout's [velocity m/s, torso z
    axis . up at 8 s] ("rollouts").  Ctrl-C stops and saves.
    """
    rollouts = []

    def loss_and_grad(weights):
        velocity, grads = task.velocity_and_grad(weights)
        rollouts.append([velocity, task.last_upright])
        if on_rollout is not None:
            on_rollout(velocity, task.last_upright, grads)
        return -gait_score(velocity, task.last_upright), [-g for g in grads]

    # The checkpoint's metadata is written from this dict at every save, rollouts as far as they go.
    meta = dict(hidden=list(task.net.hidden), max_torque=task.max_torque, horizon=task.duration,
                gradient_decay=task.gradient_decay, window=task.window, upright_weight=task.upright_weight,
                upright_free=task.upright_free, starts=task.starts, start_speed=task.start_speed,
                learning_rate=learning_rate, clip=clip, rollouts=rollouts)
    return train.backprop(loss_and_grad, task.weights0, updates, learning_rate, clip=clip, retries=10,
                          rollouts_per_update=task.starts, keep_best=True, checkpoint=checkpoint, meta=meta,
                          progress=progress, checkpoint_every=checkpoint_every, desc="quadruped train")


def train_cmaes(task: GaitTask, evaluations: int = 500, sigma0: float = CMAES_SIGMA0, seed: int = 1,
                progress: bool = True):
    """Diagonal CMA-ES (learn.train.cmaes) on -gait_score (the speed, a fall ranked last), same network and budget.

    Returns (the best candidate's weights, log, every rollout's [velocity m/s, torso z axis . up at 8 s]).
    """
    rollouts, best = [], [None, -np.inf]

    def loss(weights):
        velocity, _, orientation = task.rollout(weights)
        rollouts.append([velocity, upright(orientation[-1, task.model.body_index("torso")])])
        score = gait_score(*rollouts[-1])
        if score > best[1]:
            best[:] = [[w.copy() for w in weights], score]
        return -score

    _, log = train.cmaes(loss, task.weights0, evaluations, sigma0, seed, progress=progress,
                         desc="quadruped CMA-ES")
    return best[0], log, rollouts


@functools.lru_cache(maxsize=4)
def _trot_simulator(max_torque: float = quadruped.MAX_TORQUE):
    """(model, steps, compiled (steps, 1, 8) servo targets -> [mean forward velocity (1,) m/s,
    the torso's z axis . up at the end (1,)])."""
    pt = sp.backend.pt
    model = build_model(max_torque=max_torque)
    steps = int(round(DURATION / model.dt))
    controls = pt.tensor3("controls")
    _, trajectory = sp.rollout(model, sp.symbolic_state(model, 1), steps, controls=controls)
    torso = model.body_index("torso")
    x = trajectory.position[:, :, torso, 0]
    return model, steps, sp.compile([controls], [(x[-1] - x[0]) / DURATION,
                                                 uprightness(trajectory.orientation[-1, :, torso])])


def trot_figures(max_torque: float = quadruped.MAX_TORQUE, **trot) -> tuple[float, float]:
    """(mean forward velocity m/s over DURATION, torso z axis . up at the end) of quadruped.trot(**trot)
    (default: HAND_TUNED)."""
    model, steps, simulate = _trot_simulator(max_torque)
    targets = quadruped.trot(np.arange(steps) * model.dt, **(trot or HAND_TUNED))
    velocity, torso_up = simulate(targets[:, None])
    return float(velocity[0]), float(torso_up[0])


def trot_velocity(max_torque: float = quadruped.MAX_TORQUE, **trot) -> float:
    """Mean forward velocity (m/s) over DURATION of quadruped.trot(**trot) (default: HAND_TUNED)."""
    return trot_figures(max_torque, **trot)[0]


def tune_trot(hip=(0.2, 0.4, 0.6, 0.785), knee=(0.0, 0.3, 0.6),
              lag=(0.0, np.pi / 2, np.pi, -np.pi / 2), max_torque: float = quadruped.MAX_TORQUE,
              progress: bool = True) -> dict:
    """The hand tuning, written down: every trot of a grid, each simulated alone; the fastest that ends
    upright (is_upright) wins.

    Alone, not as one batch: these rollouts are chaotic, and a batch rounds
    differently (the same trot gave 0.146 m/s in a batch of 48 and 0.011 m/s
    alone), so each candidate is scored exactly as trot_figures scores it.
    A trot that ends on its back does not count, however far it went (issue 17):
    at 20 N m the three fastest of the grid do.
    """
    import itertools

    from tqdm.auto import tqdm

    grid = list(itertools.product(hip, knee, lag))
    names = ("hip_amplitude", "knee_amplitude", "knee_lag")
    figures = [trot_figures(max_torque, **dict(zip(names, g)))
               for g in tqdm(grid, desc="hand-tuned trot grid", disable=not progress, mininterval=1.0)]
    speeds = np.array([velocity if is_upright(up) else -np.inf for velocity, up in figures])
    best = int(np.argmax(speeds))
    return dict(candidates=len(grid), upright_candidates=int(np.isfinite(speeds).sum()),
                best=dict(zip(names, grid[best])), velocity=figures[best][0], upright=figures[best][1],
                grid=[dict(zip(names, g), velocity=v, upright=up) for g, (v, up) in zip(grid, figures)])
