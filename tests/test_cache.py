"""The on-disk cache of compiled functions: keys, eviction, trust (private folder, foreign pickles,
bad environment variables) and concurrent writers."""

import os
import pickle
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

import symphys as sp
from symphys.cache import CacheEntry, CacheWarning


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


# -- trust: the cache holds pickles, and loading a pickle can run code --------------------------
def doubler():
    """A small compiled function (no scan): x -> 2 x + 1 for x of shape (3,)."""
    x = sp.backend.tensor("x", (3,), "float64")
    return sp.compile([x], [2.0 * x + 1.0])


def test_cache_folder_is_created_private(tmp_path, monkeypatch):
    folder = tmp_path / "new" / "functions"
    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(folder))
    fn = doubler()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert fn.cache_path and os.path.dirname(fn.cache_path) == str(folder) and os.path.exists(fn.cache_path)
    assert doubler().from_cache


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_writable_folder_is_refused_with_a_warning_at_the_call(tmp_path, monkeypatch, mode):
    """A folder others may write to is not loaded from nor written to: a CacheWarning pointing at the
    user's call (this file), then the function compiles without the cache."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(folder))
    with pytest.warns(CacheWarning, match="writable by its group or by others") as record:
        fn = doubler()
    assert record[0].filename == __file__
    assert fn.cache_path is None and not fn.from_cache and list(folder.iterdir()) == []
    np.testing.assert_allclose(fn(np.ones(3))[0], 3.0)


def test_folder_of_another_user_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    try:
        os.chown(folder, os.getuid() + 1, -1)
    except PermissionError:
        pytest.skip("changing a folder's owner needs root")
    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(folder))
    with pytest.warns(CacheWarning, match="owned by another user"):
        fn = doubler()
    assert fn.cache_path is None


def test_a_foreign_pickle_at_the_key_is_not_used(tmp_path, monkeypatch):
    """A valid pickle of something else (a dict) where an entry should be: a warning, a fresh compile
    (no "'dict' object is not callable"), and the entry is valid again afterwards."""
    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(tmp_path))
    path = doubler().cache_path
    with open(path, "wb") as handle:
        pickle.dump({"not": "a function"}, handle)
    with pytest.warns(CacheWarning, match="not a symphys compiled function") as record:
        fn = doubler()
    assert record[0].filename == __file__ and not fn.from_cache
    np.testing.assert_allclose(fn(np.zeros(3))[0], 1.0)
    again = doubler()
    assert again.from_cache and again(np.ones(3))[0].tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize("variable, value", [("SYMPHYS_CACHE_MAX_MB", "lots"), ("SYMPHYS_CACHE_MAX_MB", "-5"),
                                             ("SYMPHYS_CACHE_MAX_MB", "nan"), ("SYMPHYS_CACHE_DIR", "FILE")])
def test_bad_cache_variables_are_named_before_compiling(tmp_path, monkeypatch, variable, value):
    a_file = tmp_path / "not_a_folder"
    a_file.write_text("")
    monkeypatch.setenv("SYMPHYS_CACHE_DIR", str(tmp_path / "functions"))
    monkeypatch.setenv(variable, str(a_file) if value == "FILE" else value)
    with pytest.raises(ValueError, match=variable):
        doubler()
    assert not (tmp_path / "functions").exists()


CONCURRENT_COMPILE = """
import sys, time
import numpy as np
import symphys as sp
while time.time() < float(sys.argv[1]):  # both processes start compiling at the same moment
    time.sleep(0.001)
x = sp.backend.tensor("x", (3,), "float64")
fn = sp.compile([x], [2.0 * x + 1.0])
assert fn(np.ones(3))[0].tolist() == [3.0, 3.0, 3.0]
print(fn.from_cache)
"""


def test_two_processes_compiling_the_same_function_leave_one_valid_entry(tmp_path):
    """Atomic writes (a temporary file renamed): two processes compiling one function at once both
    succeed, and the folder ends with one complete entry that a third compile loads."""
    env = dict(os.environ, SYMPHYS_CACHE_DIR=str(tmp_path))
    start = str(time.time() + 6.0)  # after both have imported symphys
    workers = [subprocess.Popen([sys.executable, "-c", CONCURRENT_COMPILE, start], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [worker.communicate(timeout=300) for worker in workers]
    for worker, (out, err) in zip(workers, results):
        assert worker.returncode == 0 and out.strip() in ("True", "False"), err
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".pkl"]  # no temporary file left
    entry = next(tmp_path.iterdir())
    with open(entry, "rb") as handle:
        assert isinstance(pickle.load(handle), CacheEntry)
    out = subprocess.run([sys.executable, "-c", CONCURRENT_COMPILE, "0"], env=env, text=True,
                         capture_output=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
