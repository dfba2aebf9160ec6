"""Global reaching policy for the 4-DOF arm, trained through physics.

An MLP maps a target point (m) to the four servo targets; every world of
a batch reaches for its own random target from rest.  The paper trained a
2.1M-weight network for 2,563 updates of 256 rollouts (41 GPU hours); here
a 17.7k-weight network trains on 2 CPU cores in well under an hour.

Choices (measured, benchmarks/RESULTS.md):
- Targets are uniform in the reachable shell 0.75-0.95 m from the shoulder
  (the arm reaches 0.71-1.0 m), every direction.
- Rollouts last 5 s: the slowest move, half a turn of the base at the
  servos' 45 deg/s, takes 4 s.  Loss = mean tip distance over the last
  second.  Errors are reported at 5 s and after the paper's 8 s.
- The network outputs the base yaw as a direction (atan2 of two outputs):
  the base turns freely and its servo takes the short way, so the policy
  needs no seam behind the arm.  Pitch and elbow yaw are pi/2 tanh.
- Gradients are truncated to the last 1.5 s (truncated BPTT): the servos
  forget earlier motion within 0.2 s, and the exact gradient of a 5 s
  rollout is 30-100x steeper than the loss's finite-difference slopes
  (benchmarks/arm_gradient_horizon.py); truncation also halves the cost.
"""

from __future__ import annotations

import os
import time

import numpy as np

import symphys as sp
from symphys.learn import nn, train

from . import arm

DT = arm.DT
DURATION = 5.0  # s, training rollouts
EVAL_DURATION = 8.0  # s, the paper's rollouts
LOSS_WINDOW = 1.0  # s, loss = mean distance over the last second
TRUNCATE = 1.5  # s, backpropagation window
SOLVER_ITERATIONS = 6  # Gauss-Seidel sweeps; with 4 the base servo falls short of its target after 5 s
SHELL = (0.75, 0.95)  # m, target distance from the shoulder
HELD_OUT_SEED = 2016
HELD_OUT_COUNT = 256
HIDDEN = (128, 128)
CHECKPOINT = os.path.join(os.path.dirname(__file__), "checkpoints", "arm_reach.npz")


def sample_targets(count: int, rng) -> np.ndarray:
    """(count, 3) points uniform in the volume of the reachable shell (m)."""
    direction = rng.normal(size=(count, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    inner, outer = SHELL
    radius = rng.uniform(inner ** 3, outer ** 3, count) ** (1 / 3)
    return direction * radius[:, None]


def held_out_targets() -> np.ndarray:
    """The fixed evaluation set: 256 targets from seed 2016."""
    return sample_targets(HELD_OUT_COUNT, np.random.default_rng(HELD_OUT_SEED))


def make_network(hidden=HIDDEN) -> nn.MLP:
    """3 inputs (target, m) -> 5 outputs (base yaw as a 2-D direction, 3 angles)."""
    return nn.MLP((3, *hidden, 5), activation="relu")


def servo_targets(outputs):
    """Motor targets (rad) from the network's 5 outputs (symbolic, (B, 5) -> (B, 4))."""
    pt = sp.backend.pt
    # 1 + o0: the untrained network (outputs near 0) points the base along +x.
    base_yaw = pt.arctan2(outputs[:, 1], 1.0 + outputs[:, 0])
    others = (np.pi / 2) * pt.tanh(outputs[:, 2:])
    return pt.concatenate([base_yaw[:, None], others], axis=1)


def rollout_distance(model, net, weights, targets, batch, duration, truncate=None, gradient_decay=None):
    """(steps + 1, batch) tip-to-target distances (m) of a symbolic rollout.

    truncate: backpropagation window in steps; gradient_decay: see rollout.
    """
    pt = sp.backend.pt
    steps = int(round(duration / DT))
    state = sp.symbolic_state(model, batch)
    angles = servo_targets(net.apply(weights, targets))
    controls = pt.broadcast_to(angles[None], (steps, batch, model.n_motors))
    _, trajectory = sp.rollout(model, state, steps, controls=controls, truncate_gradient=truncate,
                               gradient_decay=gradient_decay)
    return arm.distance(arm.end_effector(model, trajectory.position, trajectory.orientation), targets[None])


class ReachTask:
    """Compiled training step (loss and gradient for a batch of targets) and evaluation.

    batch: targets per update.  truncate: backpropagation window in seconds
    (None = the whole rollout).  Compiled functions are cached on disk, so a
    second construction takes seconds.
    """

    def __init__(self, batch: int = 32, hidden=HIDDEN, truncate: float | None = TRUNCATE,
                 backend: str = "jax", seed: int = 0, training: bool = True, evaluate: bool = True):
        pt = sp.backend.pt
        self.model = arm.build_model(iterations=SOLVER_ITERATIONS)
        self.net = make_network(hidden)
        self.batch = batch
        self.weights0 = self.net.init(seed)
        weights = self.net.symbolic(seed=seed)
        targets = pt.matrix("targets")
        start = time.perf_counter()
        window = int(round(LOSS_WINDOW / DT))
        steps = int(round(truncate / DT)) if truncate is not None else None
        self._train = self._loss = self._loss_graph = None
        if training:
            distance = rollout_distance(self.model, self.net, weights, targets, batch, DURATION, steps)
            loss = distance[-window:].mean()
            grads = sp.grad(loss, weights)
            self._train = sp.compile(weights + [targets], [loss, distance[-1]] + grads, backend)
            self._loss_graph = (weights + [targets], [loss, distance[-1]], backend)
        self._evaluate = None
        if evaluate:
            eval_distance = rollout_distance(self.model, self.net, weights, targets, HELD_OUT_COUNT,
                                          EVAL_DURATION)
            at_training_horizon = eval_distance[int(round(DURATION / DT))]
            self._evaluate = sp.compile(weights + [targets], [at_training_horizon, eval_distance[-1]], backend)
        self.compile_seconds = time.perf_counter() - start

    @property
    def n_parameters(self) -> int:
        return self.net.n_parameters

    @property
    def can_evaluate(self) -> bool:
        """Whether evaluate() was compiled (evaluate=True)."""
        return self._evaluate is not None

    def loss_and_grad(self, weights, targets):
        """(loss m, final distances (B,) m, gradients) for a batch of targets."""
        if self._train is None:
            raise ValueError("loss_and_grad: this task was built with training=False")
        out = self._train(*weights, targets)
        return float(out[0]), out[1], out[2:]

    def loss(self, weights, targets):
        """(loss m, final distances (B,) m) without gradients (compiled at first use)."""
        if self._loss_graph is None:
            raise ValueError("loss: this task was built with training=False")
        if self._loss is None:
            self._loss = sp.compile(*self._loss_graph)
        out = self._loss(*weights, targets)
        return float(out[0]), out[1]

    def evaluate(self, weights, targets=None) -> dict:
        """Tip errors (m) on targets (default: the 256 held-out ones) after 5 s and 8 s."""
        if self._evaluate is None:
            raise ValueError("evaluate: this task was built with evaluate=False")
        targets = held_out_targets() if targets is None else np.asarray(targets, dtype=float)
        if targets.ndim != 2 or targets.shape[1] != 3:
            raise ValueError(f"targets must have shape (n, 3), got {targets.shape}")
        at_5, at_8 = [], []
        for start in range(0, len(targets), HELD_OUT_COUNT):
            chunk = targets[start:start + HELD_OUT_COUNT]
            padded = np.concatenate([chunk, np.repeat(chunk[-1:], HELD_OUT_COUNT - len(chunk), axis=0)])
            a, b = self._evaluate(*weights, padded)
            at_5.append(a[:len(chunk)])
            at_8.append(b[:len(chunk)])
        at_5, at_8 = np.concatenate(at_5), np.concatenate(at_8)
        return dict(targets=targets, error_5s=at_5, error_8s=at_8,
                    mean_5s=float(at_5.mean()), p95_5s=float(np.percentile(at_5, 95)),
                    mean_8s=float(at_8.mean()), p95_8s=float(np.percentile(at_8, 95)))


def load_checkpoint(path: str = CHECKPOINT):
    """(network, weights, log, metadata) from a checkpoint written by train_backprop."""
    weights, log, meta = train.load_checkpoint(path, "train one with `symphys arm train`")
    return nn.MLP(tuple(meta["sizes"]), activation="relu"), weights, log, meta


def train_backprop(task: ReachTask, updates: int = 1000, learning_rate: float = 1e-2, clip: float = 1.0,
                   seed: int = 1, checkpoint: str | None = None, evaluate_every: int = 250,
                   progress: bool = True, resume: bool = False):
    """Adam (learn.train.backprop) on batches of random targets; cosine decay to a tenth of the rate.

    Saves the weights and log to ``checkpoint`` every ``evaluate_every``
    updates (with the held-out errors) and on Ctrl-C.  resume: start from
    the checkpoint's weights and extend its log (a fresh Adam and schedule
    for the new updates; the wall time adds up).  Returns (the last weights, log).
    """
    weights, log = task.weights0, None
    if resume:
        if not checkpoint:
            raise ValueError("checkpoint: resume needs a checkpoint file")
        _, weights, log, _ = load_checkpoint(checkpoint)
    rng = np.random.default_rng(seed + (log.updates if log else 0))

    def loss_and_grad(weights):
        loss, _, grads = task.loss_and_grad(weights, sample_targets(task.batch, rng))
        return loss, grads

    def held_out(weights, log):
        scores = task.evaluate(weights)
        log.checkpoints.append((log.updates, scores["mean_5s"], scores["mean_8s"]))
        return (f"update {log.updates}: held-out mean error {scores['mean_5s'] * 100:.1f} cm at 5 s, "
                f"{scores['mean_8s'] * 100:.1f} cm at 8 s")

    _, weights, log = train.backprop(
        loss_and_grad, weights, updates, learning_rate, clip=clip, schedule=train.cosine_to_a_tenth,
        rollouts_per_update=task.batch, log=log, checkpoint=checkpoint, meta=dict(sizes=list(task.net.sizes)),
        checkpoint_every=evaluate_every if task.can_evaluate else 0, on_checkpoint=held_out, progress=progress,
        desc="arm train")
    return weights, log


def train_cmaes(task: ReachTask, evaluations: int, sigma0: float = 0.05, seed: int = 1,
                progress: bool = True):
    """Diagonal CMA-ES (learn.train.cmaes) on the same network; each candidate is scored on a fresh batch.

    evaluations: budget in rollouts (candidates x batch).  Returns (the
    distribution's mean weights, log).
    """
    rng = np.random.default_rng(seed)

    def loss(weights):
        return task.loss(weights, sample_targets(task.batch, rng))[0]

    return train.cmaes(loss, task.weights0, evaluations, sigma0, seed, rollouts_per_candidate=task.batch,
                       progress=progress, desc="arm CMA-ES")
