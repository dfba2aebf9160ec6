"""Graph structure: the step graph must not grow with model size or iterations."""

import numpy as np
import pytest

import symphys as sp


def boxes(n, iterations=10):
    world = sp.World(dt=0.01, iterations=iterations)
    world.add_ground()
    for i in range(n):
        world.add_box(half_extents=(0.1, 0.1, 0.1), position=(0.5 * i, 0, 0.1))
    world.add_sphere(radius=0.1, position=(0, 2, 0.1))
    return world.build()


def rollout_stats(model, with_gradient=False):
    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, steps=10)
    loss = final.position[0, 0]
    outputs = [loss] + ([sp.grad(loss, state.velocity)] if with_gradient else [])
    return sp.graph_stats(outputs)


@pytest.mark.parametrize("with_gradient", [False, True])
def test_node_count_independent_of_bodies_and_iterations(with_gradient):
    counts = {(n, it): rollout_stats(boxes(n, it), with_gradient)["total"]
              for n, it in [(1, 10), (8, 10), (32, 10), (8, 3), (8, 40)]}
    assert len(set(counts.values())) == 1, counts
    limit = 3000 if with_gradient else 800
    assert next(iter(counts.values())) < limit, counts


def test_graph_stats_of_compiled_function_counts_rewritten_graph():
    model = boxes(2)
    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, steps=5)
    fn = sp.compile([state.velocity], [final.position])
    stats = sp.graph_stats(fn)
    assert stats["total"] > stats["outer"] > 0
    assert [s["name"] for s in stats["scans"]] == ["time_steps"]
    assert [s["name"] for s in stats["scans"][0]["scans"]] == ["solver_sweeps"]


GRAPH_LIBRARIES = ("pytensor", "aesara", "theano")


def graph_library_imports(source: str) -> list:
    """Modules of the graph libraries that Python ``source`` imports, however it does
    (import/from statements anywhere, importlib.import_module / __import__ of a literal)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")):
            names = [node.args[0].value]
        else:
            continue
        found += [name for name in names if name.split(".")[0] in GRAPH_LIBRARIES]
    return found


@pytest.mark.aesara
def test_only_backend_imports_the_graph_library():
    """symphys/backend.py is the only module that imports PyTensor or Aesara
    (the package, the models, benchmarks, tests and notebook code cells)."""
    import json
    import pathlib

    root = pathlib.Path(sp.__file__).resolve().parent.parent
    sources = {}
    for folder in ("symphys", "models", "benchmarks", "tests"):
        for path in (root / folder).rglob("*.py"):
            sources[str(path.relative_to(root))] = path.read_text()
    for path in (root / "notebooks").rglob("*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
            code = "".join(cell["source"])  # IPython magics and shell escapes are not Python
            code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())
            sources[f"{path.relative_to(root)}[cell {i}]"] = code
    assert len(sources) > 20 and "symphys/backend.py" in sources
    offenders = {name: imports for name, source in sources.items() if name != "symphys/backend.py"
                 and (imports := graph_library_imports(source))}
    assert offenders == {}
    # The check itself sees every way of importing.
    assert graph_library_imports(sources["symphys/backend.py"])
    assert graph_library_imports("def f():\n    from aesara.tensor import dot\n") == ["aesara.tensor"]
    assert graph_library_imports("import importlib\nimportlib.import_module('pytensor.scan')") == ["pytensor.scan"]
    assert graph_library_imports("import numpy as np  # pytensor\nfrom . import backend") == []


def test_compiled_function_cache_distinguishes_constants(tmp_path, monkeypatch):
    """Models differing only in a size share structure but not constants:
    the on-disk cache must not hand one the other's compiled function."""
    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(tmp_path))

    def drop(half_height):
        world = sp.World(dt=0.01)
        world.add_ground()
        world.add_box(half_extents=(0.1, 0.1, half_height), position=(0, 0, 0.3))
        model = world.build()
        state = sp.symbolic_state(model)
        final, _ = sp.rollout(model, state, steps=60)
        return sp.compile([state.position], [final.position[0, 2]]), model

    low, low_model = drop(0.05)
    high, high_model = drop(0.15)
    assert low.cache_path != high.cache_path
    again, _ = drop(0.05)
    assert again.from_cache and again.cache_path == low.cache_path
    (z_low,) = low(low_model.initial_state().position)
    (z_high,) = high(high_model.initial_state().position)
    assert abs(z_low - 0.05) < 2e-3 and abs(z_high - 0.15) < 2e-3
    assert again(low_model.initial_state().position)[0] == z_low


def chain(n_links):
    world = sp.World(dt=0.01)
    world.add_ground()
    parent = None
    for i in range(n_links):
        link = world.add_capsule(radius=0.03, length=0.2, position=(0, 0, 1.0 - 0.3 * i))
        joint = world.add_hinge(parent, link, anchor=(0, 0, 1.15 - 0.3 * i), axis=(0, 1, 0),
                                lower=-1.0, upper=1.0)
        world.add_motor(joint, max_torque=5.0)
        parent = link
    world.add_ball_joint(None, world.add_sphere(radius=0.1, position=(1, 0, 1)), anchor=(1, 0, 1.1))
    return world.build()


def test_node_count_independent_of_joint_count():
    counts = set()
    for n in (1, 4, 12):
        model = chain(n)
        state = sp.symbolic_state(model)
        final, _ = sp.rollout(model, state, steps=10, controls=np.zeros((10, model.n_motors)))
        counts.add(sp.graph_stats([final.position])["total"])
    assert len(counts) == 1, counts


def test_compiled_function_cache_is_bounded(tmp_path, monkeypatch):
    """Least recently used entries are evicted beyond SYMPHYS_CACHE_MAX_MB."""
    import os
    import time

    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(tmp_path))
    stale = tmp_path / "jax-stale.pkl"
    stale.write_bytes(b"x" * 300_000)
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    monkeypatch.setenv("SYMPHYS_CACHE_MAX_MB", str(301_000 / 2**20))  # stale entry + 1 kB
    x = sp.backend.tensor("x", (3,), "float64")
    fn = sp.compile([x], [2.0 * x])
    assert fn.cache_path and os.path.exists(fn.cache_path)
    assert not stale.exists()
    np.testing.assert_allclose(fn(np.ones(3))[0], 2.0)


# -- inspection helpers: parts of a step, drawings, `symphys graph` -----------
def test_step_parts_cover_every_node_once():
    from symphys import graph

    for model in (graph.sphere_and_box_model(), chain(3)):
        parts = graph.step_parts(model)
        stats = sp.graph_stats(parts.outputs)
        assert sum(parts.counts.values()) == stats["total"], parts.counts
        assert list(parts.counts) == list(graph.PART_NAMES)
        assert all(parts.counts[name] > 0 for name in graph.PART_NAMES), parts.counts
        assert parts.counts["solver sweeps"] == stats["scans"][0]["total"]
        assert sp.graph_stats(parts) == stats


def test_rewrites_shrink_the_step_graph_without_compiling():
    from symphys import graph

    parts = graph.step_parts(graph.sphere_and_box_model())
    before = sp.graph_stats(parts.outputs)["total"]
    for backend in ("jax", "c"):
        after = sp.graph_stats(parts.outputs, backend=backend)
        assert 0 < after["total"] < before, (backend, after)
        assert [s["name"] for s in after["scans"]] == ["solver_sweeps"]


def test_draw_writes_svg_and_dot_without_graphviz(tmp_path):
    import xml.etree.ElementTree as ET

    from symphys import graph

    parts = graph.step_parts(graph.sphere_and_box_model())
    path = sp.draw(parts, str(tmp_path / "step.svg"), engine="python")
    root = ET.parse(path).getroot()  # well-formed XML
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]
    stats = sp.graph_stats(parts.outputs)
    assert f"graph ({stats['outer']} nodes)" in titles
    assert f"inner graph of Scan solver_sweeps ({stats['scans'][0]['outer']} nodes)" in titles
    dot = (tmp_path / "step.dot")
    sp.draw(parts, str(dot), format="dot")
    text = dot.read_text()
    assert text.startswith("digraph") and "cluster_1" in text
    with pytest.raises(ValueError, match="engine"):
        sp.draw(parts, str(tmp_path / "x.svg"), engine="neato")


def test_hlo_size_of_a_jax_function():
    import types

    from symphys import graph

    x = sp.backend.tensor("x", (3,), "float64")
    fn = sp.compile([x], [sp.backend.pt.sin(x).sum()])
    size = graph.hlo_size(fn, np.ones(3))
    assert size["stablehlo_ops"] > 0 and size["hlo_instructions"] > 0
    with pytest.raises(ValueError, match="JAX"):
        graph.hlo_size(types.SimpleNamespace(backend="c"))


def test_graph_command_prints_counts_and_writes_svg(tmp_path, capsys):
    from symphys import cli, graph

    out = tmp_path / "graph" / "step.svg"
    assert cli.main(["graph", "--out", str(out), "--engine", "python"]) == 0
    printed = capsys.readouterr().out
    total = sp.graph_stats(graph.step_parts(graph.sphere_and_box_model()).outputs)["total"]
    assert f"one step: {total} nodes" in printed and "solver sweeps" in printed
    assert out.read_text().startswith("<svg")
    assert cli.main(["graph", "--out", str(tmp_path / "grad.svg"), "--grad", "--steps", "3",
                     "--engine", "python"]) == 0
    assert "with the gradient" in capsys.readouterr().out
