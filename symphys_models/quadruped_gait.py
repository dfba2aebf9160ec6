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
from symphys.learn import nn, train

from . import quadruped

DURATION = 8.0  # s
FREQUENCY = quadruped.GAIT_FREQUENCY  # Hz, the phase signal
WINDOW = None  # s, gradient window (rollout(gradient_window=)); None: not used
TRUNCATE = None  # s, objective's gradient: the speed over the last TRUNCATE s, from a fixed start; None: not used
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
    seconds only.  Compiled functions are cached on disk.
    """

    def __init__(self, duration: float = DURATION, window: float | None = WINDOW, backend: str = "jax",
                 seed: int = 0, hidden=HIDDEN, training: bool = True, truncate: float | None = TRUNCATE,
                 dt: float | None = None, max_torque: float = MAX_TORQUE,
                 gradient_decay: float | None = GRADIENT_DECAY, friction: float = 1.0, **solver):
        pt = sp.backend.pt
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
        state = sp.symbolic_state(self.model, 1)
        window = int(round(window / self.model.dt)) if window is not None else None
        tail = int(round(truncate / self.model.dt)) if truncate is not None else None
        _, trajectory = sp.rollout(self.model, state, self.steps, controls=targets[:, None],
                                   gradient_window=window, truncate_gradient=tail,
                                   gradient_decay=gradient_decay if training else None)
        torso = self.model.body_index("torso")
        x = trajectory.position[:, 0, torso, 0]
        velocity = (x[-1] - x[0]) / duration
        objective = velocity
        if gradient_decay is not None:
            # Every step's velocity (x_t+1 = x_t + dt v_t+1): the same value, but each
            # term's gradient reaches only the steps that the decay lets through.
            objective = pt.mean(trajectory.velocity[1:, 0, torso, 0])
        if tail is not None:
            # Speed over the last `truncate` seconds, differentiated from a fixed start.
            objective = (x[-1] - x[-1 - tail]) / truncate
        elif window is not None:
            # Sum of the windows' displacements, each from a fixed start: the
            # same value, but a window's start is not differentiated (its
            # gradient would cancel the previous window's end).
            edges = np.unique(np.r_[np.arange(0, self.steps, window), self.steps])
            objective = pt.sum(x[edges[1:]] - sp.backend.zero_grad(x[edges[:-1]])) / duration
        self._train = None
        if training:
            self._train = sp.compile(weights, [velocity] + sp.grad(objective, weights), backend)
        self._forward = None  # compiled at the first rollout()
        self._forward_graph = (weights, [velocity, trajectory.position[:, 0], trajectory.orientation[:, 0]],
                               backend)
        self.compile_seconds = time.perf_counter() - start

    @property
    def n_parameters(self) -> int:
        return self.net.n_parameters

    def velocity_and_grad(self, weights):
        """(mean forward velocity m/s, gradients w.r.t. the weights)."""
        if self._train is None:
            raise ValueError("velocity_and_grad: this task was built with training=False")
        out = self._train(*weights)
        return float(out[0]), out[1:]

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


def upright(orientation) -> float:
    """z component of the torso's z axis from its (w, x, y, z) quaternion: 1 upright, -1 on its back."""
    w, x, y, z = np.asarray(orientation, dtype=float)
    return float(1.0 - 2.0 * (x * x + y * y))


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


def train_backprop(task: GaitTask, evaluations: int = 500, learning_rate: float = LEARNING_RATE, clip: float = 1.0,
                   checkpoint: str | None = None, progress: bool = True, checkpoint_every: int = 0):
    """Adam (learn.train.backprop) on the loss -velocity (m/s), one rollout per update; keeps the best weights.

    A rollout that is not finite sends the run back to the best weights with
    half the rate (10 in a row stop it).  Returns (best weights, last
    weights, log); the checkpoint holds the best.  Ctrl-C stops and saves.
    """
    def loss_and_grad(weights):
        velocity, grads = task.velocity_and_grad(weights)
        return -velocity, [-g for g in grads]

    meta = dict(hidden=list(task.net.hidden), max_torque=task.max_torque, horizon=task.duration,
                gradient_decay=task.gradient_decay, learning_rate=learning_rate, clip=clip)
    return train.backprop(loss_and_grad, task.weights0, evaluations, learning_rate, clip=clip, retries=10,
                          keep_best=True, checkpoint=checkpoint, meta=meta, progress=progress,
                          checkpoint_every=checkpoint_every, desc="quadruped train")


def train_cmaes(task: GaitTask, evaluations: int = 500, sigma0: float = 0.02, seed: int = 1,
                progress: bool = True):
    """Diagonal CMA-ES (learn.train.cmaes) on the loss -velocity (m/s), same network and budget.

    Returns (the distribution's final mean weights, log, the velocity (m/s) of each rollout).
    """
    velocities = []

    def loss(weights):
        velocities.append(task.rollout(weights)[0])
        return -velocities[-1]

    weights, log = train.cmaes(loss, task.weights0, evaluations, sigma0, seed, progress=progress,
                               desc="quadruped CMA-ES")
    return weights, log, velocities


@functools.lru_cache(maxsize=4)
def _trot_simulator(max_torque: float = quadruped.MAX_TORQUE):
    """(model, steps, compiled (steps, 1, 8) servo targets -> [mean forward velocity (1,) m/s])."""
    pt = sp.backend.pt
    model = build_model(max_torque=max_torque)
    steps = int(round(DURATION / model.dt))
    controls = pt.tensor3("controls")
    _, trajectory = sp.rollout(model, sp.symbolic_state(model, 1), steps, controls=controls)
    x = trajectory.position[:, :, model.body_index("torso"), 0]
    return model, steps, sp.compile([controls], [(x[-1] - x[0]) / DURATION])


def trot_velocity(max_torque: float = quadruped.MAX_TORQUE, **trot) -> float:
    """Mean forward velocity (m/s) over DURATION of quadruped.trot(**trot) (default: HAND_TUNED)."""
    model, steps, velocity = _trot_simulator(max_torque)
    targets = quadruped.trot(np.arange(steps) * model.dt, **(trot or HAND_TUNED))
    return float(velocity(targets[:, None])[0][0])


def tune_trot(hip=(0.2, 0.4, 0.6, 0.785), knee=(0.0, 0.3, 0.6),
              lag=(0.0, np.pi / 2, np.pi, -np.pi / 2), max_torque: float = quadruped.MAX_TORQUE,
              progress: bool = True) -> dict:
    """The hand tuning, written down: every trot of a grid, each simulated alone; the fastest wins.

    Alone, not as one batch: these rollouts are chaotic, and a batch rounds
    differently (the same trot gave 0.146 m/s in a batch of 48 and 0.011 m/s
    alone), so each candidate is scored exactly as trot_velocity scores it.
    """
    import itertools

    from tqdm.auto import tqdm

    grid = list(itertools.product(hip, knee, lag))
    names = ("hip_amplitude", "knee_amplitude", "knee_lag")
    speeds = [trot_velocity(max_torque, **dict(zip(names, g)))
              for g in tqdm(grid, desc="hand-tuned trot grid", disable=not progress, mininterval=1.0)]
    best = int(np.argmax(speeds))
    return dict(candidates=len(grid), best=dict(zip(names, grid[best])), velocity=float(speeds[best]),
                grid=[dict(zip(names, g), velocity=float(v)) for g, v in zip(grid, speeds)])
