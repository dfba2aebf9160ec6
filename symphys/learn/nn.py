"""Multilayer perceptrons whose weights are graph inputs (controllers).

>>> net = MLP((3, 64, 64, 4))
>>> weights = net.init(seed=0)          # numpy arrays, PyTorch-style init
>>> w = net.symbolic()                  # graph variables, defaults = weights
>>> targets = net.apply(w, sensors)     # symbolic forward pass
>>> values = net.apply_numpy(weights, x)  # the same pass on numpy arrays
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..backend import pt
from ..inputs import tagged_input

ACTIVATIONS = {
    "relu": lambda x: pt.maximum(x, 0.0),
    "tanh": pt.tanh,
    "sigmoid": pt.sigmoid,
    "softplus": pt.softplus,
    "elu": lambda x: pt.switch(pt.gt(x, 0.0), x, pt.expm1(pt.minimum(x, 0.0))),
    "linear": lambda x: x,
}
# The same nonlinearities on numpy arrays (MLP.apply_numpy).
NUMPY_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "elu": lambda x: np.where(x > 0.0, x, np.expm1(np.minimum(x, 0.0))),
    "linear": lambda x: x,
}


@dataclasses.dataclass(frozen=True)
class MLP:
    """Dense network ``sizes = (inputs, hidden..., outputs)``.

    activation: hidden-layer nonlinearity (see ACTIVATIONS); output_activation:
    nonlinearity of the output layer ("linear" = none); output_scale scales the
    output (e.g. tanh outputs times a joint range); zero_output initializes the
    last layer to zero so the network starts by outputting 0.
    """

    sizes: tuple
    activation: str = "relu"
    output_activation: str = "linear"
    output_scale: float = 1.0
    zero_output: bool = False
    dtype: str = "float64"

    def __post_init__(self):
        if len(self.sizes) < 2 or any(int(n) != n or n < 1 for n in self.sizes):
            raise ValueError(f"sizes must be at least two positive integers, got {self.sizes!r}")
        for name in ("activation", "output_activation"):
            if getattr(self, name) not in ACTIVATIONS:
                raise ValueError(f"{name} must be one of {sorted(ACTIVATIONS)}, got {getattr(self, name)!r}")

    @property
    def n_parameters(self) -> int:
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def init(self, seed: int = 0) -> list:
        """[W0, b0, W1, b1, ...]: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as PyTorch's Linear."""
        rng = np.random.default_rng(seed)
        weights = []
        layers = list(zip(self.sizes[:-1], self.sizes[1:]))
        for i, (fan_in, fan_out) in enumerate(layers):
            bound = 1.0 / np.sqrt(fan_in)
            last = i == len(layers) - 1
            scale = 0.0 if (last and self.zero_output) else 1.0
            weights.append((scale * rng.uniform(-bound, bound, (fan_in, fan_out))).astype(self.dtype))
            weights.append((scale * rng.uniform(-bound, bound, fan_out)).astype(self.dtype))
        return weights

    def symbolic(self, name: str = "mlp", seed: int = 0) -> list:
        """Graph variables for the weights, with ``init(seed)`` as their defaults."""
        return [tagged_input(f"{name}.{'W' if i % 2 == 0 else 'b'}{i // 2}", w, self.dtype)
                for i, w in enumerate(self.init(seed))]

    def apply(self, weights, x):
        """Forward pass on graph variables; x (..., inputs) -> (..., outputs)."""
        return self._forward(weights, x, pt.dot, ACTIVATIONS)

    def apply_numpy(self, weights, x):
        """Forward pass on numpy arrays (no graph), with apply's arithmetic; x (..., inputs) -> (..., outputs)."""
        return self._forward(weights, np.asarray(x), np.matmul, NUMPY_ACTIVATIONS)

    def _forward(self, weights, x, dot, activations):
        """The layers: dot(x, W) + b, then the hidden (last: output) nonlinearity; times output_scale."""
        hidden = activations[self.activation]
        n_layers = len(self.sizes) - 1
        for i in range(n_layers):
            x = dot(x, weights[2 * i]) + weights[2 * i + 1]
            x = hidden(x) if i < n_layers - 1 else activations[self.output_activation](x)
        return self.output_scale * x
