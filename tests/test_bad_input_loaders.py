"""Bad arguments to load_urdf and load_mjcf (not bad files: test_urdf.py, test_mjcf.py and the mutations
of test_bad_input_fuzz.py): a ValueError naming the argument; the loaders' own errors (URDFError,
MJCFError) name the file as well.  Nothing here compiles."""

from pathlib import Path

import pytest

import symphys as sp

DATA = Path(__file__).parent / "data"
URDF = DATA / "pendulum.urdf"
MJCF = DATA / "pendulum.xml"

CASES = [
    (lambda: sp.load_urdf(URDF, fixed_base="no"), "fixed_base"), (lambda: sp.load_urdf(URDF, strict=1), "strict"),
    (lambda: sp.load_urdf(URDF, servo_gain="x"), "servo_gain"),
    (lambda: sp.load_urdf(URDF, servo_gain=-1), "servo_gain"),
    (lambda: sp.load_urdf(None), "source"), (lambda: sp.load_urdf(123), "source"),
    (lambda: sp.load_mjcf(3.5), "source"),
    (lambda: sp.load_urdf(URDF, dt=-1), f"{URDF}: dt"), (lambda: sp.load_urdf(URDF, gravity=-9.81), f"{URDF}: gravity"),
    (lambda: sp.load_urdf(URDF, iterations="ten"), f"{URDF}: iterations"),
    (lambda: sp.load_mjcf(MJCF, dtype=3), f"{MJCF}, line 2, <mujoco>: dtype"),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_loader_arguments(case):
    call, name = CASES[case]
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value).startswith(name), str(error.value)


@pytest.mark.parametrize("load", [sp.load_urdf, sp.load_mjcf])
def test_missing_file_is_a_file_not_found_error(load, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.xml"):
        load(tmp_path / "missing.xml")
