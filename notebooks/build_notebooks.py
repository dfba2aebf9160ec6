"""Write the notebooks of this folder (without outputs) from the cells below.

Edit the cells here and run ``.venv/bin/python notebooks/build_notebooks.py``:
the .ipynb files are generated, stored without outputs, and executed in CI
(``make notebooks``).  Cells tagged "node-counts" in 01 are also run by
tests/test_notebooks.py, which checks the counts they report.
"""

from __future__ import annotations

import pathlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = pathlib.Path(__file__).parent


def md(text):
    return new_markdown_cell(text.strip())


def code(text, *tags):
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


GRAPH_OF_ONE_STEP = [
    md("""
# The graph of one step

What symphys generates for one simulation step of a small world (a sphere and a box on the
ground): the symbolic graph printed (`dprint`) and drawn, its node counts split into the parts
of a step (forces, constraint rows, solver, integration), the counts left after each compiler's
rewrites, and the compiled step timed. Everything here is computed by `symphys.inspect` (its
`graph` module counts, its `draw` module draws), which you can call outside notebooks too
(`symphys graph` on the command line writes the drawing).
"""),
    code("""
import os
import tempfile
import time

import numpy as np
from IPython.display import HTML, Markdown, display

import symphys as sp
from symphys.inspect import draw, graph

OUT = os.path.join(tempfile.gettempdir(), "symphys-notebooks")  # drawings are written here
""", "node-counts"),
    md("""
## The world

`graph.sphere_and_box_model()` builds it (the same function the tests and `symphys graph` use):
a 0.1 m sphere dropped from 0.5 m with 1 m/s forward, and a 0.2 m box sliding at 0.5 m/s, on a
ground with friction 0.8. Ground contacts are fixed candidate points (the sphere's lowest point,
the box's 8 corners), each with a normal row and two friction rows that switch on with penetration.
"""),
    code("""
model = graph.sphere_and_box_model()
print(f"{model.n_bodies} bodies, {model.n_contacts} contact candidates, {model.n_rows} constraint rows, "
      f"{model.solver.iterations} solver sweeps, dt = {model.dt} s, solver: {model.solver_method}")
""", "node-counts"),
    md("""
## One symbolic step and its node counts

`graph.step_parts(model)` emits one step on a symbolic state (`sp.step(model, sp.symbolic_state(model))`),
keeping each stage's result in a `StepData` record (`symphys.physics.step.step_record`), and
`graph.stage_nodes` reads that record to sort every node into the part of the step it belongs to:

| part | what it computes |
|---|---|
| forces | gravity, gyroscopic torque, world-frame inverse inertia, the unconstrained velocity `v* = v + dt M^-1 f` |
| constraint rows | all rows at once: Jacobians, bounds (friction `mu * normal impulse`), targets (softness, bounce) |
| solver setup | effective masses `J M^-1 J^T`, compliances, the gathers and scatters around the solver's scan |
| solver sweeps | inner graph of the `solver_sweeps` scan: one projected sweep over all rows, run `iterations` times |
| integration | `x += dt v`, quaternion integration and renormalization |

A node shared by two parts is counted in the first. `sp.graph_stats` gives the total, the outer graph
and each scan's inner graph.
"""),
    code("""
parts = graph.step_parts(model)
step = parts.outputs  # a State of symbolic variables
stats = sp.graph_stats(step)
print(f"one step: {stats['total']} nodes = {stats['outer']} outer + "
      f"{stats['scans'][0]['total']} in the inner graph of scan {stats['scans'][0]['name']!r}")
for name, count in parts.counts.items():
    print(f"  {name:<16} {count:4d}")
assert sum(parts.counts.values()) == stats["total"]
""", "node-counts"),
    md("""
## The printed graph

`dprint` (PyTensor's `debugprint`) prints the graph as a tree: one line per node, shared
subexpressions named once (`*3 -> ...`) and referred to later, inner graphs of scans at the end.
The whole print of the position output is long, so we show its beginning and the inner graph of
the solver's scan (one sweep).
"""),
    code("""
text = sp.backend.debugprint(step.position, file="str")
lines = text.splitlines()
print(f"{len(lines)} lines in all; the first 40:")
print("\\n".join(lines[:40]))
"""),
    code("""
inner_start = next(i for i, line in enumerate(lines) if line.startswith("Inner graphs"))
print("\\n".join(lines[inner_start:inner_start + 60]))
"""),
    md("""
## The drawing

`sp.draw` writes an SVG: graphviz's `dot` lays it out when graphviz is installed, otherwise a
built-in layered layout (pure Python, no system packages) does. Boxes are operations colored by
part, yellow ellipses inputs; constant inputs are not drawn, an operation's label counts them
(`+2c`). The outer graph comes first, then the inner graph of the solver's scan. Scroll inside
the frame.
"""),
    code("""
path = sp.draw(parts, os.path.join(OUT, "step.svg"))
print(f"{path} ({'graphviz' if draw.is_graphviz_available() else 'built-in'} layout, "
      f"{os.path.getsize(path) // 1024} kB)")
with open(path) as handle:
    display(HTML(f'<div style="max-height: 700px; overflow: auto; border: 1px solid #ccc">{handle.read()}</div>'))
"""),
    md("""
`draw.to_dot` gives the same graph as graphviz text, to render elsewhere
(`dot -Tsvg step.dot -o step.svg`):
"""),
    code("""
dot = draw.to_dot(parts)
print(f"{len(dot.splitlines())} lines; the first 12:")
print("\\n".join(dot.splitlines()[:12]))
"""),
    md("""
## Before and after the compiler's rewrites

Compiling rewrites the graph: constants are folded, elementwise chains fused into `Composite`
nodes, shared subgraphs merged. `sp.graph_stats(outputs, backend=...)` applies a backend's
rewrites to a copy without generating code. JAX uses the light `fast_compile` rewrites (XLA
optimizes the result itself); C and Numba use the full `fast_run` set (fusion, in-place
operations). A compiled function's own graph is counted by `sp.graph_stats(fn)`.
"""),
    code("""
rows = [("as built", stats)]
for backend in ("jax", "c"):
    rows.append((f"after {backend} rewrites", sp.graph_stats(step, backend=backend)))
table = ["| graph | total | outer | solver sweep (inner) |", "|---|---|---|---|"]
table += [f"| {name} | {s['total']} | {s['outer']} | {s['scans'][0]['total']} |" for name, s in rows]
display(Markdown("\\n".join(table)))
"""),
    md("""
## Compile and time the step

The step compiled with JAX (the default backend), as a function of the positions and velocities;
orientations and angular velocities keep the model's initial values. `compile_seconds` includes
the rewrites (and is short when the function comes from the on-disk cache); XLA compiles at the
first call. `graph.hlo_size` is the size of the XLA program.
"""),
    code("""
s = parts.state
fn = sp.compile([s.position, s.velocity], step, backend="jax")
x0 = model.initial_state()
start = time.perf_counter()
new = fn(x0.position, x0.velocity)  # first call: XLA compiles
first_call = time.perf_counter() - start
start = time.perf_counter()
for _ in range(100):
    fn(x0.position, x0.velocity)
per_call = (time.perf_counter() - start) / 100
compiled = sp.graph_stats(fn)
print(f"compile {fn.compile_seconds:.1f} s (from cache: {fn.from_cache}), first call {first_call:.2f} s, "
      f"then {per_call * 1e6:.0f} us per step")
print(f"compiled graph: {compiled['total']} nodes; XLA program: {graph.hlo_size(fn, x0.position, x0.velocity)}")
print("positions after one step (m):\\n", np.round(new.position, 5))
assert np.all(np.isfinite(new.position))
"""),
    md("""
## The graph does not grow with the world

Rows are one vectorized block and the sweeps an inner scan, so the step has the same number of
nodes for any number of bodies and solver iterations (constants change, structure does not):
"""),
    code("""
def world_of(n_boxes, iterations):
    world = sp.World(dt=0.01, iterations=iterations)
    world.add_ground(friction=0.8)
    for i in range(n_boxes):
        # Ground contacts only (contype 0): the graph's size against the ground rows' count.
        world.add_box(half_extents=(0.1, 0.1, 0.1), mass=2.0, position=(0.5 * i, 0.0, 0.1), contype=0, conaffinity=0)
    world.add_sphere(radius=0.1, mass=1.0, position=(0.0, 2.0, 0.1))
    return world.build()


totals = []
for n_boxes, iterations in [(1, 10), (10, 10), (100, 10), (10, 40)]:
    m = world_of(n_boxes, iterations)
    total = sp.graph_stats(sp.step(m, sp.symbolic_state(m)))["total"]
    totals.append(total)
    print(f"{n_boxes:3d} boxes + 1 sphere, {iterations:2d} sweeps, {m.n_rows:4d} rows: {total} nodes")
# The design's promise, checked whenever the notebook runs: one size for every world.
assert len(set(totals)) == 1, totals
"""),
]


GRADIENTS_THROUGH_TIME = [
    md("""
# Gradients through time

The gradient graph of a rollout: how big it is next to the forward graph, how it compares with
finite differences, how the gradient's norm grows over the horizon (and where contacts make it
jump), and what forward and forward + gradient cost on each backend. Same world as notebook 01:
a sphere dropped from 0.5 m with 1 m/s forward (restitution 0.5, so it bounces) and a box
sliding at 0.5 m/s.
"""),
    code("""
%matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import symphys as sp
from symphys.inspect import graph

STEPS = 100  # 1 s at dt = 0.01
# C's and Numba's cold compiles of these two functions take minutes (C: 3.5 min on 2 cores): set True
# to time them too.  tests/test_batch_backends.py checks that both agree with JAX.
RUN_C = False
RUN_NUMBA = False
BACKENDS = ["jax"] + (["c"] if RUN_C else []) + (["numba"] if RUN_NUMBA else [])
model = graph.sphere_and_box_model()
BALL, BOX = 0, 1
"""),
    md("""
## The rollout and its gradient graph

`sp.rollout` unrolls the step with a `scan` over time. The loss picks one coordinate of the
trajectory with a one-hot `weights` input of shape (steps + 1, bodies, 3), so one compiled
function gives the gradient of any body's position at any time with respect to the initial
velocities. `sp.grad` builds the backward graph symbolically: a second scan that runs backwards
in time, with the solver sweeps' own backward scan inside.
"""),
    code("""
state = sp.symbolic_state(model)
final, trajectory = sp.rollout(model, state, STEPS)
weights = sp.backend.tensor("weights", (STEPS + 1, model.n_bodies, 3), "float64")
loss = (weights * trajectory.position).sum()
gradient = sp.grad(loss, state.velocity)  # (bodies, 3)

forward_stats = sp.graph_stats(loss)
gradient_stats = sp.graph_stats([loss, gradient])
print(f"forward graph: {forward_stats['total']} nodes; with the gradient: {gradient_stats['total']} nodes "
      f"({gradient_stats['total'] / forward_stats['total']:.1f}x)")
for stats, name in [(forward_stats, "forward"), (gradient_stats, "forward + gradient")]:
    print(f"  {name}: scans {[(s['name'], s['total']) for s in stats['scans']]}")
"""),
    md("""
## Gradient against finite differences

Central differences of the loss with respect to each initial velocity, for the ball's final x
position and the box's final x position. The rollout is deterministic and smooth away from contact
switches, so both agree closely. Entries that are exactly zero in both (e.g. the ball's final
position does not depend on the box) are counted, not listed.
"""),
    code("""
fn = sp.compile([state.velocity, weights], [loss, gradient, trajectory.velocity], backend="jax")
v0 = model.initial_state().velocity


def one_hot(step, body, axis):
    w = np.zeros((STEPS + 1, model.n_bodies, 3))
    w[step, body, axis] = 1.0
    return w


EPS = 1e-6
table = ["| loss | d/dv | gradient | finite difference | abs. difference |", "|---|---|---|---|---|"]
worst, zeros = 0.0, 0
for body, name in [(BALL, "ball x(T)"), (BOX, "box x(T)")]:
    w = one_hot(STEPS, body, 0)
    _, g, _ = fn(v0, w)
    for b in range(model.n_bodies):
        for a in range(3):
            dv = np.zeros_like(v0)
            dv[b, a] = EPS
            numeric = (fn(v0 + dv, w)[0] - fn(v0 - dv, w)[0]) / (2 * EPS)
            error = abs(g[b, a] - numeric)
            worst = max(worst, error)
            if g[b, a] == 0 and numeric == 0:
                zeros += 1
            else:
                table.append(f"| {name} | v[{b},{'xyz'[a]}] | {g[b, a]:+.6f} | {numeric:+.6f} | {error:.1e} |")
display(Markdown("\\n".join(table)))
print(f"largest difference {worst:.1e}; {zeros} more entries are exactly zero in both")
assert worst < 1e-4
"""),
    md("""
## Gradient norm over the horizon

How strongly does the position at time t depend on the initial velocities? One forward + backward
pass per t gives `|d p(t) / d v0|`. Left: this world. In flight the sensitivity of the ball's x
grows like t (`d x / d vx(0) = t`); its bounces bend the curves, and once the ball lies still
its height forgets the initial velocity. Right: a box thrown tumbling onto the ground (its
initial linear and angular velocities as the variables): each corner impact steepens the curve,
and while the box rocks on its corners the sensitivity grows roughly exponentially (a straight
line on this log scale), until the box settles and most of it drops away. This growth through
repeated contacts is what makes long horizons hard for gradient methods.
Shaded: steps where the ground pushes the body (its vertical acceleration differs from
gravity by more than 1 m/s^2).
"""),
    code("""
def ground_pushes(velocities):
    \"\"\"Steps t (of steps + 1) where the vertical acceleration differs from gravity.\"\"\"
    accel = np.diff(velocities[:, 2]) / model.dt
    return np.concatenate([np.abs(accel + 9.81) > 1.0, [False]])


velocities = fn(v0, one_hot(0, BALL, 0))[2]
times = np.arange(STEPS + 1) * model.dt
curves = {}
for body, axis, name in [(BALL, 2, "ball z"), (BALL, 0, "ball x"), (BOX, 0, "box x")]:
    curves[name] = np.array([np.linalg.norm(fn(v0, one_hot(t, body, axis))[1]) for t in range(STEPS + 1)])
ball_contact = ground_pushes(velocities[:, BALL])
print(f"ball: first ground contact at t = {times[np.argmax(ball_contact)]:.2f} s; "
      f"|d x / d v0| = {curves['ball x'][30]:.3f} at t = {times[30]:.2f} s")
"""),
    code("""
TUMBLE_STEPS = 200
tumble_world = sp.World(dt=0.01)
tumble_world.add_ground(friction=0.8)
tilt = 0.3  # rad, half the rotation angle about the axis (1, 1, 0) / sqrt(2)
tumble_world.add_box(half_extents=(0.2, 0.1, 0.05), mass=1.0, position=(0.0, 0.0, 0.6),
                     orientation=(np.cos(tilt), np.sin(tilt) / np.sqrt(2), np.sin(tilt) / np.sqrt(2), 0.0),
                     velocity=(1.0, 0.0, 0.0), angular_velocity=(2.0, 5.0, 0.0), restitution=0.5, friction=0.8)
tumble = tumble_world.build()
t_state = sp.symbolic_state(tumble)
_, t_trajectory = sp.rollout(tumble, t_state, TUMBLE_STEPS)
t_weights = sp.backend.tensor("weights", (TUMBLE_STEPS + 1, 1, 3), "float64")
t_loss = (t_weights * t_trajectory.position).sum()
t_fn = sp.compile([t_state.velocity, t_weights],
                  [t_loss, *sp.grad(t_loss, [t_state.velocity, t_state.angular_velocity]), t_trajectory.velocity])
t_v0 = tumble.initial_state().velocity


def jacobian_norm(t):
    \"\"\"Frobenius norm of d p(t) / d [v0, w0], the box's position at step t (3 x 6).\"\"\"
    total = 0.0
    for axis in range(3):
        w = np.zeros((TUMBLE_STEPS + 1, 1, 3))
        w[t, 0, axis] = 1.0
        _, g_v, g_w, _ = t_fn(t_v0, w)
        total += (g_v**2).sum() + (g_w**2).sum()
    return np.sqrt(total)


t_times = np.arange(TUMBLE_STEPS + 1) * tumble.dt
t_norms = np.array([jacobian_norm(t) for t in range(TUMBLE_STEPS + 1)])
box_contact = ground_pushes(t_fn(t_v0, np.zeros((TUMBLE_STEPS + 1, 1, 3)))[3][:, 0])
first = int(np.argmax(box_contact))
peak = int(np.argmax(t_norms))
print(f"tumbling box: first impact at t = {t_times[first]:.2f} s with norm {t_norms[first]:.2f}; "
      f"largest norm {t_norms[peak]:.1f} at t = {t_times[peak]:.2f} s ({t_norms[peak] / t_norms[first]:.0f}x); "
      f"at t = {t_times[-1]:.1f} s: {t_norms[-1]:.2f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4))
for name, norms in curves.items():
    left.semilogy(times[1:], norms[1:], label=f"|d {name}(t) / d v0|")
right.semilogy(t_times[1:], t_norms[1:], color="C3", label="|d p(t) / d [v0, w0]|")
for ax, contact, title in [(left, ball_contact, "sphere and box (this notebook's world)"),
                           (right, box_contact, "a box thrown tumbling")]:
    ax.fill_between(times if ax is left else t_times, 0, 1, where=contact, transform=ax.get_xaxis_transform(),
                    color="gray", alpha=0.25, label="ground pushes the body")
    ax.set(xlabel="t (s)", ylabel="gradient norm (s)", title=title)
    ax.legend(fontsize=8)
plt.show()
"""),
    md("""
## Forward vs forward + gradient on each backend

The same rollout (the ball's final x as the loss) compiled for each backend: compile time
(rewrites + code generation; "from cache": the function was found in the on-disk cache of
compiled functions, `SYMPHYS_CACHE_DIR`, from an earlier run), then the median of several
calls. JAX is traced and compiled by XLA at the first call, which is reported separately.
C and Numba are left out unless `RUN_C` or `RUN_NUMBA` is set: their cold compiles take minutes
(C about 3.5 min on 2 cores, Numba more). `tests/test_batch_backends.py` checks that they agree with JAX.
"""),
    code("""
final_x = final.position[BALL, 0]
forward_and_gradient = [final_x, sp.grad(final_x, state.velocity)]


def timed(outputs, backend, repeats=5):
    start = time.perf_counter()
    f = sp.compile([state.velocity], outputs, backend=backend)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    f(v0)
    first_s = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        f(v0)
        runs.append(time.perf_counter() - start)
    return f, compile_s, first_s, float(np.median(runs))


rows = ["| backend | graph | compile s | from cache | first call s | run ms | nodes after rewrites |",
        "|---|---|---|---|---|---|---|"]
functions = {}
for backend in BACKENDS:
    for name, outputs in [("forward", [final_x]), ("forward + gradient", forward_and_gradient)]:
        f, compile_s, first_s, run_s = timed(outputs, backend)
        functions[backend, name] = f
        rows.append(f"| {backend} | {name} | {compile_s:.1f} | {'yes' if f.from_cache else 'no'} | "
                    f"{first_s:.2f} | {run_s * 1e3:.2f} | "
                    f"{sp.graph_stats(f)['total']} |")
display(Markdown("\\n".join(rows)))
values = {key: f(v0) for key, f in functions.items()}
for key, (x, *g) in values.items():
    assert np.allclose(x, values["jax", "forward"][0], atol=1e-9), key
    if g:
        assert np.allclose(g[0], values["jax", "forward + gradient"][1], atol=1e-7), key
print("all backends agree on the loss and its gradient")
"""),
    md("""
## The XLA program

The JAX function is one XLA program: its size before (StableHLO operations) and after XLA's
optimization passes (HLO instructions). Both scans stay loops (`while`), so the program size does
not depend on the number of steps.
"""),
    code("""
for name in ("forward", "forward + gradient"):
    print(f"{name}: {graph.hlo_size(functions['jax', name], v0)}")
"""),
]


BALL_EXPERIMENT = [
    md("""
# The ball experiment: backpropagation vs CMA-ES

The paper's first experiment (`symphys_models/ball.py`): a ball of 1 m diameter (density 1000 kg/m^3,
friction 1, restitution 0.5) rests on the ground. Find its initial linear and angular velocity
(6 numbers) such that after 10 s it lies at rest 10 m away. Backpropagation: Gauss-Newton with a
trust region on the residuals (final position error, final velocities) with the exact Jacobian
from one reverse pass through the 1,000-step rollout. Baseline: CMA-ES on the same loss, one
batched rollout of its 10 candidates per generation. Here CMA-ES gets a reduced budget so the
notebook runs in well under a minute; set `FULL_BUDGET = True` for the budget of `symphys ball`.
"""),
    code("""
%matplotlib inline
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, Markdown, display

from symphys_models import ball

FULL_BUDGET = False
CMA_EVALUATIONS = 20000 if FULL_BUDGET else 1500  # rollouts
SEED = 0
"""),
    md("""
## Compile the rollouts

`BallProblem` compiles, on JAX, the residuals and their 9 x 6 Jacobian (one reverse pass over a
batch of 9 rollouts), the batched residuals of a CMA-ES generation and the trajectory of one
throw. Both methods share these compiled functions.
"""),
    code("""
problem = ball.BallProblem(backend="jax", cma_batch=10)
print(f"compiled in {problem.compile_seconds:.1f} s; {problem.steps} steps of {problem.model.dt} s per rollout")
u0 = np.zeros(6)  # the ball starts at rest
residual, jacobian = problem.residual_and_jacobian(u0)
print("residual at rest [position error (3), velocity (3), R * angular velocity (3)]:", np.round(residual, 3))
print("Jacobian (9 x 6):\\n", np.round(jacobian, 2))
"""),
    md("""
## Backpropagation
"""),
    code("""
gradient = ball.optimize_gradient(problem, u0, progress=False)
print(f"{gradient.iterations} iterations, {gradient.evaluations} rollouts, {gradient.wall_seconds:.2f} s; "
      f"position error {gradient.position_error:.1e} m, final speed {gradient.final_speed:.1e} m/s")
print("initial velocity (m/s):", np.round(gradient.initial_velocity[:3], 3),
      " angular velocity (rad/s):", np.round(gradient.initial_velocity[3:], 3))
assert gradient.converged
"""),
    md("""
## CMA-ES

Same start, same loss, population 10. With the notebook's reduced budget it usually stops short
of the tolerance; the README's table of `symphys ball` shows what it needs with the full budget.
"""),
    code("""
cmaes = ball.optimize_cmaes(problem, u0, max_evaluations=CMA_EVALUATIONS, seed=SEED, progress=False)
print(f"{cmaes.iterations} generations, {cmaes.evaluations} rollouts, {cmaes.wall_seconds:.2f} s; "
      f"position error {cmaes.position_error:.1e} m, final speed {cmaes.final_speed:.1e} m/s, "
      f"reached the tolerance: {cmaes.converged}")
"""),
    md("""
## Side by side

The table of `symphys ball`, then the loss (distance to the target + final speed) against the
number of rollouts simulated: each Gauss-Newton iteration costs 9 rollouts (one batched forward +
reverse pass), each CMA-ES generation 10.
"""),
    code("""
results = [gradient, cmaes]
display(Markdown(ball.report(results)))
fig, ax = plt.subplots(figsize=(8, 4))
for result, per_iteration in [(gradient, 9), (cmaes, problem.cma_batch)]:
    rollouts = per_iteration * np.arange(1, len(result.history) + 1)
    ax.loglog(rollouts, result.history, label=result.method)
ax.axhline(ball.POSITION_TOLERANCE + ball.SPEED_TOLERANCE, color="gray", lw=0.5, label="tolerance")
ax.set(xlabel="rollouts simulated", ylabel="distance + final speed", title="convergence per rollout")
ax.legend()
plt.show()
"""),
    md("""
The trajectories of both solutions (x-z side view) and the convergence per iteration, drawn by
`ball.plot` (the figure `symphys ball` saves):
"""),
    code("""
folder = os.path.join(tempfile.gettempdir(), "symphys-notebooks")
os.makedirs(folder, exist_ok=True)
path = ball.plot(problem, results, os.path.join(folder, "ball.png"))
display(Image(filename=path))
positions = problem.trajectory(gradient.initial_velocity)
print(f"gradient solution: final position {np.round(positions[-1], 4)} m, "
      f"moved {np.linalg.norm(positions[-1] - positions[-50]):.1e} m in the last 0.5 s")
"""),
]


SYSTEM_IDENTIFICATION = [
    md("""
# Bayesian system identification

Posteriors of a box's sliding friction and mass and a ball's restitution from observed trajectories,
with NUTS running through a symphys rollout: the physical parameters are PyMC random variables,
passed to `symphys.pymc.trajectory` as ordinary graph expressions, and NUTS uses the rollout's exact
symbolic gradient. The scene (`symphys_models/sysid.xml`): a box pushed by 20 N for 0.4 s slides to
rest, a ball falls from 1 m and bounces once; both observed for 0.9 s at 50 Hz with 2 mm noise. The
observations come from MuJoCo (another engine, same MJCF) when it is installed, else from symphys
with known parameters: the cell below says which. This notebook samples 4 chains x 500 draws;
`symphys sysid` samples 4 chains x 1,000.
"""),
    code("""
from symphys_models import sysid

scene = sysid.Scene(jacobian=False)
if sysid.mujoco_available():
    observations = sysid.mujoco_observations(seed=0)
else:
    observations = sysid.symphys_observations(scene, seed=0)
print(f"observations from {observations.source}"
      + ("" if observations.source != "symphys" else " (MuJoCo is not installed: known parameters)"))
print(f"{len(observations.times)} frames over {observations.times[-1]:.2f} s")
print("true values:", {k: round(v, 4) for k, v in observations.truth.items()})
"""),
    md("""
## The PyMC model

Weakly informative priors: friction ~ LogNormal(log 0.4, 0.5), restitution ~ Beta(2, 2), box mass ~
LogNormal(log 1.5, 0.5) kg, noise sigma ~ HalfNormal(1 cm). The likelihood's mean is the symphys
rollout: `sysid.pymc_model` calls `symphys.pymc.trajectory` with `pt.stack`s of the random variables.
nutpie samples it on the JAX-compiled logp and gradient, with a low-rank mass matrix (friction and
mass are correlated).
"""),
    code("""
model = sysid.pymc_model(scene.model, observations)
sampler = sysid.default_sampler()
posterior, wall = sysid.sample(model, draws=500, tune=500, chains=4, seed=1, sampler=sampler)
rows = sysid.summary(posterior, observations.truth)
print(f"NUTS ({sampler}): {wall:.0f} s, {sysid.divergences(posterior)} divergences")
for r in rows:
    truth = "" if r["truth"] is None else f", truth {r['truth']:.4g}"
    print(f"{r['name']:12s} mean {r['mean']:.4g}, 94% HDI [{r['low']:.4g}, {r['high']:.4g}]{truth}, "
          f"R-hat {r['rhat']:.3f}, ESS {r['ess']:.0f}")
assert max(r["rhat"] for r in rows) <= 1.01, "chains have not mixed"
assert sysid.divergences(posterior) == 0
"""),
    md("""
## Posterior and posterior predictive

With MuJoCo's data the friction comes out a few percent low and the mass a few percent high:
symphys integrates with semi-implicit Euler at 0.01 s (MuJoCo's reference runs at 0.002 s), which
puts a pushed body ahead by a dt t / 2; halving symphys's dt halves the bias (RESULTS.md,
"Bayesian system identification").
"""),
    code("""
import os
import tempfile

from IPython.display import Image, display

out = os.path.join(tempfile.gettempdir(), "symphys-notebooks")
os.makedirs(out, exist_ok=True)
corner, predictive = sysid.plot(scene, observations, posterior, out)
display(Image(corner, width=500))
display(Image(predictive))
"""),
]


def write(name, cells):
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"{pathlib.Path(name).stem[:2]}-{i:02d}"  # stable ids: regenerating changes nothing
    nbformat.validate(notebook)
    nbformat.write(notebook, HERE / name)


if __name__ == "__main__":
    write("01_graph_of_one_step.ipynb", GRAPH_OF_ONE_STEP)
    write("02_gradients_through_time.ipynb", GRADIENTS_THROUGH_TIME)
    write("03_ball_experiment.ipynb", BALL_EXPERIMENT)
    write("04_system_identification.ipynb", SYSTEM_IDENTIFICATION)
