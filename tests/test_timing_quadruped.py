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
    """2 s with every servo holding 0 rad (colored Gauss-Seidel; float64: a float32 model first would
    turn JAX's float64 off for this test process, see the last test)."""
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


def test_float64_after_a_float32_function_is_refused_not_silently_float32():
    """PyTensor's JAX dispatch, first imported under floatX=float32, turns JAX's float64 off
    for the process; a float64 model compiled after it must say so, not run in float32."""
    import subprocess

    script = (
        "import numpy as np, symphys as sp\n"
        "def fall(dtype):\n"
        "    world = sp.World(dt=0.01, dtype=dtype)\n"
        "    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 1))\n"
        "    model = world.build()\n"
        "    return np.asarray(sp.simulate(model, model.initial_state(), steps=3, backend='jax').position)\n"
        "assert fall('float32').dtype == np.float32\n"
        "try:\n"
        "    fall('float64')\n"
        "except RuntimeError as error:\n"
        "    print('refused:', error)\n"
    )
    env = dict(os.environ, SYMPHYS_CACHE_DIR="")  # compile in the child, not from the cache
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.startswith("refused:") and "separate processes" in out.stdout
