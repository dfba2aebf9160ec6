#!/usr/bin/env python3
"""Print the requirements of the Aesara environment, one per line, from setup.cfg.

Aesara needs numpy < 2 and PyTensor 3 (like JAX >= 0.7) needs numpy >= 2, so
``pip install symphys[aesara]`` cannot work: the Aesara environment installs
symphys with ``--no-deps`` and then this list: ``install_requires`` without
PyTensor and JAX, the ``[aesara]`` extra's pins in place of the same
packages' (numpy, scipy, numba), and the test runner from ``[dev]``.
``make venv-aesara`` / ``make test-aesara`` use it; setup.cfg stays the
only place where versions are written.
"""

import configparser
import pathlib
import re

NUMPY2_ONLY = {"pytensor", "jax", "jaxlib"}  # no release of these works with numpy < 2
TEST_TOOLS = {"pytest", "pytest-xdist"}  # from [dev]; the rest of [dev] is not needed by the lane


def name_of(requirement: str) -> str:
    return re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement).group(1).lower().replace("_", "-")


def lines(value: str) -> list:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def requirements(setup_cfg: pathlib.Path) -> list:
    config = configparser.ConfigParser()
    config.read(setup_cfg)
    base = lines(config["options"]["install_requires"])
    extras = config["options.extras_require"]
    aesara = lines(extras["aesara"])
    replaced = {name_of(r) for r in aesara} | NUMPY2_ONLY
    tools = [r for r in lines(extras["dev"]) if name_of(r) in TEST_TOOLS]
    return [r for r in base if name_of(r) not in replaced] + aesara + tools


if __name__ == "__main__":
    print("\n".join(requirements(pathlib.Path(__file__).resolve().parent.parent / "setup.cfg")))
