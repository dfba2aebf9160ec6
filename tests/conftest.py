"""Shared fixtures: small scenes, compiled once per module."""

import os
import re
import zlib

import numpy as np
import pytest

# Each xdist worker of the Aesara lane compiles into its own Aesara compile dir: Aesara locks its
# compile dir while gcc runs, so two workers sharing one built one C module at a time (measured:
# 17.8 min of CPU in 16.4 min of wall on 2 cores).  Set before symphys imports Aesara.
if os.environ.get("SYMPHYS_GRAPH") == "aesara" and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["AESARA_FLAGS"] = re.sub(r"base_compiledir=[^,]+", rf"\g<0>-{os.environ['PYTEST_XDIST_WORKER']}",
                                        os.environ.get("AESARA_FLAGS", ""))

import symphys as sp  # noqa: E402
from symphys import backend as B  # noqa: E402

G = 9.81


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``backends(name, ...)`` where a named backend cannot
    compile rollouts under the selected graph library, saying why."""
    for item in items:
        for mark in item.iter_markers("backends"):
            for backend in mark.args:
                reason = B.backend_unavailable(backend)
                if reason:
                    item.add_marker(pytest.mark.skip(
                        reason=f"backend {backend!r} with SYMPHYS_GRAPH={B.GRAPH_LIBRARY}: {reason}"))


# method="newton" where the graph library has batched linear algebra (not Aesara), for parametrize.
NEWTON = pytest.param("newton", marks=pytest.mark.skipif(
    B.batched_linear_algebra_missing() is not None, reason=f"newton: {B.batched_linear_algebra_missing()}"))


def resting_scene(**solver):
    """A sphere and a box resting on the ground, plus a capsule lying on it."""
    world = sp.World(dt=0.01, **solver)
    world.add_ground(friction=0.8)
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0.1), name="ball")
    world.add_box(half_extents=(0.1, 0.2, 0.05), mass=2.0, position=(1, 0, 0.05), name="box")
    world.add_capsule(radius=0.05, length=0.3, mass=0.5, position=(2, 0, 0.05),
                      orientation=(np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0), name="capsule")
    return world.build()


@pytest.fixture
def rng(request):
    """A generator seeded by the test's own id: its draws do not depend on which tests ran before it
    on the same worker (a session-wide generator made them depend on xdist's scheduling)."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
