"""Node counts of generated graphs, and the stage of one step each node belongs to.

``graph_stats`` counts nodes (before or after a backend's rewrites),
``stage_nodes`` sorts the nodes of one step by stage, reading the step's
StepData record, ``step_parts`` builds one symbolic step and does so, and
``hlo_size`` gives the size of a compiled JAX function's XLA program.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import backend as B
from ..compiler import CompiledFunction
from ..inputs import symbolic_state
from ..model import Model
from ..physics.batching import unbatch_state
from ..physics.step import StepData, step_record
from ..tree import flatten
from ..world import World

PART_NAMES = ("forces", "constraint rows", "solver setup", "solver sweeps", "integration")


# -- counting ---------------------------------------------------------------
def variables_of(fn_or_vars) -> list:
    """The graph variables in a variable, a list, a State, ... or a StepParts (its outputs)."""
    if isinstance(fn_or_vars, StepParts):
        fn_or_vars = fn_or_vars.outputs
    leaves, _ = flatten(fn_or_vars)
    return [B.pt.as_tensor_variable(v) for v in leaves if B.is_variable(v)]


def graph_outputs(fn_or_vars) -> list:
    """Output variables of a graph: ``variables_of``, or a CompiledFunction's rewritten graph."""
    if isinstance(fn_or_vars, CompiledFunction):
        return B.compiled_outputs(fn_or_vars.fn)
    return variables_of(fn_or_vars)


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
        return B.count_nodes(graph_outputs(fn_or_vars))
    outputs = variables_of(fn_or_vars)
    if backend is not None:
        outputs = rewrite(outputs, backend)
    return B.count_nodes(outputs)


def rewrite(outputs, backend: str = "jax") -> list:
    """Copies of ``outputs`` after ``backend``'s graph rewrites (no code is generated).

    The outer graph gets the rewrites a compile would apply; scans' inner
    graphs are rewritten again when a scan is linked, which this skips.
    """
    outputs = variables_of(outputs)
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
    flat, _ = flatten(list(args))
    values = [np.asarray(a, dtype=v.dtype) for a, v in zip(flat, fn.inputs)] + list(fn.defaults)
    with B.float_context(fn.float_type):
        lowered = B.lower_jax(fn.fn, values)
        stablehlo = lowered.as_text()
        optimized = lowered.compile().as_text()
    return {"stablehlo_ops": sum(" = " in line for line in stablehlo.splitlines()),
            "hlo_instructions": sum(" = " in line for line in optimized.splitlines())}


def all_nodes(outputs) -> list:
    """Apply nodes of a graph and, recursively, of its inner graphs (scans, custom-gradient ops)."""
    found = []
    for node in B.toposort(outputs):
        found.append(node)
        inner = B.inner_graph(node.op)
        if inner is not None:
            found += all_nodes(inner)
    return found


# -- the stages of one step -------------------------------------------------
def stage_nodes(data: StepData, outputs=None) -> dict:
    """The Apply nodes of one step by stage: {stage name: [nodes]}, in PART_NAMES order.

    data: the step's StepData (``physics.step.step_record``); outputs: the
    graph whose nodes are sorted (default ``data.next_state``).
    forces: gravity, external and gyroscopic torques, mass matrix and the
    unconstrained velocity v* = v + dt M^-1 f; constraint rows: row
    Jacobians, bounds and targets (contacts, friction, joints, limits,
    motors); solver setup: effective masses, compliances and the gathers
    around the solver's scan; solver sweeps: the inner graphs of the solver's
    scan or op (one projected sweep, repeated ``iterations`` times at run time);
    integration: everything after the solver (x += dt v, quaternions).
    Each node is in one stage: a node shared by several is in the first.
    """
    nodes = list(B.toposort(variables_of(data.next_state if outputs is None else outputs)))
    if data.rows is not None:
        free = data.free_motion
        forces = set(B.toposort(variables_of([free.velocity, free.inv_mass, free.inv_inertia])))
        rows = set(B.toposort(variables_of(data.rows))) - forces
        solver = set(B.toposort(variables_of([data.velocity, data.impulse]))) - forces - rows
    else:  # no rows: nothing to solve
        forces, rows, solver = set(nodes), set(), set()
    stage_of: dict = {}
    for node in nodes:
        stage_of[node] = ("forces" if node in forces else "constraint rows" if node in rows
                          else "solver setup" if node in solver else "integration")
        inner_outputs = B.inner_graph(node.op)
        if inner_outputs is not None:
            for inner in all_nodes(inner_outputs):
                stage_of[inner] = "solver sweeps"
    stages = {name: [] for name in PART_NAMES}
    for node, name in stage_of.items():
        stages[name].append(node)
    return stages


def sphere_and_box_model(iterations: int = 10) -> Model:
    """The small world of notebooks/01 and ``symphys graph``: a sphere and a box on the ground (and
    one body-body contact candidate between them), solved by projected Jacobi (the one-scan sweeps
    the notebook walks through; ``auto`` would pick Gauss-Seidel for a model with body contacts)."""
    world = World(dt=0.01, iterations=iterations, method="jacobi")
    world.add_ground(friction=0.8)
    world.add_sphere(radius=0.1, mass=1.0, position=(0.0, 0.0, 0.5), velocity=(1.0, 0.0, 0.0),
                     restitution=0.5, name="ball")
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=2.0, position=(1.0, 0.0, 0.1),
                  velocity=(0.5, 0.0, 0.0), name="box")
    return world.build()


@dataclasses.dataclass(frozen=True)
class StepParts:
    """One symbolic step and the stage of the step each of its nodes belongs to.

    state: the symbolic input State; outputs: the step's output State;
    part_of: Apply node -> stage name (outer nodes and every scan's inner
    nodes); counts: nodes per stage, in PART_NAMES order, summing to
    ``graph_stats(outputs)["total"]``.
    """

    state: object
    outputs: object
    part_of: dict
    counts: dict


def step_parts(model: Model, controls=None) -> StepParts:
    """Build one symbolic step of ``model`` (motor controls zero unless given) and sort its
    nodes by stage (``stage_nodes``)."""
    state = symbolic_state(model)
    if controls is None and model.n_motors:
        controls = np.zeros(model.n_motors, dtype=model.dtype)
    data = step_record(model, state, controls=controls)
    new = unbatch_state(data.next_state)  # what sp.step returns for this unbatched state
    stages = stage_nodes(data, new)
    part_of = {node: name for name, nodes in stages.items() for node in nodes}
    counts = {name: len(nodes) for name, nodes in stages.items()}
    return StepParts(state, new, part_of, counts)
