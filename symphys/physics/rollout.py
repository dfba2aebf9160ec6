"""Unroll the step over time with ``scan``; ``simulate`` is its numeric twin."""

from __future__ import annotations

import numpy as np

from .. import checks
from ..backend import float_context, pt, scale_gradient, scan, scan_name, stop_gradient, zero_grad
from ..model import Model, Params, State
from .arguments import check_model, check_params, check_sequence, check_state, check_steps
from .batching import as_tensor, batch_size, batch_state, graph_params
from .step import step_data


def rollout(model: Model, state: State, steps: int, params: Params | None = None,
            wrench=None, controls=None, controller=None,
            truncate_gradient: int | None = None, gradient_decay: float | None = None,
            gradient_window: int | None = None) -> tuple[State, State]:
    """Symbolic rollout of ``steps`` steps.

    state: numpy or symbolic State, optionally with a leading batch axis.
    params: Params (numpy or symbolic); the model's values if None.
    wrench: optional external [force, torque] per step, shape
        (steps, [batch,] n_bodies, 6), world frame (N, N m); or a function
        (state, step) -> (batch, n_bodies, 6) called inside the scan with the
        batch-first State and the step index: a force field of the state
        (drag, rolling resistance, springs to fixed points).
    controls: optional motor targets per step, shape (steps, [batch,] n_motors).
    controller: optional function (state, step) -> motor targets (batch, n_motors)
        called inside the scan with the batch-first State and the step index;
        its weights may be graph variables (gradients flow to them).
    truncate_gradient: backpropagate through the last this many steps only
        (truncated BPTT; None = through all steps).  Gradients reaching
        earlier steps, the initial state included, are dropped: exact for
        losses whose sensitivity to the past has decayed within the window
        (e.g. servos that have settled), and much cheaper for long rollouts.
    gradient_decay: alpha in (0, 1]: the state carried from one step to the
        next is multiplied by alpha on the way back (identity forward), so a
        gradient from t steps later counts alpha**t (the original engine's
        remedy for exploding gradients, alpha ~0.95).
    gradient_window: cut the gradient through the carried state every this
        many steps (identity forward): the rollout's gradient becomes the sum
        over consecutive windows of each window's own gradient, every
        window starting from a fixed state.  Unlike truncate_gradient every
        step's controls get a gradient; the backward pass still runs over
        all steps.
    Returns (final State, trajectory State with a leading time axis of
    steps + 1 entries, the initial state first).
    Bad arguments raise ValueError naming them before any graph is built.
    """
    model = check_model(model)
    steps = check_steps(steps)
    batch = check_state(model, state)
    check_params(model, params, batch)
    if wrench is not None and not callable(wrench):
        wrench = check_sequence(model, wrench, steps, batch, "wrench")
    if controls is not None:
        controls = check_sequence(model, controls, steps, batch, "controls")
    if controller is not None and not callable(controller):
        raise ValueError(f"controller must be a function (state, step) -> motor targets, got {controller!r}")
    with float_context(model.dtype):
        return _rollout(model, state, steps, params, wrench, controls, controller, truncate_gradient,
                        gradient_decay, gradient_window)


def _rollout(model, state, steps, params, wrench, controls, controller, truncate_gradient, gradient_decay,
             gradient_window):
    _check_gradient_options(truncate_gradient, gradient_decay, gradient_window)
    if controls is not None and controller is not None:
        raise ValueError("controls and controller: give one of them, not both")
    batched, unbatched = batch_state(model, state)
    gparams = graph_params(model, params)
    force_field = wrench if callable(wrench) else None
    wrench = None if force_field is not None else wrench
    sequences = []
    if wrench is not None:
        sequences.append(_wrench_sequence(model, wrench, unbatched))
    if controls is not None:
        sequences.append(_controls_sequence(model, controls, unbatched))
    needs_step = controller is not None or force_field is not None  # the step index, for either function
    if needs_step:
        sequences.append(pt.arange(steps))
    if gradient_window is not None:
        # 1 where the state entering the step starts a new window.
        cut = (np.arange(steps) % int(gradient_window) == 0) & (np.arange(steps) > 0)
        sequences.append(pt.constant(cut.astype(model.dtype)))
    n_batch = batch_size(batched.position)
    packing = _Packing(model.n_bodies, model.n_rows, n_batch)

    # The params enter the scan as explicit non-sequences.  Closed over instead, scan copies the
    # expressions behind them (down to the graph's roots) into its inner graph: a PyMC random
    # variable would then sit inside the scan, out of reach of PyMC's replacement of random
    # variables by their values, and gradients with respect to intermediate variables (a
    # broadcast of the params) would be disconnected.
    param_fields = list(vars(gparams).values())

    def one_step(*args):
        args = list(args)
        inner_params = Params(*args[len(args) - len(param_fields):])
        del args[len(args) - len(param_fields):]
        applied = args.pop(0) if wrench is not None else None
        targets = args.pop(0) if controls is not None else None
        carried = args[-1]
        if gradient_window is not None:
            cut = args.pop(1 if needs_step else 0)
            carried = (1.0 - cut) * carried + cut * zero_grad(carried)
        if gradient_decay is not None:
            carried = scale_gradient(carried, gradient_decay)
        current, warm = packing.unpack(carried)
        step_index = args.pop(0) if needs_step else None
        if controller is not None:
            targets = as_tensor(controller(current, step_index), model.dtype)
        if force_field is not None:
            applied = as_tensor(force_field(current, step_index), model.dtype)
        data = step_data(model, current, inner_params, applied, warm, targets)
        return packing.pack(data.next_state, data.impulse)

    def run(parts, start, count):
        (history,) = scan(one_step, sequences=parts, outputs_info=[start], non_sequences=param_fields,
                          n_steps=count, name=scan_name("time_steps", model.dtype))
        return history

    init_impulse = pt.zeros((n_batch, model.n_rows), dtype=model.dtype) if model.n_rows else None
    start = packing.pack(batched, init_impulse)
    if truncate_gradient is None or truncate_gradient >= steps:
        packed_history = run(sequences, start, steps)
    else:
        # Truncated BPTT as two scans: the head runs forward only (its
        # results enter through stop_gradient, so no backward graph is built
        # for it), the tail is differentiated.
        head = steps - truncate_gradient
        early = stop_gradient(run([s[:head] for s in sequences], start, head))
        late = run([s[head:] for s in sequences], early[-1], truncate_gradient)
        packed_history = pt.concatenate([early, late], axis=0)
    states, _ = packing.unpack(packed_history, (steps, n_batch))
    history = [pt.concatenate([first[None], seq], axis=0)
               for first, seq in zip(batched.fields(), states.fields())]
    if unbatched:
        history = [h[:, 0] for h in history]
    trajectory = State(*history)
    final = State(*(h[-1] for h in history))
    return final, trajectory


class _Packing:
    """The scan's carry: one packed (B, 13 N + R) array of the State and the row impulses.

    Scan's gradient clones its backward graph once per differentiable inner
    input, so one state input instead of five keeps the gradient graph small.
    """

    def __init__(self, n_bodies: int, n_rows: int, n_batch):
        self.n_bodies, self.n_rows, self.n_batch = n_bodies, n_rows, n_batch

    def pack(self, state: State, impulse):
        parts = [f.reshape((self.n_batch, -1)) for f in state.fields()]
        if impulse is not None:
            parts.append(impulse)
        return pt.concatenate(parts, axis=1)

    def unpack(self, packed, leading=None):
        """State and impulses from packed (*leading, 13 N + R) arrays (leading: (batch,))."""
        leading = (self.n_batch,) if leading is None else leading
        n = self.n_bodies
        fields, start = [], 0
        for width in (3, 4, 3, 3):
            fields.append(packed[..., start:start + width * n].reshape((*leading, n, width)))
            start += width * n
        impulse = packed[..., start:] if self.n_rows else None
        return State(*fields), impulse


def _check_gradient_options(truncate_gradient, gradient_decay, gradient_window):
    if gradient_decay is not None and not 0 < checks.real(gradient_decay, "gradient_decay") <= 1:
        raise ValueError(f"gradient_decay must be in (0, 1], got {gradient_decay!r}")
    for name, value in (("truncate_gradient", truncate_gradient), ("gradient_window", gradient_window)):
        if value is not None:
            checks.positive_int(value, name)


def _wrench_sequence(model, wrench, unbatched):
    """wrench as a (steps, B, N, 6) graph variable."""
    wrench = as_tensor(wrench, model.dtype)
    expected = 4 if not unbatched else 3
    if wrench.ndim != expected:
        raise ValueError(f"wrench must have {expected} dimensions (steps, "
                         f"{'' if unbatched else 'batch, '}n_bodies, 6), got {wrench.ndim}")
    return wrench[:, None] if unbatched else wrench


def _controls_sequence(model, controls, unbatched):
    """controls as a (steps, B, n_motors) graph variable."""
    controls = as_tensor(controls, model.dtype)
    expected = 2 if unbatched else 3
    if controls.ndim != expected or (controls.type.shape[-1] not in (None, model.n_motors)):
        raise ValueError(f"controls must have shape (steps, {'' if unbatched else 'batch, '}"
                         f"{model.n_motors}), got {controls.ndim} dimensions")
    return controls[:, None] if unbatched else controls


class NonFiniteStateError(FloatingPointError):
    """A simulation produced NaN or infinite values."""


def check_finite(model: Model, trajectory: State) -> None:
    """Raise NonFiniteStateError naming the first step and body that is not finite."""
    for name, values in zip(("position", "orientation", "velocity", "angular_velocity"),
                            trajectory.fields()):
        bad = ~np.isfinite(np.asarray(values))
        if bad.any():
            where = np.argwhere(bad)[0]
            step_index, body = int(where[0]), int(where[-2])
            world = f", world {int(where[1])} of the batch" if bad.ndim == 4 else ""
            raise NonFiniteStateError(
                f"simulation became non-finite at step {step_index} "
                f"(t = {step_index * model.dt:.4g} s): {name} of body {body} "
                f"({model.body_names[body]!r}){world}")
