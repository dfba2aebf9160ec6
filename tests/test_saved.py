"""Saved functions: CompiledFunction.save and load_function give the same numbers, in this process and in
another one that builds no graph; bad paths, files and arguments are refused with the argument's name."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import symphys as sp

STEPS = 40


@pytest.fixture(scope="module")
def bouncing_ball():
    """A 0.3 kg ball thrown at the ground: final state and the gradient of its final height with respect to
    its initial velocity (float64; a bounce at step ~15)."""
    world = sp.World()
    world.add_ground(restitution=0.5)
    world.add_sphere(radius=0.1, mass=0.3, position=(0, 0, 0.6))
    model = world.build()
    state = sp.symbolic_state(model, batch=2)
    final, _ = sp.rollout(model, state, steps=STEPS)
    height = final.position[:, 0, 2].sum()
    outputs = [height, sp.grad(height, state.velocity), final]
    return sp.compile([state.velocity], outputs, backend="jax")


def throws():
    return np.array([[[0.5, 0.0, -2.0]], [[-1.0, 0.3, 1.0]]])


def test_saved_function_gives_the_same_numbers_and_structure(bouncing_ball, tmp_path):
    path = tmp_path / "ball.npz"
    bouncing_ball.save(path)
    loaded = sp.load_function(path)
    expected, got = bouncing_ball(throws()), loaded(throws())
    assert type(got[2]) is type(expected[2])  # the final State comes back as a State
    for want, have in zip(sp.tree.flatten(expected)[0], sp.tree.flatten(got)[0]):
        assert have.dtype == want.dtype and have.shape == want.shape
        np.testing.assert_allclose(have, want, rtol=1e-12, atol=1e-14)
    # The gradient is not zero: the saved function is the exact gradient through the bounce.
    assert np.abs(got[1]).max() > 0.1


def test_another_process_loads_without_building_a_graph(bouncing_ball, tmp_path):
    path = tmp_path / "ball.npz"
    bouncing_ball.save(path)
    expected = bouncing_ball(throws())[0]
    script = (
        "import json, sys, numpy as np, symphys as sp\n"
        f"fn = sp.load_function({str(path)!r})\n"
        f"out = fn(np.array({throws().tolist()}))\n"
        "built = sorted(m for m in sys.modules if m.startswith(('symphys.physics', 'symphys.world')))\n"
        "print(json.dumps(dict(height=float(out[0]), built=built)))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env=dict(os.environ), check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["built"] == []  # no physics module was even imported
    assert report["height"] == pytest.approx(float(expected), rel=1e-12)


def test_save_takes_example_arguments_for_shapes_that_are_not_static(tmp_path):
    x = sp.backend.tensor("x", (None, 3), "float64")
    fn = sp.compile([x], [(x**2).sum(axis=1)], backend="jax")
    with pytest.raises(ValueError, match=r"inputs\[0\] \(x\) has no static shape.*example"):
        fn.save(tmp_path / "square.npz")
    fn.save(tmp_path / "square.npz", np.ones((4, 3)))
    loaded = sp.load_function(tmp_path / "square.npz")
    np.testing.assert_array_equal(loaded(np.arange(12.0).reshape(4, 3))[0], [5.0, 50.0, 149.0, 302.0])
    with pytest.raises(ValueError, match=r"inputs\[0\] \(x\) must have shape \(4, 3\), got \(2, 3\)"):
        loaded(np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected 1 arrays, got 2"):
        loaded(np.ones((4, 3)), np.ones((4, 3)))
    with pytest.raises(TypeError, match=r"inputs\[0\] \(x\) must be an array of numbers"):
        loaded("x")


def test_bad_paths_and_files_are_refused(bouncing_ball, tmp_path):
    with pytest.raises(TypeError, match="path must be a file path"):
        sp.load_function(3)
    with pytest.raises(ValueError, match="path: no saved function at"):
        sp.load_function(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="is a folder"):
        bouncing_ball.save(tmp_path)
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.ones(3))
    with pytest.raises(ValueError, match="is not a saved symphys function"):
        sp.load_function(other)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, meta=np.array(json.dumps(dict(format="other-1", n_defaults=0))), exported=np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="holds format 'other-1'"):
        sp.load_function(foreign)


def test_only_jax_functions_can_be_saved(tmp_path):
    x = sp.backend.tensor("x", (3,), "float64")
    fn = sp.compile([x], [(x**2).sum()], backend="c")
    with pytest.raises(ValueError, match="only functions compiled for backend='jax' can be saved"):
        fn.save(tmp_path / "c.npz")


def test_output_classes_outside_symphys_are_refused(bouncing_ball, tmp_path):
    """A file that names another package's class for its outputs is refused at load (nothing is imported)."""
    path = tmp_path / "ball.npz"
    bouncing_ball.save(path)
    with np.load(path) as archive:
        contents = {name: archive[name] for name in archive.files}
    meta = json.loads(str(contents["meta"]))
    meta["outputs"]["list"][2]["class"] = "subprocess:Popen"
    contents["meta"] = np.array(json.dumps(meta))
    np.savez(path, **contents)
    with pytest.raises(ValueError, match="'subprocess:Popen', which is not symphys's"):
        sp.load_function(path)
