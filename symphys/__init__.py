"""symphys: differentiable 3-D rigid-body physics as a symbolic graph.

The public names below load on first use (PEP 562), so that numpy-only parts
(``symphys.rotations``, ``symphys.viewer``) import without the graph library.
"""

from __future__ import annotations

import importlib
import importlib.util

from .version import __version__  # noqa: F401 (symphys.__version__)

# Public name -> the module (relative to this package) that defines it.
_SOURCES = {
    ".world": ("World", "Body", "Joint", "Motor"),
    ".model": ("JointType", "Model", "State", "Params", "Shape", "SolverOptions"),
    ".physics.step": ("step", "joint_angles", "joint_speeds"),
    ".physics.rollout": ("rollout", "check_finite", "NonFiniteStateError"),
    ".physics.simulate": ("simulate",),
    ".inputs": ("symbolic_state", "symbolic_params"),
    ".compiler": ("compile", "grad", "CompiledFunction"),
    ".saved": ("load_function", "SavedFunction"),
    ".inspect.graph": ("graph_stats",),
    ".inspect.draw": ("draw",),
    ".io.mjcf": ("load_mjcf", "MJCFError", "MJCFWarning"),
    ".io.urdf": ("load_urdf", "URDFError", "URDFWarning"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [name for names in _SOURCES.values() for name in names]


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        # A submodule used as an attribute (``sp.backend.pt``) before anything imported it.
        if name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module 'symphys' has no attribute {name!r}")
        return importlib.import_module(f".{name}", __name__)
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))
