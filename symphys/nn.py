"""Multilayer perceptrons whose weights are graph inputs (controllers).

>>> net = MLP((3, 64, 64, 4))
>>> weights = net.init(seed=0)          # numpy arrays, PyTorch-style init
>>> w = net.symbolic()                  # graph variables, defaults = weights
>>> targets = net.apply(w, sensors)     # symbolic forward pass
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .backend import pt, zero_grad
from .compile import _tagged

ACTIVATIONS = {
    "relu": lambda x: pt.maximum(x, 0.0),
    "tanh": pt.tanh,
    "sigmoid": pt.sigmoid,
    "softplus": pt.softplus,
    "elu": lambda x: pt.switch(pt.gt(x, 0.0), x, pt.expm1(pt.minimum(x, 0.0))),
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
        return [_tagged(f"{name}.{'W' if i % 2 == 0 else 'b'}{i // 2}", w, self.dtype)
                for i, w in enumerate(self.init(seed))]

    def apply(self, weights, x):
        """Forward pass; x (..., inputs) -> (..., outputs)."""
        hidden = ACTIVATIONS[self.activation]
        n_layers = len(self.sizes) - 1
        for i in range(n_layers):
            x = pt.dot(x, weights[2 * i]) + weights[2 * i + 1]
            x = hidden(x) if i < n_layers - 1 else ACTIVATIONS[self.output_activation](x)
        return self.output_scale * x


def gradient_decay(x, alpha: float):
    """Identity forward; the gradient is multiplied by ``alpha`` backward.

    Inserted once per step in a rollout (e.g. on the state), it makes the
    gradient from t steps later count alpha**t, taming exploding gradients of
    long horizons (alpha ~0.95 in the original engine).
    """
    return alpha * x + (1.0 - alpha) * zero_grad(x)


def flatten_weights(weights):
    """(one vector of all weights, function mapping such a vector back to arrays of the same shapes).

    For optimizers that see one vector, such as CMA-ES.
    """
    shapes = [np.shape(w) for w in weights]
    ends = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]

    def unflatten(vector):
        return [part.reshape(shape) for part, shape in zip(np.split(np.asarray(vector), ends), shapes)]

    return np.concatenate([np.ravel(w) for w in weights]), unflatten


def save_weights(path: str, weights, meta: dict) -> None:
    """Weights and JSON-able metadata in one .npz, written atomically (a crash leaves the old file)."""
    import json
    import os

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp.npz"
    np.savez(temporary, *weights, meta=json.dumps(meta))
    os.replace(temporary, path)


def load_weights(path: str, how_to_make: str = "") -> tuple[list, dict]:
    """(weights, metadata) from a file written by save_weights; ValueError naming the path if absent."""
    import json
    import os

    if not os.path.exists(path):
        raise ValueError(f"checkpoint: no file at {path!r}{'; ' + how_to_make if how_to_make else ''}")
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        weights = [data[f"arr_{i}"] for i in range(len(data.files) - 1)]
    return weights, meta
