"""The timing-table quadruped (symphys_models/timing_quadruped.xml) and its controller: what the benchmark times.

The benchmark's figures mean something only if the model stands, the
controllers have the paper's weight counts and the sensors are what they say.
"""

import os
import sys

import numpy as np
import pytest

import symphys as sp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import common  # noqa: E402
import timing_table  # noqa: E402


def test_controllers_have_the_papers_weight_counts():
    assert common.n_weights(common.CONTROLLERS["small"]) == 1296
    assert common.n_weights(common.CONTROLLERS["large"]) == 1147904


@pytest.fixture(scope="module")
def standing():
    """2 s with every servo holding 0 rad (colored Gauss-Seidel, float64)."""
    model = timing_table.load_model("float64")
    return model, sp.simulate(model, model.initial_state(), steps=200)


def test_model_is_the_documented_robot(standing):
    model, _ = standing
    assert (model.n_bodies, model.n_motors) == (17, 16)
    assert model.body_mass.sum() == pytest.approx(21 + 4 * (0.3 + 1.1 + 0.825 + 0.2))
    assert model.solver_method == "gauss_seidel" and model.dt == 0.01


def test_quadruped_stands_with_servos_holding(standing):
    model, trajectory = standing
    torso = model.body_index("torso")
    height = np.asarray(trajectory.position)[:, torso, 2]
    # Starts with the torso's centre at 0.485 m; soft contacts and joints settle it by ~2 cm.
    assert height[-1] == pytest.approx(0.485, abs=0.03)
    assert np.abs(np.asarray(trajectory.velocity)[-50:]).max() < 0.05  # m/s over the last 0.5 s
    feet = [model.body_index(name) for name in common.FEET]
    assert np.abs(np.asarray(trajectory.position)[-1, feet, :2] - model.init_position[feet, :2]).max() < 0.01


def test_sensors_are_81_and_read_the_state():
    model = timing_table.load_model("float64")
    state = sp.symbolic_state(model, batch=2)
    step = sp.backend.tensor("step", (), "int64")
    fn = sp.compile([state.position, step], timing_table.sensors(model, state, step), "jax")
    position = model.initial_state(2).position.copy()
    position[1, :, 2] += 0.1  # world 1 lifted 10 cm
    x = np.asarray(fn(position, np.int64(50)))  # t = 0.5 s
    assert x.shape == (2, 81)
    torso_height = x[:, 32]
    np.testing.assert_allclose(torso_height, [0.485, 0.585], rtol=1e-6)
    np.testing.assert_allclose(x[:, 33:42], np.eye(3).reshape(1, 9).repeat(2, 0), atol=1e-6)  # upright
    np.testing.assert_allclose(x[0, 76:80], [np.sin(1.5 * np.pi), np.cos(1.5 * np.pi), np.sin(3 * np.pi),
                                             np.cos(3 * np.pi)], atol=1e-5)
    assert np.all(x[:, 80] == 1.0) and np.all(x[:, :32] == 0.0)  # joints at rest at their zero angles


def test_mujoco_reads_the_same_file():
    mujoco = pytest.importorskip("mujoco")
    m = mujoco.MjModel.from_xml_path(common.MODEL_FILE)
    ours = timing_table.load_model("float64")
    assert (m.nbody - 1, m.nu) == (ours.n_bodies, ours.n_motors)
    np.testing.assert_allclose(np.sort(m.body_mass[1:]), np.sort(ours.body_mass), rtol=1e-6)


def test_float32_and_float64_models_run_in_one_process_in_either_order():
    """A hinged pendulum simulated in float32 and float64 in one process, in both orders: each runs in
    its own precision.  (PyTensor's JAX dispatch sets JAX's float64 flag when first imported; before
    session 17 a float64 model after a float32 one was refused, and a float32 model with joints after a
    float64 one failed to trace: its scan carry turned float64.)"""
    import json
    import subprocess

    script = (
        "import json, sys, numpy as np, symphys as sp\n"
        "def swing(dtype):\n"
        "    world = sp.World(dt=0.01, dtype=dtype)\n"
        "    bob = world.add_box(half_extents=(0.05, 0.05, 0.05), mass=1.0, position=(0, 0.3, -0.4))\n"
        "    world.add_hinge(None, bob, anchor=(0, 0, 0), axis=(1, 0, 0))\n"
        "    model = world.build()\n"
        "    return np.asarray(sp.simulate(model, model.initial_state(), steps=100, backend='jax').position)\n"
        "out = {dtype: swing(dtype) for dtype in sys.argv[1:]}\n"
        "print(json.dumps({d: [str(p.dtype), p[-1, 0].tolist()] for d, p in out.items()}))\n"
    )
    env = dict(os.environ, SYMPHYS_CACHE_DIR="")  # compile in the child, not from the cache
    runs = []
    for order in (("float32", "float64"), ("float64", "float32")):
        done = subprocess.run([sys.executable, "-c", script, *order], capture_output=True, text=True, env=env)
        assert done.returncode == 0, f"{order}: {done.stderr[-2000:]}"
        runs.append(json.loads(done.stdout.splitlines()[-1]))
    for run in runs:
        assert [run[d][0] for d in ("float32", "float64")] == ["float32", "float64"]
    double = np.array(runs[0]["float64"][1])
    assert np.abs(double - [0, 0.3, -0.4]).max() > 0.05  # it swung
    np.testing.assert_array_equal(runs[1]["float64"][1], double)  # float64 in both orders, to the bit
    np.testing.assert_allclose(runs[0]["float32"][1], double, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(runs[1]["float32"][1], runs[0]["float32"][1])
