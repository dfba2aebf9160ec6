"""Peer engines on the timing-table quadruped: MuJoCo C, MuJoCo MJX and Brax.

The same MJCF file as symphys's timing table (``symphys_models/timing_quadruped.xml``),
dt 0.01 s, 1,000 steps (10 s), float32 for the JAX engines, the same dense
controller (81 inputs -> 16 servo targets, no biases; 0.5 tanh outputs) reading
81 sensors of the same kind from each engine's own state (joint angles and
speeds, torso height, rotation, linear and angular velocity, feet positions
relative to the torso and heights, two clocks, a constant 1), the same loss
(distance the torso travels along x, mean over the batch) and its gradient
with respect to every weight.  MuJoCo C has no gradient: forward only, the
controller in numpy.  MJX runs 1 solver iteration and 1 line-search
iteration: its solver loop with more iterations is a while loop that JAX
cannot reverse-differentiate (PEERS.md).

Needs the ``[bench]`` extra (brax, mujoco-mjx); a missing engine is skipped
with its reason.

    python benchmarks/peers.py --batches 1 128
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import common
import numpy as np

JOINTS = 16
ENGINES = ("mujoco", "mjx", "brax")


def _mj_model():
    import mujoco

    return mujoco.MjModel.from_xml_path(common.MODEL_FILE)


def _body_ids(m):
    import mujoco

    return (mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "torso"),
            [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, name) for name in common.FEET])


def features(xp, qpos, qvel, xpos, torso_rot, foot_vel, torso, feet, time_s):
    """81 sensors (the same kinds as timing_table.sensors); xp is numpy or jax.numpy."""
    relative = (xpos[feet] - xpos[torso]).reshape(-1)
    w = 2 * np.pi * time_s
    return xp.concatenate([
        qpos[7:7 + JOINTS], qvel[6:6 + JOINTS], qpos[2:3], torso_rot.reshape(-1), qvel[0:3], qvel[3:6],
        relative, foot_vel.reshape(-1), xpos[feet, 2],
        xp.stack([xp.sin(1.5 * w), xp.cos(1.5 * w), xp.sin(3 * w), xp.cos(3 * w)]), xp.ones(1)])


def controller(xp, weights, x):
    for i, w in enumerate(weights):
        x = x @ w
        x = xp.maximum(x, 0.0) if i < len(weights) - 1 else common.TARGET_SCALE * xp.tanh(x)
    return x


# -- MuJoCo C (forward only) -------------------------------------------------
def mujoco_forward(weights, batch: int, steps: int):
    import mujoco

    m = _mj_model()
    torso, feet = _body_ids(m)
    datas = [mujoco.MjData(m) for _ in range(batch)]
    weights = [np.asarray(w, dtype=np.float64) for w in weights]
    start_x = [d.qpos[0] for d in datas]
    for t in range(steps):
        for d in datas:
            foot_vel = np.stack([d.cvel[f, 3:] for f in feet])  # velocity-ish sensor (com-based, cheap)
            x = features(np, d.qpos, d.qvel, d.xpos, d.xmat[torso], foot_vel, torso, feet, t * m.opt.timestep)
            d.ctrl[:] = controller(np, weights, x)
            mujoco.mj_step(m, d)
    return float(np.mean([d.qpos[0] - x0 for d, x0 in zip(datas, start_x)]))


# -- MJX -------------------------------------------------------------------
def mjx_function(batch: int, steps: int, gradient: bool):
    import jax
    import jax.numpy as jnp
    import mujoco
    from mujoco import mjx

    m = _mj_model()
    m.opt.iterations = 1
    m.opt.ls_iterations = 1
    torso, feet = _body_ids(m)
    mx = mjx.put_model(m)
    d0 = mjx.put_data(m, mujoco.MjData(m))
    dt = m.opt.timestep

    def rollout(weights, world):
        # 0 * world: every world starts alike, but vmap sees a batched state (a rollout that does
        # not depend on the batch index would be computed once and broadcast).
        d = d0.replace(qpos=d0.qpos.at[0].add(0.0 * world))

        def one(d, t):
            foot_vel = d.cvel[jnp.array(feet), 3:]
            x = features(jnp, d.qpos, d.qvel, d.xpos, d.xmat[torso], foot_vel, torso, jnp.array(feet), t * dt)
            d = d.replace(ctrl=controller(jnp, weights, x))
            return mjx.step(mx, d), None

        final, _ = jax.lax.scan(one, d, jnp.arange(steps, dtype=jnp.float32))
        return final.qpos[0] - d.qpos[0]

    return _compiled_loss(rollout, batch, gradient)


# -- Brax (generalized pipeline) ---------------------------------------------
def brax_function(batch: int, steps: int, gradient: bool):
    import jax
    import jax.numpy as jnp
    import mujoco
    from brax.generalized import pipeline
    from brax.io import mjcf

    from symphys.rotations import quat_matrix_rows

    m = _mj_model()
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER  # the only integrator Brax takes
    sys_ = mjcf.load_model(m)
    torso, feet = _body_ids(m)
    # Brax's link indices skip the world body.
    torso_link, feet_links = torso - 1, jnp.array([f - 1 for f in feet])
    dt = float(sys_.opt.timestep)

    def rollout(weights, world):
        q0 = sys_.init_q.at[0].add(0.0 * world)  # batched for vmap, the same start (see mjx_function)
        state = pipeline.init(sys_, q0, jnp.zeros(sys_.qd_size()))

        def one(state, t):
            rot = jnp.array(quat_matrix_rows(*state.x.rot[torso_link]))
            x = features(jnp, state.q, state.qd, state.x.pos, rot, state.xd.vel[feet_links], torso_link,
                         feet_links, t * dt)
            return pipeline.step(sys_, state, controller(jnp, weights, x)), None

        final, _ = jax.lax.scan(one, state, jnp.arange(steps, dtype=jnp.float32))
        return final.q[0] - q0[0]

    return _compiled_loss(rollout, batch, gradient)


def _compiled_loss(rollout, batch: int, gradient: bool):
    """jit of the mean over ``batch`` worlds of rollout(weights, world index) (and its gradient)."""
    import jax
    import jax.numpy as jnp

    def loss(weights):
        if batch == 1:
            return rollout(weights, 0.0)
        return jnp.mean(jax.vmap(lambda world: rollout(weights, world))(jnp.arange(batch, dtype=jnp.float32)))

    return jax.jit(jax.value_and_grad(loss) if gradient else loss)


def measure(engine: str, controller_name: str, batch: int, gradient: bool, steps: int) -> dict:
    sizes = common.CONTROLLERS[controller_name]
    weights = common.init_weights(sizes, "float32")
    row = dict(engine=engine, controller=controller_name, weights=common.n_weights(sizes), batch=batch,
               gradient=gradient, steps=steps)
    if engine == "mujoco":
        start = time.perf_counter()
        distance = mujoco_forward(weights, batch, steps)
        run = time.perf_counter() - start
        return dict(row, compile_s=0.0, run_s=run, seconds_per_10s=run * common.STEPS / steps, distance=distance,
                    grad_norm=None, finite=bool(np.isfinite(distance)))
    import jax

    # JAX's default, float64 off, as the engines' users run them: symphys keeps it on in its process
    # (when the timing table runs the peers) and turns it off only for its own float32 functions.
    with jax.enable_x64(False):
        fn = (mjx_function if engine == "mjx" else brax_function)(batch, steps, gradient)
        # jit compiles at the first call: that call's time is the compile time.
        best, out, compile_s = common.time_calls(lambda w: jax.block_until_ready(fn(w)),
                                                 [[jax.numpy.asarray(w) for w in weights]])
    distance = float(out[0] if gradient else out)
    grad_norm = float(np.sqrt(sum(float(np.sum(np.square(np.asarray(g)))) for g in out[1]))) if gradient else None
    finite = bool(np.isfinite(distance) and (grad_norm is None or np.isfinite(grad_norm)))
    return dict(row, compile_s=compile_s, run_s=best, seconds_per_10s=best * common.STEPS / steps, distance=distance,
                grad_norm=grad_norm, finite=finite)


def available(engine: str) -> str | None:
    """None if the engine imports, else why not."""
    try:
        if engine == "mujoco":
            import mujoco  # noqa: F401
        elif engine == "mjx":
            from mujoco import mjx  # noqa: F401
        else:
            import brax  # noqa: F401
    except ImportError as error:
        return f"{engine}: {error} (pip install -e '.[bench]')"
    return None


def plan(engines, batches, controllers, short_steps, steps=common.STEPS):
    rows = []
    for engine in engines:
        for batch in batches:
            for controller_name in controllers:
                for gradient in ((False,) if engine == "mujoco" else (False, True)):
                    rows.append((engine, controller_name, batch, gradient, short_steps if batch > 1 else steps))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 128])
    parser.add_argument("--controllers", nargs="+", default=["small"], choices=list(common.CONTROLLERS))
    parser.add_argument("--steps", type=int, default=common.STEPS, help="steps of the batch-1 rows (default 1,000)")
    parser.add_argument("--short-steps", type=int, default=100, help="steps timed (then scaled) at batch > 1")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    skipped = []
    for engine in args.engines:
        reason = available(engine)
        if reason:
            skipped.append(reason)
            print("skipped:", reason, file=sys.stderr)
    engines = [e for e in args.engines if available(e) is None]
    rows = plan(engines, args.batches, args.controllers, args.short_steps, args.steps)
    failures = []
    results = common.measure_rows(rows, measure, common.row_label, "peers", failures)
    skipped += [f"{message} (row failed)" for message in failures]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=results, skipped=skipped), f, indent=1)
    return results, skipped


if __name__ == "__main__":
    main()
