"""One backprop trainer, one CMA-ES runner, one training log and one checkpoint format.

A task hands the trainer a function of a list of numpy weight arrays:
``loss_and_grad(weights) -> (loss, gradients)`` for backpropagation,
``loss(weights) -> loss`` for CMA-ES; the loss is minimized (negate a speed
to maximize it).  The loops, the progress bar (shown on terminals only),
Ctrl-C and checkpoints live here.

A checkpoint is one .npz: the weight arrays ``arr_0, arr_1, ...`` in order
and ``meta``, a JSON string of the caller's metadata plus ``"log"``, the
TrainingLog as a dict.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable

import numpy as np

from . import optim


@dataclasses.dataclass
class TrainingLog:
    """What a run did, in the task's loss units; saved in its checkpoint."""

    method: str
    updates: int = 0  # optimizer steps: Adam updates, CMA-ES generations
    evaluations: int = 0  # rollouts simulated
    wall_seconds: float = 0.0
    loss: list = dataclasses.field(default_factory=list)  # per update (CMA-ES: the generation's best candidate)
    wall: list = dataclasses.field(default_factory=list)  # s since the start, per update
    gradient_norm: list = dataclasses.field(default_factory=list)  # per update, before clipping
    checkpoints: list = dataclasses.field(default_factory=list)  # (update, figures...) from on_checkpoint
    best_loss: float = np.inf
    best_index: int = -1  # the update (CMA-ES: the candidate) of best_loss, from 0


def constant_rate(update: int, updates: int) -> float:
    """Learning-rate factor 1 throughout."""
    return 1.0


def cosine_to_a_tenth(update: int, updates: int) -> float:
    """Learning-rate factor from 1 down to 0.1 along a half cosine over ``updates``.

    Adam's late steps at the full rate keep kicking a solution around its
    minimum (the arm's tip around its target by a few cm).
    """
    return 0.1 + 0.45 * (1 + np.cos(np.pi * update / updates))


def progress_bar(iterable=None, *, total: int | None = None, desc: str, progress: bool = True):
    """A tqdm bar that shows only on a terminal, and never with progress=False."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=None if progress else True, mininterval=1.0)


def backprop(loss_and_grad: Callable, weights: list, updates: int, learning_rate: float, *, clip: float = 1.0,
             schedule: Callable = constant_rate, rollouts_per_update: int = 1, retries: int = 0,
             keep_best: bool = False, log: TrainingLog | None = None, checkpoint: str | None = None,
             meta: dict | None = None, checkpoint_every: int = 0, on_checkpoint: Callable | None = None,
             progress: bool = True, desc: str = "train"):
    """Adam on loss_and_grad's loss from ``weights``; returns (best weights, last weights, log).

    Each update clips the gradients to a global norm of ``clip`` and sets the
    rate to learning_rate x schedule(update, updates).  A loss or gradient
    that is not finite sends the run back to the best weights with half the
    rate, ``retries`` times in a row at most, then raises FloatingPointError.
    log: continue this log (resume; a fresh Adam and schedule for the new
    updates).  checkpoint: file written at the end, on Ctrl-C (which stops
    the run) and every ``checkpoint_every`` updates, with ``meta``; it holds
    the best weights if keep_best, else the last.  on_checkpoint(weights,
    log) runs before each periodic save (e.g. a held-out evaluation appended
    to log.checkpoints) and may return a line to print.
    """
    weights = [w.copy() for w in weights]
    best = weights
    log = TrainingLog("backprop (Adam)") if log is None else log
    done, failures, rate_scale = log.updates, 0, 1.0
    adam = optim.Adam(learning_rate)
    start = time.perf_counter() - log.wall_seconds
    bar = progress_bar(range(updates), desc=desc, progress=progress)
    try:
        for i in bar:
            adam.learning_rate = learning_rate * rate_scale * schedule(i, updates)
            loss, grads = loss_and_grad(weights)
            if not (np.isfinite(loss) and all(np.all(np.isfinite(g)) for g in grads)):
                failures += 1
                if failures > retries:
                    raise FloatingPointError(f"loss {loss} or its gradient is not finite at update {done + i} "
                                             f"({failures} in a row)")
                bar.write(f"update {done + i}: not finite; back to the best weights, rate halved")
                weights, rate_scale = best, rate_scale / 2
                _record(log, done + i + 1, rollouts_per_update, float("nan"), float("nan"), start)
                continue
            failures = 0
            if loss < log.best_loss:
                log.best_loss, log.best_index, best = loss, done + i, weights
            grads, norm = optim.clip_by_global_norm(grads, clip)
            weights = adam.step(weights, grads)
            _record(log, done + i + 1, rollouts_per_update, loss, float(norm), start)
            bar.set_postfix(loss=f"{loss:.4g}", best=f"{log.best_loss:.4g}", grad=f"{norm:.2g}", refresh=False)
            if checkpoint and checkpoint_every and ((i + 1) % checkpoint_every == 0 or i + 1 == updates):
                note = on_checkpoint(weights, log) if on_checkpoint else None
                log.wall_seconds = time.perf_counter() - start
                save_checkpoint(checkpoint, best if keep_best else weights, log, meta)
                if note:
                    bar.write(note)
    except KeyboardInterrupt:
        bar.write(f"interrupted: keeping the {'best' if keep_best else 'last'} weights")
    finally:
        bar.close()
        log.wall_seconds = time.perf_counter() - start
        if checkpoint:
            save_checkpoint(checkpoint, best if keep_best else weights, log, meta)
    return best, weights, log


def _record(log: TrainingLog, updates: int, rollouts: int, loss: float, gradient_norm: float, start: float) -> None:
    """One update into the log: now ``updates`` in all, ``rollouts`` more simulated."""
    log.updates, log.evaluations = updates, log.evaluations + rollouts
    log.loss.append(loss)
    log.gradient_norm.append(gradient_norm)
    log.wall.append(time.perf_counter() - start)


def flatten_weights(weights):
    """(one vector of all weights, function mapping such a vector back to arrays of the same shapes).

    For optimizers that see one vector, such as CMA-ES.
    """
    shapes = [np.shape(w) for w in weights]
    ends = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]

    def unflatten(vector):
        return [part.reshape(shape) for part, shape in zip(np.split(np.asarray(vector), ends), shapes)]

    return np.concatenate([np.ravel(w) for w in weights]), unflatten


def cmaes(loss: Callable, weights: list, evaluations: int, sigma0: float, seed: int, *,
          rollouts_per_candidate: int = 1, progress: bool = True, desc: str = "CMA-ES"):
    """Diagonal CMA-ES (the ``cma`` package) from ``weights``; one loss(weights) call per candidate.

    evaluations: budget in rollouts (candidates x rollouts_per_candidate); a
    last generation cut short by the budget is scored but not told to the
    strategy.  sigma0: initial step size (weight units); seed: cma's.
    Ctrl-C stops the run.  Returns (the distribution's mean weights, log).
    """
    import cma

    flat0, unflatten = flatten_weights(weights)
    strategy = cma.CMAEvolutionStrategy(flat0, sigma0, {"seed": seed, "verbose": -9, "CMA_diagonal": True})
    log = TrainingLog("CMA-ES (diagonal)")
    start, scored = time.perf_counter(), 0
    with progress_bar(total=evaluations, desc=desc, progress=progress) as bar:
        try:
            while log.evaluations + rollouts_per_candidate <= evaluations:
                candidates = strategy.ask()[:(evaluations - log.evaluations) // rollouts_per_candidate]
                scores = []
                for candidate in candidates:
                    scores.append(loss(unflatten(candidate)))
                    if scores[-1] < log.best_loss:
                        log.best_loss, log.best_index = scores[-1], scored
                    scored += 1
                if len(candidates) == strategy.popsize:
                    strategy.tell(candidates, scores)
                log.updates += 1
                log.evaluations += len(candidates) * rollouts_per_candidate
                log.loss.append(float(np.min(scores)))
                log.wall.append(time.perf_counter() - start)
                bar.update(len(candidates) * rollouts_per_candidate)
                bar.set_postfix(best=f"{log.best_loss:.4g}", refresh=False)
        except KeyboardInterrupt:
            bar.write("interrupted: keeping the distribution's mean")
    log.wall_seconds = time.perf_counter() - start
    return unflatten(strategy.mean), log


def save_checkpoint(path: str, weights, log: TrainingLog, meta: dict | None = None) -> None:
    """Weights, metadata and log in one .npz, written atomically (a crash leaves the old file)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp.npz"
    np.savez(temporary, *weights, meta=json.dumps({**(meta or {}), "log": dataclasses.asdict(log)}))
    os.replace(temporary, path)


def load_checkpoint(path: str, how_to_make: str = "") -> tuple[list, TrainingLog, dict]:
    """(weights, log, metadata) from a file written by save_checkpoint; ValueError naming the path if absent."""
    if not os.path.exists(path):
        raise ValueError(f"checkpoint: no file at {path!r}{'; ' + how_to_make if how_to_make else ''}")
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        weights = [data[f"arr_{i}"] for i in range(len(data.files) - 1)]
    return weights, log_from_dict(meta.pop("log")), meta


def log_from_dict(fields: dict) -> TrainingLog:
    """A TrainingLog from its saved dict, also from the quadruped gait's log before the one trainer.

    That log kept the maximized velocity (m/s) where this one keeps the
    loss, its negative, and named the best rollout best_evaluation.
    """
    if "velocity" in fields:
        fields = dict(fields, updates=fields["evaluations"], loss=[-v for v in fields["velocity"]],
                      best_loss=-fields["best_velocity"], best_index=fields["best_evaluation"])
        for old in ("velocity", "best_velocity", "best_evaluation"):
            del fields[old]
    return TrainingLog(**fields)
