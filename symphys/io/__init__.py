"""Model files to a :class:`~symphys.world.World`: MJCF (MuJoCo's XML) and URDF
(ROS's robot description), both read with the XML toolkit of ``io.xml``."""

from .mjcf import MJCFError, MJCFWarning, load_mjcf
from .urdf import URDFError, URDFWarning, load_urdf

__all__ = ["load_mjcf", "load_urdf", "MJCFError", "MJCFWarning", "URDFError", "URDFWarning"]
