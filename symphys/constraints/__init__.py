"""Constraint rows: each module turns (model, kinematics) into Rows for the solver."""

from .rows import Rows, concatenate_rows

__all__ = ["Rows", "concatenate_rows"]
