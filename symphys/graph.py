"""Inspect generated graphs: node counts, the parts of a step, drawings.

``graph_stats`` counts nodes (before or after a backend's rewrites),
``step_parts`` says which part of one step each node belongs to (forces,
constraint rows, solver, integration), ``draw`` writes an SVG (with
graphviz's ``dot`` when it is installed, otherwise with a small built-in
layered layout that needs nothing beyond Python), ``to_dot`` gives the
graphviz text and ``hlo_size`` the size of a compiled JAX function's XLA
program.  ``symphys graph`` on the command line uses them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import os
import shutil
import subprocess

import numpy as np

from . import backend as B
from .compile import CompiledFunction, _flatten
from .model import Model

PART_NAMES = ("forces", "constraint rows", "solver setup", "solver sweeps", "integration")
PART_COLORS = {"forces": "#cfe2f3", "constraint rows": "#fde9c7", "solver setup": "#e4d7f5",
               "solver sweeps": "#d9ead3", "integration": "#f4cccc"}


# -- counting ---------------------------------------------------------------
def _outputs_of(fn_or_vars) -> list:
    if isinstance(fn_or_vars, StepParts):
        fn_or_vars = fn_or_vars.outputs
    leaves, _ = _flatten(fn_or_vars)
    return [B.pt.as_tensor_variable(v) for v in leaves if B.is_variable(v)]


def graph_stats(fn_or_vars, backend: str | None = None) -> dict:
    """Node counts of a graph or a compiled function.

    Returns {"outer": nodes outside scans, "scans": [per-scan stats, nested],
    "total": all nodes including every scan's inner graph}.  For a
    CompiledFunction, counts the graph after its backend's rewrites; for
    variables (a variable, a list, a State, a StepParts ...) the graph as built, or,
    with ``backend="jax"|"c"|"numba"``, after that backend's rewrites
    (applied to a copy, nothing is compiled).
    """
    if isinstance(fn_or_vars, CompiledFunction):
        return B.count_nodes(list(fn_or_vars.fn.maker.fgraph.outputs))
    outputs = _outputs_of(fn_or_vars)
    if backend is not None:
        outputs = rewrite(outputs, backend)
    return B.count_nodes(outputs)


def rewrite(outputs, backend: str = "jax") -> list:
    """Copies of ``outputs`` after ``backend``'s graph rewrites (no code is generated).

    The outer graph gets the rewrites a compile would apply; scans' inner
    graphs are rewritten again when a scan is linked, which this skips.
    """
    outputs = B.retarget_scans(_outputs_of(outputs), backend)
    with B.float_context(outputs[0].dtype if outputs[0].dtype in ("float32", "float64") else "float64"):
        return B.rewrite_graph(outputs, B.make_mode(backend))


def hlo_size(fn: CompiledFunction, *args) -> dict:
    """Size of a JAX-compiled function's XLA program for the given call arguments.

    Returns {"stablehlo_ops": operations of the lowered StableHLO module,
    "hlo_instructions": instructions of the optimized HLO after XLA's
    passes}.  Raises ValueError for other backends.
    """
    if fn.backend != "jax":
        raise ValueError(f"fn: hlo_size needs a JAX-compiled function, got backend {fn.backend!r}")
    flat, _ = _flatten(list(args))
    values = [np.asarray(a, dtype=d) for a, d in zip(flat, fn._dtypes)] + list(fn.defaults)
    with B.float_context(fn.float_type):
        lowered = fn.fn.vm.jit_fn.lower(*values)
        stablehlo = lowered.as_text()
        optimized = lowered.compile().as_text()
    return {"stablehlo_ops": sum(" = " in line for line in stablehlo.splitlines()),
            "hlo_instructions": sum(" = " in line for line in optimized.splitlines())}


# -- the parts of one step --------------------------------------------------
def sphere_and_box_model(iterations: int = 10) -> Model:
    """The small world of notebooks/01 and ``symphys graph``: a sphere and a box on the ground."""
    from .world import World

    world = World(dt=0.01, iterations=iterations)
    world.add_ground(friction=0.8)
    world.add_sphere(radius=0.1, mass=1.0, position=(0.0, 0.0, 0.5), velocity=(1.0, 0.0, 0.0),
                     restitution=0.5, name="ball")
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=2.0, position=(1.0, 0.0, 0.1),
                  velocity=(0.5, 0.0, 0.0), name="box")
    return world.build()


@dataclasses.dataclass(frozen=True)
class StepParts:
    """One symbolic step and the part of the step each of its nodes belongs to.

    state: the symbolic input State; outputs: the step's output State;
    part_of: Apply node -> part name (outer nodes and every scan's inner
    nodes); counts: nodes per part, in PART_NAMES order, summing to
    ``graph_stats(outputs)["total"]``.
    """

    state: object
    outputs: object
    part_of: dict
    counts: dict


def step_parts(model: Model, controls=None) -> StepParts:
    """Build one symbolic step of ``model`` and sort its nodes into parts.

    forces: gravity, external and gyroscopic torques, mass matrix and the
    unconstrained velocity v* = v + dt M^-1 f; constraint rows: row
    Jacobians, bounds and targets (contacts, friction, joints, limits,
    motors); solver setup: effective masses, compliances and the gathers
    around the solver's scan; solver sweeps: the scan's inner graph (one
    projected sweep, repeated ``iterations`` times at run time);
    integration: everything after the solver (x += dt v, quaternions).
    A node shared by several parts counts in the first of them.
    """
    import importlib

    from .compile import symbolic_state

    # The module, not the function ``symphys.step`` that shadows it on the package.
    step_module = importlib.import_module(f"{__package__}.step")

    captured = {}
    original = step_module.solve

    def spy(model_, rows, velocity, inv_mass, inv_inertia, warm_impulse):
        result = original(model_, rows, velocity, inv_mass, inv_inertia, warm_impulse)
        captured.update(rows=rows, inputs=[velocity, inv_mass, inv_inertia], result=result)
        return result

    state = symbolic_state(model)
    if controls is None and model.n_motors:
        controls = np.zeros(model.n_motors, dtype=model.dtype)
    with _patched(step_module, "solve", spy):
        new = step_module.step(model, state, controls=controls)
    outputs = _outputs_of(new)
    nodes = list(B.toposort(outputs))
    part_of: dict = {}
    if captured:
        forces = set(B.toposort(_outputs_of(captured["inputs"])))
        rows = set(B.toposort(_outputs_of(captured["rows"]))) - forces
        solver = set(B.toposort(_outputs_of(captured["result"]))) - forces - rows
    else:  # no rows: nothing to solve
        forces, rows, solver = set(nodes), set(), set()
    for node in nodes:
        part = ("forces" if node in forces else "constraint rows" if node in rows
                else "solver setup" if node in solver else "integration")
        part_of[node] = part
        if isinstance(node.op, B.Scan):
            for inner in _all_nodes(node.op.inner_outputs):
                part_of[inner] = "solver sweeps"
    counts = dict.fromkeys(PART_NAMES, 0)
    for part in part_of.values():
        counts[part] += 1
    return StepParts(state, new, part_of, counts)


@contextlib.contextmanager
def _patched(module, name, value):
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


def _all_nodes(outputs) -> list:
    """Apply nodes of a graph and, recursively, of its scans' inner graphs."""
    found = []
    for node in B.toposort(outputs):
        found.append(node)
        if isinstance(node.op, B.Scan):
            found += _all_nodes(node.op.inner_outputs)
    return found


# -- drawing ----------------------------------------------------------------
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
    scalar = getattr(op, "scalar_op", None)
    if scalar is not None:
        name = type(scalar).__name__
        if name == "Composite":
            return f"Composite({len(scalar.fgraph.apply_nodes)} ops)"
        return name
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
        if inner and isinstance(node.op, B.Scan):
            inner_panels += _panels(node.op.inner_outputs, groups, inner,
                                    f"inner graph of Scan {node.op.name}", constants)
    for i, var in enumerate(outputs):
        sink = key_of(f"output {i}", var.name or f"output {i}", "output")
        if var.owner is not None:
            edges.append((keys[var.owner], sink))
        else:
            edges.append((key_of(var, _var_label(var), "input"), sink))
    return [_Panel(title, items, edges)] + inner_panels


def _targets(fn_or_vars) -> list:
    if isinstance(fn_or_vars, CompiledFunction):
        return list(fn_or_vars.fn.maker.fgraph.outputs)
    if isinstance(fn_or_vars, StepParts):
        return _outputs_of(fn_or_vars.outputs)
    return _outputs_of(fn_or_vars)


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
    panels = _panels(_targets(fn_or_vars), _groups_of(fn_or_vars, groups), inner, "graph")
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
    panels = _panels(_targets(fn_or_vars), groups, inner, "graph")
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


def report(model: Model, path: str, gradient: bool = False, steps: int = 10, backend: str | None = None,
           engine: str = "auto") -> dict:
    """What ``symphys graph`` does: print node counts of a model's step (by part) or, with
    ``gradient``, of a ``steps``-step rollout and its gradient; draw it to ``path``
    (SVG, or graphviz text if path ends in ".dot").

    Returns the graph_stats of the drawn graph.
    """
    if gradient:
        from .compile import grad, symbolic_state
        from .rollout import rollout

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
