"""What ``symphys graph`` prints and draws: node counts of a model's step by stage, or of a
rollout and its gradient."""

from __future__ import annotations

import numpy as np

from ..compiler import grad
from ..inputs import symbolic_state
from ..model import Model
from ..physics.rollout import rollout
from .draw import draw, is_graphviz_available
from .graph import graph_stats, step_parts


def report(model: Model, path: str, gradient: bool = False, steps: int = 10, backend: str | None = None,
           engine: str = "auto") -> dict:
    """Print node counts of a model's step (by stage) or, with ``gradient``, of a
    ``steps``-step rollout and its gradient; draw it to ``path`` (SVG, or graphviz
    text if path ends in ".dot").

    Returns the graph_stats of the drawn graph.
    """
    print(row_summary(model))
    if gradient:
        state = symbolic_state(model)
        controls = np.zeros((steps, model.n_motors)) if model.n_motors else None
        final, _ = rollout(model, state, steps, controls=controls)
        loss = final.position[0, 0]
        forward = graph_stats(loss)
        target, groups = [loss, grad(loss, state.velocity)], None
        stats = graph_stats(target)
        print(f"rollout of {steps} steps: {forward['total']} nodes; with the gradient of the first "
              f"body's final x position with respect to the initial velocities: {stats['total']} nodes")
    else:
        target = step_parts(model)
        groups = target.part_of
        stats = graph_stats(target.outputs)
        print(f"one step: {stats['total']} nodes ({stats['outer']} outer, "
              + ", ".join(f"{s['total']} in scan {s['name']}" for s in stats["scans"]) + ")")
        for name, count in target.counts.items():
            print(f"  {name:<16} {count:5d}")
    if backend is not None:
        after = graph_stats(target.outputs if not gradient else target, backend=backend)
        print(f"after the {backend} backend's rewrites: {after['total']} nodes")
    if path.endswith(".dot"):
        draw(target, path, format="dot", groups=groups)
        print(f"graphviz text: {path}")
    else:
        draw(target, path, groups=groups, engine=engine)
        graphviz = engine == "graphviz" or (engine == "auto" and is_graphviz_available())
        print(f"drawing ({'graphviz' if graphviz else 'built-in'} layout): {path}")
    return stats


def row_summary(model: Model) -> str:
    """One line: the model's constraint rows, and how many are body-body contact candidates (the
    rows that grow with the number of body pairs)."""
    return (f"{model.n_rows} constraint rows: {3 * model.n_contacts} for {model.n_contacts} ground-contact "
            f"candidates, {3 * model.n_pair_contacts} for {model.n_pair_contacts} body-body contact candidates, "
            f"{model.n_rows - 3 * (model.n_contacts + model.n_pair_contacts)} for joints, limits and motors")
