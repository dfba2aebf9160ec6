"""Drawings (symphys/inspect/draw.py) and what `symphys graph` prints (report.py)."""

import xml.etree.ElementTree as ET

import pytest

import symphys as sp
from symphys import cli
from symphys.inspect import draw, graph


def test_draw_writes_svg_and_dot_without_graphviz(tmp_path):
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


def test_graph_command_prints_counts_and_writes_svg(tmp_path, capsys):
    out = tmp_path / "graph" / "step.svg"
    assert cli.main(["graph", "--out", str(out), "--engine", "python"]) == 0
    printed = capsys.readouterr().out
    total = sp.graph_stats(graph.step_parts(graph.sphere_and_box_model()).outputs)["total"]
    assert f"one step: {total} nodes" in printed and "solver sweeps" in printed
    assert "3 for 1 body-body contact candidates" in printed  # the ball and the box
    assert out.read_text().startswith("<svg")
    assert cli.main(["graph", "--out", str(tmp_path / "grad.svg"), "--grad", "--steps", "3",
                     "--engine", "python"]) == 0
    assert "with the gradient" in capsys.readouterr().out


def test_dot_text_of_variables_and_a_compiled_function():
    x = sp.backend.tensor("x", (3,), "float64")
    y = sp.backend.pt.exp(x).sum()
    assert draw.to_dot(y) == draw.to_dot([y])
    assert "output 0" in draw.to_dot(y) and "cluster" not in draw.to_dot(y)
    fn = sp.compile([x], [y])  # its rewritten graph
    assert draw.to_dot(fn).startswith("digraph symphys {")
    assert sp.draw is draw.draw and sp.graph_stats is graph.graph_stats
