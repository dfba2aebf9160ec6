"""symphys: differentiable 3-D rigid-body physics as a symbolic graph."""

from .compile import CompiledFunction, compile, grad, symbolic_params, symbolic_state
from .graph import draw, graph_stats
from .mjcf import MJCFError, MJCFWarning, load_mjcf
from .model import JointType, Model, Params, Shape, SolverOptions, State
from .rollout import NonFiniteStateError, check_finite, rollout
from .simulate import simulate
from .step import joint_angles, joint_speeds, step
from .urdf import URDFError, URDFWarning, load_urdf
from .world import Body, Joint, Motor, World

__version__ = "0.1.0"

__all__ = [
    "World", "Body", "Joint", "Motor", "JointType", "Model", "State", "Params", "Shape",
    "SolverOptions", "step", "rollout", "simulate", "symbolic_state", "symbolic_params", "compile",
    "grad", "joint_angles", "joint_speeds", "CompiledFunction", "check_finite", "NonFiniteStateError",
    "graph_stats", "draw",
    "load_mjcf", "load_urdf", "MJCFError", "MJCFWarning", "URDFError", "URDFWarning",
]
