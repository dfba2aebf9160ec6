"""compile: inputs without defaults and unsupported backends are refused before compiling."""

import pytest

import symphys as sp


def world_with_ground():
    world = sp.World()
    world.add_ground()
    return world


def test_compile_names_missing_input():
    world = world_with_ground()
    world.add_sphere(radius=0.1)
    world.build()
    free = sp.backend.tensor("mystery", (), "float64")
    with pytest.raises(ValueError, match="mystery"):
        sp.compile([], [free * 2.0])


@pytest.mark.aesara
def test_backend_is_checked_before_compiling():
    """Unknown backends raise; under Aesara, JAX refuses rollouts and their gradients
    (Aesara's JAX backend cannot translate scan) before anything is compiled."""
    world = world_with_ground()
    world.add_sphere(radius=0.1, position=(0, 0, 0.5))
    model = world.build()
    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, steps=3)
    loss = final.position[0, 2]
    with pytest.raises(ValueError, match="backend must be one of"):
        sp.compile([state.velocity], [loss], backend="cuda")
    with pytest.raises(ValueError, match="backend must be one of"):
        sp.simulate(model, steps=3, backend="C")
    gradient = sp.grad(loss, state.velocity)
    if sp.backend.GRAPH_LIBRARY == "aesara":
        assert sp.backend.DEFAULT_BACKEND == "c"
        with pytest.raises(ValueError, match="backend='jax' cannot compile gradients through scan .*"
                                             "SYMPHYS_GRAPH=aesara.*backend='c'"):
            sp.compile([state.velocity], [loss, gradient], backend="jax")
        with pytest.raises(ValueError, match="backend='jax' cannot compile scans"):
            sp.compile([state.velocity], [loss], backend="jax")
        assert sp.backend.backend_unavailable("jax") and sp.backend.backend_unavailable("c") is None
        # Without a scan, JAX compiles under Aesara too, if installed (the lane's venv has none).
        x = sp.backend.tensor("x", (3,), "float64")
        missing = sp.backend.backend_unavailable("jax", scans=False)
        if missing is None:
            assert sp.backend.check_supported([(x**2).sum()], "jax") == "jax"
        else:
            with pytest.raises(ValueError, match=missing):
                sp.compile([x], [(x**2).sum()], backend="jax")
    else:
        assert sp.backend.DEFAULT_BACKEND == "jax"
        assert sp.backend.check_supported([loss, gradient], "jax") == "jax"
        assert sp.backend.check_supported([loss, gradient], None) == "jax"
        assert all(sp.backend.backend_unavailable(b) is None for b in sp.backend.BACKENDS)
