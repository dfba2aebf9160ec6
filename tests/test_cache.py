"""The on-disk cache of compiled functions: keys and eviction."""

import numpy as np

import symphys as sp


def test_compiled_function_cache_distinguishes_constants(tmp_path, monkeypatch):
    """Models differing only in a size share structure but not constants:
    the on-disk cache must not hand one the other's compiled function."""
    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(tmp_path))

    def drop(half_height):
        world = sp.World(dt=0.01)
        world.add_ground()
        world.add_box(half_extents=(0.1, 0.1, half_height), position=(0, 0, 0.3))
        model = world.build()
        state = sp.symbolic_state(model)
        final, _ = sp.rollout(model, state, steps=60)
        return sp.compile([state.position], [final.position[0, 2]]), model

    low, low_model = drop(0.05)
    high, high_model = drop(0.15)
    assert low.cache_path != high.cache_path
    again, _ = drop(0.05)
    assert again.from_cache and again.cache_path == low.cache_path
    (z_low,) = low(low_model.initial_state().position)
    (z_high,) = high(high_model.initial_state().position)
    assert abs(z_low - 0.05) < 2e-3 and abs(z_high - 0.15) < 2e-3
    assert again(low_model.initial_state().position)[0] == z_low


def test_compiled_function_cache_is_bounded(tmp_path, monkeypatch):
    """Least recently used entries are evicted beyond SYMPHYS_CACHE_MAX_MB."""
    import os
    import time

    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(tmp_path))
    stale = tmp_path / "jax-stale.pkl"
    stale.write_bytes(b"x" * 300_000)
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    monkeypatch.setenv("SYMPHYS_CACHE_MAX_MB", str(301_000 / 2**20))  # stale entry + 1 kB
    x = sp.backend.tensor("x", (3,), "float64")
    fn = sp.compile([x], [2.0 * x])
    assert fn.cache_path and os.path.exists(fn.cache_path)
    assert not stale.exists()
    np.testing.assert_allclose(fn(np.ones(3))[0], 2.0)
