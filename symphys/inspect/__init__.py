"""Inspect generated graphs: node counts per stage of a step, drawings, ``symphys graph``.

- ``graph``: ``graph_stats`` (node counts, before or after a backend's rewrites),
  ``stage_nodes`` / ``step_parts`` (the nodes of one step by stage, read from
  its StepData), ``rewrite``, ``hlo_size``;
- ``draw``: ``draw`` (SVG, built-in layered layout or graphviz) and ``to_dot``;
- ``report``: what ``symphys graph`` prints and draws.

``sp.graph_stats`` and ``sp.draw`` are the same functions.
"""

from . import draw, graph, report

__all__ = ["graph", "draw", "report"]
