"""symphys: differentiable 3-D rigid-body physics as a symbolic graph."""

from .compile import CompiledFunction, compile, grad
from .inputs import symbolic_params, symbolic_state
from .inspect.draw import draw
from .inspect.graph import graph_stats
from .io.mjcf import MJCFError, MJCFWarning, load_mjcf
from .io.urdf import URDFError, URDFWarning, load_urdf
from .model import JointType, Model, Params, Shape, SolverOptions, State
from .physics.rollout import NonFiniteStateError, check_finite, rollout
from .physics.simulate import simulate
from .physics.step import joint_angles, joint_speeds, step
from .version import __version__  # noqa: F401 (symphys.__version__)
from .world import Body, Joint, Motor, World

__all__ = [
    "World", "Body", "Joint", "Motor", "JointType", "Model", "State", "Params", "Shape",
    "SolverOptions", "step", "rollout", "simulate", "symbolic_state", "symbolic_params", "compile",
    "grad", "joint_angles", "joint_speeds", "CompiledFunction", "check_finite", "NonFiniteStateError",
    "graph_stats", "draw",
    "load_mjcf", "load_urdf", "MJCFError", "MJCFWarning", "URDFError", "URDFWarning",
]
