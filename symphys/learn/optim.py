"""First-order optimizers for lists of numpy parameters (Adam, clipping).

They take the gradients your compiled function returns and give new
parameters; nothing here touches the graph.
"""

from __future__ import annotations

import numpy as np


def global_norm(grads) -> float:
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))


def clip_by_global_norm(grads, max_norm: float):
    """Gradients scaled down so their global norm is at most max_norm; and the norm."""
    norm = global_norm(grads)
    if not np.isfinite(norm):
        raise FloatingPointError(f"gradient norm is {norm}: the rollout's gradient is not finite")
    scale = min(1.0, max_norm / (norm + 1e-12))
    return [g * scale for g in grads], norm


class GradientDescent:
    """Plain (optionally momentum) gradient descent."""

    def __init__(self, learning_rate: float = 1e-2, momentum: float = 0.0):
        self.learning_rate, self.momentum = learning_rate, momentum
        self.velocity = None

    def step(self, params, grads):
        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p in params]
        self.velocity = [self.momentum * v + g for v, g in zip(self.velocity, grads)]
        return [p - self.learning_rate * v for p, v in zip(params, self.velocity)]


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction."""

    def __init__(self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8):
        self.learning_rate, self.beta1, self.beta2, self.epsilon = learning_rate, beta1, beta2, epsilon
        self.t = 0
        self.m = self.v = None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        self.m = [self.beta1 * m + (1 - self.beta1) * g for m, g in zip(self.m, grads)]
        self.v = [self.beta2 * v + (1 - self.beta2) * g * g for v, g in zip(self.v, grads)]
        correction1 = 1 - self.beta1**self.t
        correction2 = 1 - self.beta2**self.t
        return [p - self.learning_rate * (m / correction1) / (np.sqrt(v / correction2) + self.epsilon)
                for p, m, v in zip(params, self.m, self.v)]
