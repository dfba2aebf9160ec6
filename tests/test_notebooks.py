"""The notebooks: stored without outputs, what notebook 01 reports, the README's links.

The notebooks themselves are executed by ``make notebooks`` (pytest --nbmake).
"""

import pathlib

import nbformat  # installed with nbmake (the dev extra)
import pytest

import symphys as sp
from symphys.inspect import graph

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_four_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [
        "01_graph_of_one_step.ipynb", "02_gradients_through_time.ipynb", "03_ball_experiment.ipynb",
        "04_system_identification.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].cell_type == "markdown", "a notebook starts by saying what it shows"
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has stored outputs: run notebooks/build_notebooks.py"
            assert cell.execution_count is None, f"cell {i} has an execution count"


def test_notebooks_match_their_generator():
    """The .ipynb files are what notebooks/build_notebooks.py writes (edit the script, not the JSON)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "notebooks" / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sources = {"01_graph_of_one_step.ipynb": module.GRAPH_OF_ONE_STEP,
               "02_gradients_through_time.ipynb": module.GRADIENTS_THROUGH_TIME,
               "03_ball_experiment.ipynb": module.BALL_EXPERIMENT}
    for name, cells in sources.items():
        stored = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        assert [c.source for c in stored.cells] == [c.source for c in cells], name


def test_node_counts_reported_in_notebook_01_match_graph_stats():
    """Run the cells of notebook 01 that compute the counts it prints (tagged "node-counts")
    and compare them with graph_stats of a step built here independently."""
    notebook = nbformat.read(ROOT / "notebooks" / "01_graph_of_one_step.ipynb", as_version=4)
    cells = [c.source for c in notebook.cells if "node-counts" in c.metadata.get("tags", [])]
    assert len(cells) == 3
    namespace: dict = {}
    for source in cells:
        exec(compile(source, "01_graph_of_one_step.ipynb", "exec"), namespace)
    reported = namespace["stats"]

    model = graph.sphere_and_box_model()
    expected = sp.graph_stats(sp.step(model, sp.symbolic_state(model)))
    assert reported == expected
    assert sum(namespace["parts"].counts.values()) == expected["total"]
    assert expected["scans"][0]["name"] == "solver_sweeps"


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"](notebooks/{path.name})" in readme, path.name
