"""Inspect generated graphs: node counts and drawings."""

from __future__ import annotations

from . import backend as B
from .compile import CompiledFunction, _flatten


def graph_stats(fn_or_vars) -> dict:
    """Node counts of a graph or a compiled function.

    Returns {"outer": nodes outside scans, "scans": [per-scan stats, nested],
    "total": all nodes including every scan's inner graph}.  For a
    CompiledFunction, counts the graph after the backend's rewrites.
    """
    if isinstance(fn_or_vars, CompiledFunction):
        fgraph = fn_or_vars.fn.maker.fgraph
        return B.count_nodes(list(fgraph.outputs))
    leaves, _ = _flatten(fn_or_vars)
    return B.count_nodes([B.pt.as_tensor_variable(v) for v in leaves])


def draw(fn_or_vars, path: str, format: str = "svg") -> str:  # noqa: A002
    """Write a drawing of the graph (needs pydot and graphviz); returns path."""
    target = fn_or_vars.fn if isinstance(fn_or_vars, CompiledFunction) else _flatten(fn_or_vars)[0]
    B.pydotprint(target, outfile=path, format=format, scan_graphs=True, var_with_name_simple=True)
    return path
