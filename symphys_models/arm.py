"""The paper's 4-DOF robot arm and its fixed-target reaching task.

A 1 m arm of 32 kg: a base link turning about the vertical (hinge z), an
upper arm pitching at the shoulder (hinge y), an elbow link turning about
the upper arm's vertical (hinge z) and a forearm pitching at the elbow
(hinge y).  Every hinge has a position servo (gain 30 1/s, 45 deg/s,
30 N m); pitch joints are limited to +-90 deg.  Like MuJoCo's "reacher"
the arm works without gravity: the task is control through the dynamics.

Task (fixed target): an MLP (1 input: normalized time; 128-128 ReLU; 4
outputs, 17,284 weights) outputs the servo targets; loss = mean distance of
the end effector to the target over steps >= 100 of an 8 s rollout.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

import symphys as sp
from symphys import math3d
from symphys.learn import nn, train

DT = 0.01
DURATION = 8.0  # s
LOSS_FROM_STEP = 100
TARGET = np.array([0.5, 0.5, 0.5])  # m
LINK = 0.5  # m, upper arm and forearm
RADIUS = 0.04  # m
ALONG_X = (np.cos(np.pi / 4), 0.0, np.sin(np.pi / 4), 0.0)  # capsule axis z -> world x


# The links do not touch each other (the experiments were tuned without body contacts; the upper arm
# and the forearm meet at the elbow): contype = conaffinity = 0, as in arm.xml.
NO_CONTACT = dict(contype=0, conaffinity=0)


def build_model(dt: float = DT, **solver) -> sp.Model:
    world = sp.World(dt=dt, gravity=(0, 0, 0), **solver)
    base = world.add_box(half_extents=(0.1, 0.1, 0.05), mass=8.0, position=(0, 0, 0), name="base", **NO_CONTACT)
    upper = world.add_capsule(radius=RADIUS, length=LINK - 2 * RADIUS, mass=10.0,
                              position=(LINK / 2, 0, 0), orientation=ALONG_X, name="upper_arm", **NO_CONTACT)
    elbow = world.add_sphere(radius=0.06, mass=4.0, position=(LINK, 0, 0), name="elbow", **NO_CONTACT)
    forearm = world.add_capsule(radius=RADIUS, length=LINK - 2 * RADIUS, mass=10.0,
                                position=(1.5 * LINK, 0, 0), orientation=ALONG_X, name="forearm", **NO_CONTACT)
    pitch = np.pi / 2
    joints = [world.add_hinge(None, base, anchor=(0, 0, 0), axis=(0, 0, 1), name="base_yaw"),
              world.add_hinge(base, upper, anchor=(0, 0, 0), axis=(0, 1, 0), lower=-pitch,
                              upper=pitch, name="shoulder_pitch"),
              world.add_hinge(upper, elbow, anchor=(LINK, 0, 0), axis=(0, 0, 1), name="elbow_yaw"),
              world.add_hinge(elbow, forearm, anchor=(LINK, 0, 0), axis=(0, 1, 0), lower=-pitch,
                              upper=pitch, name="elbow_pitch")]
    for joint in joints:
        world.add_motor(joint, max_torque=30.0, gain=30.0, max_speed=np.radians(45.0))
    return world.build()


def end_effector(model, position, orientation):
    """Forearm tip (m) from position and orientation arrays (symbolic, time-first)."""
    index = model.body_index("forearm")
    return position[..., index, :] + math3d.quat_rotate(orientation[..., index, :], np.array([0.0, 0.0, LINK / 2]))


def distance(tip, target):
    """Euclidean distance (m) over the last axis, symbolic; smooth at 0 for gradients."""
    pt = sp.backend.pt
    return pt.sqrt(pt.sum((tip - target) ** 2, axis=-1) + 1e-12)


@dataclasses.dataclass
class ReachResult:
    method: str
    evaluations: int
    compile_seconds: float
    wall_seconds: float
    final_distance: float  # m, at the end of the rollout
    mean_distance: float  # m, over steps >= LOSS_FROM_STEP
    history: list


class FixedTargetTask:
    """Compiled rollout of the arm under an MLP controller: loss and its gradient."""

    def __init__(self, target=TARGET, backend: str = "jax", seed: int = 0, **solver):
        self.model = build_model(**solver)
        self.steps = int(round(DURATION / DT))
        self.net = nn.MLP((1, 128, 128, 4), activation="relu", output_activation="tanh",
                          output_scale=np.pi / 2)
        self.weights0 = self.net.init(seed)
        weights = self.net.symbolic(seed=seed)
        target_var = sp.backend.pt.as_tensor_variable(np.asarray(target, dtype=float))
        steps = self.steps
        net = self.net
        model = self.model

        def controller(state, step):
            phase = sp.backend.pt.cast(step, model.dtype) / steps
            return net.apply(weights, phase.reshape((1, 1)))

        start = time.perf_counter()
        state = sp.symbolic_state(self.model)
        _, traj = sp.rollout(self.model, state, steps, controller=controller)
        tip = end_effector(self.model, traj.position, traj.orientation)  # (steps + 1, 3)
        tip_distance = distance(tip, target_var)
        loss = tip_distance[LOSS_FROM_STEP:].mean()
        grads = sp.grad(loss, weights)
        self._fn = sp.compile(weights, [loss, tip_distance[-1]] + grads, backend)
        self._forward = sp.compile(weights, [loss, tip_distance[-1]], backend)
        self._trajectory = sp.compile(weights, [tip], backend)
        self.loss_and_grad(self.weights0)
        self.compile_seconds = time.perf_counter() - start

    def loss_and_grad(self, weights):
        out = self._fn(*weights)
        return float(out[0]), float(out[1]), out[2:]

    def loss(self, weights):
        out = self._forward(*weights)
        return float(out[0]), float(out[1])

    def tip_trajectory(self, weights):
        return self._trajectory(*weights)[0]


def train_backprop(task: FixedTargetTask, evaluations: int = 150, learning_rate: float = 3e-3,
                   clip: float = 1.0, progress: bool = True):
    """Adam (learn.train.backprop, cosine decay to a tenth of the rate) from the task's initial weights.

    Returns (result, the best weights): the best loss seen and its final distance.
    """
    final_distances = []

    def loss_and_grad(weights):
        loss, final, grads = task.loss_and_grad(weights)
        final_distances.append(final)
        return loss, grads

    best, _, log = train.backprop(loss_and_grad, task.weights0, evaluations, learning_rate, clip=clip,
                                  schedule=train.cosine_to_a_tenth, progress=progress, desc="backprop")
    return _result(task, log, final_distances, log.loss), best


def train_cmaes(task: FixedTargetTask, evaluations: int = 150, sigma0: float = 0.05, seed: int = 0,
                progress: bool = True) -> ReachResult:
    """Diagonal CMA-ES (learn.train.cmaes, cma seed seed + 1) on the same network and budget."""
    final_distances = []

    def loss(weights):
        value, final = task.loss(weights)
        final_distances.append(final)
        return value

    _, log = train.cmaes(loss, task.weights0, evaluations, sigma0, seed + 1, progress=progress)
    best_so_far = [float(loss) for loss in np.minimum.accumulate(log.loss)]  # per generation
    return _result(task, log, final_distances, best_so_far)


def _result(task: FixedTargetTask, log: train.TrainingLog, final_distances: list, history: list) -> ReachResult:
    """ReachResult of a run: the best loss (m) and the final distance (m) of that rollout."""
    final = final_distances[log.best_index] if log.best_index >= 0 else np.inf
    return ReachResult(log.method, log.evaluations, task.compile_seconds, log.wall_seconds, final, log.best_loss,
                       history)
