"""Drawings of graphs: SVG with a small built-in layered layout, or graphviz.

``draw`` writes an SVG (with graphviz's ``dot`` when it is installed,
otherwise with the built-in layout, which needs nothing beyond Python) and
``to_dot`` gives the graphviz text.  Operations are colored by the stage of
a step they belong to (``graph.step_parts``).
"""

from __future__ import annotations

import dataclasses
import html
import os
import shutil
import subprocess

import numpy as np

from .. import backend as B
from .graph import StepParts, graph_outputs

PART_COLORS = {"forces": "#cfe2f3", "constraint rows": "#fde9c7", "solver setup": "#e4d7f5",
               "solver sweeps": "#d9ead3", "integration": "#f4cccc"}


@dataclasses.dataclass
class _Item:
    key: int
    label: str
    kind: str  # "op", "input", "constant", "output"
    color: str


@dataclasses.dataclass
class _Panel:
    title: str
    items: list
    edges: list  # (from key, to key)


def _op_label(node) -> str:
    op = node.op
    if isinstance(op, B.Scan):
        return f"Scan {op.name}"
    if B.inner_graph(op) is not None:  # an op with an inner graph, e.g. the Gauss-Seidel sweeps' custom_gradient op
        return f"{op.name or 'op'} (inner graph)"
    scalar = getattr(op, "scalar_op", None)
    if scalar is not None:
        fused = B.composite_size(scalar)
        if fused is not None:
            return f"Composite({fused} ops)"
        return type(scalar).__name__
    text = str(op)
    return text if len(text) <= 28 else text[:26] + ".."


def _var_label(var) -> str:
    if B.is_constant(var):
        data = np.asarray(var.data)
        return f"{data.item():.4g}" if data.size == 1 else f"const {data.shape}"
    return var.name or f"input {tuple(var.type.shape)}"


def _panels(outputs, groups: dict | None, inner: bool, title: str, constants: bool = False) -> list:
    """The graph as panels of items and edges: the outer graph, then each scan's inner graph.

    Items come in topological order.  Without ``constants``, an operation's
    constant inputs are not drawn; its label counts them ("+2c").
    """
    groups = groups or {}
    items, edges, keys = [], [], {}
    inner_panels = []

    def key_of(thing, label, kind, color="white"):
        if thing not in keys:  # Apply nodes, variables and output names hash by identity
            keys[thing] = len(keys)
            items.append(_Item(keys[thing], label, kind, color))
        return keys[thing]

    for node in B.toposort(outputs):
        sources, n_constants = [], 0
        for var in node.inputs:
            if var.owner is not None:
                sources.append(keys[var.owner])
            elif B.is_constant(var) and not constants:
                n_constants += 1
            else:
                sources.append(key_of(var, _var_label(var), "constant" if B.is_constant(var) else "input"))
        label = _op_label(node) + (f" +{n_constants}c" if n_constants else "")
        target = key_of(node, label, "op", PART_COLORS.get(groups.get(node), "#eeeeee"))
        edges += [(source, target) for source in sources]
        inner_outputs = B.inner_graph(node.op) if inner else None
        if inner_outputs is not None:
            inner_panels += _panels(inner_outputs, groups, inner, f"inner graph of {_op_label(node)}", constants)
    for i, var in enumerate(outputs):
        sink = key_of(f"output {i}", var.name or f"output {i}", "output")
        if var.owner is not None:
            edges.append((keys[var.owner], sink))
        else:
            edges.append((key_of(var, _var_label(var), "input"), sink))
    return [_Panel(title, items, edges)] + inner_panels


def _groups_of(fn_or_vars, groups):
    if groups is None and isinstance(fn_or_vars, StepParts):
        return fn_or_vars.part_of
    return groups


def to_dot(fn_or_vars, groups: dict | None = None, inner: bool = True) -> str:
    """graphviz text of a graph (variables, a StepParts or a CompiledFunction).

    Nodes are operations (boxes, colored by ``groups``: Apply node -> part
    name, as in StepParts.part_of), inputs (ellipses) and constants
    (small grey); each scan's inner graph is a cluster.
    """
    panels = _panels(graph_outputs(fn_or_vars), _groups_of(fn_or_vars, groups), inner, "graph")
    shapes = {"op": 'shape=box, style="rounded,filled"', "input": "shape=ellipse, style=filled",
              "constant": "shape=plaintext, fontcolor=gray40, fontsize=9",
              "output": "shape=ellipse, style=bold"}
    lines = ["digraph symphys {", "  rankdir=TB; node [fontname=Helvetica, fontsize=11];"]
    for p, panel in enumerate(panels):
        indent = "  " if p == 0 else "    "
        if p:
            lines.append(f'  subgraph cluster_{p} {{ label="{panel.title}"; style=dashed;')
        for item in panel.items:
            label = item.label.replace('"', "'")
            fill = f', fillcolor="{item.color}"' if item.kind == "op" else ""
            lines.append(f'{indent}n{p}_{item.key} [label="{label}", {shapes[item.kind]}{fill}];')
        for a, b in panel.edges:
            lines.append(f"{indent}n{p}_{a} -> n{p}_{b};")
        if p:
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(fn_or_vars, path: str, format: str = "svg", groups: dict | None = None,  # noqa: A002
         inner: bool = True, engine: str = "auto") -> str:
    """Write a drawing of a graph to ``path``; returns path.

    fn_or_vars: variables (or a State/list of them), a StepParts (nodes
    colored by part) or a CompiledFunction (its rewritten graph).
    format: "svg", or "dot" for the graphviz text; other formats ("png",
    "pdf") need graphviz.  engine: "graphviz" (the ``dot`` program),
    "python" (built-in layered layout, no system packages needed) or
    "auto" (graphviz when ``dot`` is installed).  inner: also draw every
    scan's inner graph.
    """
    if engine not in ("auto", "graphviz", "python"):
        raise ValueError(f"engine must be 'auto', 'graphviz' or 'python', got {engine!r}")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if format == "dot":
        with open(path, "w") as handle:
            handle.write(to_dot(fn_or_vars, groups, inner))
        return path
    dot = shutil.which("dot")
    if engine == "graphviz" or (engine == "auto" and dot is not None):
        if dot is None:
            raise ValueError("engine='graphviz' needs graphviz's `dot` program on PATH; use engine='python'")
        subprocess.run([dot, f"-T{format}", "-o", path], input=to_dot(fn_or_vars, groups, inner),
                       text=True, check=True)
        return path
    if format != "svg":
        raise ValueError(f"format {format!r} needs graphviz's `dot` program; the built-in layout writes 'svg'")
    groups = _groups_of(fn_or_vars, groups)
    panels = _panels(graph_outputs(fn_or_vars), groups, inner, "graph")
    with open(path, "w") as handle:
        handle.write(_svg(panels, legend=bool(groups)))
    return path


def is_graphviz_available() -> bool:
    """Whether graphviz's ``dot`` program is on PATH (``draw`` then uses it)."""
    return shutil.which("dot") is not None


# Built-in layout: layers by longest path from the inputs, order within a
# layer by a few barycenter sweeps (Sugiyama's heuristic), straight edges.
_CHAR_WIDTH, _NODE_HEIGHT, _GAP_X, _LAYER_HEIGHT, _MARGIN = 6.6, 22, 14, 56, 20


def _layout(panel: _Panel):
    parents = {item.key: [] for item in panel.items}
    children = {item.key: [] for item in panel.items}
    for a, b in panel.edges:
        parents[b].append(a)
        children[a].append(b)
    layer = {}
    for item in panel.items:  # items are in topological order
        ps = [layer[p] for p in parents[item.key] if p in layer]
        layer[item.key] = max(ps) + 1 if ps else 0
    for item in reversed(panel.items):  # sources sit just above their first consumer
        if not parents[item.key] and children[item.key]:
            layer[item.key] = max(0, min(layer[c] for c in children[item.key]) - 1)
    n_layers = max(layer.values()) + 1 if layer else 0
    rows = [[] for _ in range(n_layers)]
    for item in panel.items:
        rows[layer[item.key]].append(item.key)
    position = {}
    for row in rows:
        for i, k in enumerate(row):
            position[k] = float(i)
    for sweep in range(6):
        down = sweep % 2 == 0
        for row in (rows if down else rows[::-1]):
            def weight(k, down=down):
                near = parents[k] if down else children[k]
                return sum(position[n] for n in near) / len(near) if near else position[k]
            row.sort(key=weight)
            for i, k in enumerate(row):
                position[k] = float(i)
    width = {item.key: max(40.0, _CHAR_WIDTH * len(item.label) + 14) for item in panel.items}
    row_widths = [sum(width[k] for k in row) + _GAP_X * max(0, len(row) - 1) for row in rows]
    total_width = max(row_widths, default=0.0)
    xy = {}
    for r, row in enumerate(rows):
        x = (total_width - row_widths[r]) / 2
        for k in row:
            xy[k] = (x + width[k] / 2, r * _LAYER_HEIGHT + _NODE_HEIGHT / 2)
            x += width[k] + _GAP_X
    return xy, width, total_width, n_layers * _LAYER_HEIGHT


def _svg(panels, legend: bool) -> str:
    parts, y0, max_width = [], _MARGIN, 0.0
    for panel in panels:
        xy, width, panel_width, panel_height = _layout(panel)
        max_width = max(max_width, panel_width)
        parts.append(f'<text x="{_MARGIN}" y="{y0 + 12}" font-size="14" font-weight="bold">'
                     f"{html.escape(panel.title)} ({sum(i.kind == 'op' for i in panel.items)} nodes)</text>")
        y0 += 30
        for a, b in panel.edges:
            (xa, ya), (xb, yb) = xy[a], xy[b]
            parts.append(f'<line x1="{xa + _MARGIN:.1f}" y1="{ya + y0 + _NODE_HEIGHT / 2:.1f}" '
                         f'x2="{xb + _MARGIN:.1f}" y2="{yb + y0 - _NODE_HEIGHT / 2:.1f}" '
                         'stroke="#888" stroke-width="0.8" marker-end="url(#arrow)"/>')
        for item in panel.items:
            x, y = xy[item.key]
            x, y, w = x + _MARGIN, y + y0, width[item.key]
            if item.kind == "constant":
                shape = ""
                style = 'font-size="10" fill="#777"'
            elif item.kind == "op":
                shape = (f'<rect x="{x - w / 2:.1f}" y="{y - _NODE_HEIGHT / 2:.1f}" width="{w:.1f}" '
                         f'height="{_NODE_HEIGHT}" rx="5" fill="{item.color}" stroke="#555"/>')
                style = 'font-size="11"'
            else:
                shape = (f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="{_NODE_HEIGHT / 2}" '
                         f'fill="{"#fff2cc" if item.kind == "input" else "white"}" stroke="#333" '
                         f'stroke-width="{2 if item.kind == "output" else 1}"/>')
                style = 'font-size="11"'
            parts.append(f'{shape}<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" {style}>'
                         f"{html.escape(item.label)}</text>")
        y0 += panel_height + _MARGIN
    width, height = max_width + 2 * _MARGIN, y0 + _MARGIN
    key = "".join(
        f'<rect x="{_MARGIN + 150 * i}" y="{height}" width="14" height="14" fill="{color}" stroke="#555"/>'
        f'<text x="{_MARGIN + 150 * i + 20}" y="{height + 11}" font-size="11">{name}</text>'
        for i, (name, color) in enumerate(PART_COLORS.items())) if legend else ""
    height += 30 if legend else 0
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
            'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>'
            '<rect width="100%" height="100%" fill="white"/>' + "".join(parts) + key + "</svg>\n")
