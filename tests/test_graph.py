"""Graph structure (symphys/inspect/graph.py): the step graph must not grow with model size or
iterations; its nodes sorted by stage; rewrites; the size of an XLA program."""

import numpy as np
import pytest

import symphys as sp
from symphys.inspect import graph
from symphys.physics.step import step_record


def boxes(n, iterations=10):
    """n boxes and a sphere touching the ground only (tests/test_graph_size.py counts body contacts)."""
    world = sp.World(dt=0.01, iterations=iterations)
    world.add_ground()
    for i in range(n):
        world.add_box(half_extents=(0.1, 0.1, 0.1), position=(0.5 * i, 0, 0.1), contype=0, conaffinity=0)
    world.add_sphere(radius=0.1, position=(0, 2, 0.1), contype=0, conaffinity=0)
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


# -- the stages of one step ---------------------------------------------------
def test_step_parts_cover_every_node_once():
    for model in (graph.sphere_and_box_model(), chain(3)):
        parts = graph.step_parts(model)
        stats = sp.graph_stats(parts.outputs)
        assert sum(parts.counts.values()) == stats["total"], parts.counts
        assert list(parts.counts) == list(graph.PART_NAMES)
        assert all(parts.counts[name] > 0 for name in graph.PART_NAMES), parts.counts
        assert parts.counts["solver sweeps"] == stats["scans"][0]["total"]
        assert sp.graph_stats(parts) == stats


def test_stage_nodes_read_from_step_data():
    """Every node of a step's graph (scans' inner graphs included) is in exactly one stage."""
    falling = sp.World(dt=0.01)
    falling.add_sphere(radius=0.1, position=(0, 0, 1))  # no ground: no rows, nothing to solve
    for model in (graph.sphere_and_box_model(), chain(2), falling.build()):
        data = step_record(model, sp.symbolic_state(model),
                           controls=np.zeros(model.n_motors) if model.n_motors else None)
        stages = graph.stage_nodes(data)
        assert list(stages) == list(graph.PART_NAMES)
        placed = [node for nodes in stages.values() for node in nodes]
        assert len(placed) == len(set(placed)) == sp.graph_stats(data.next_state)["total"]
        assert set(placed) == set(graph.all_nodes(graph.variables_of(data.next_state)))
    assert data.rows is None
    assert [name for name, nodes in stages.items() if nodes] == ["forces"]


def test_rewrites_shrink_the_step_graph_without_compiling():
    parts = graph.step_parts(graph.sphere_and_box_model())
    before = sp.graph_stats(parts.outputs)["total"]
    for backend in ("jax", "c"):
        after = sp.graph_stats(parts.outputs, backend=backend)
        assert 0 < after["total"] < before, (backend, after)
        assert [s["name"] for s in after["scans"]] == ["solver_sweeps"]


def test_hlo_size_of_a_jax_function():
    import types

    x = sp.backend.tensor("x", (3,), "float64")
    fn = sp.compile([x], [sp.backend.pt.sin(x).sum()])
    size = graph.hlo_size(fn, np.ones(3))
    assert size["stablehlo_ops"] > 0 and size["hlo_instructions"] > 0
    with pytest.raises(ValueError, match="JAX"):
        graph.hlo_size(types.SimpleNamespace(backend="c"))
