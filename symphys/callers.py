"""Where a warning should point: the first stack frame outside the symphys package (the user's call)."""

from __future__ import annotations

import os
import sys

SYMPHYS_DIR = os.path.dirname(os.path.abspath(__file__))


def caller_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` (called by the caller of this function) that makes the
    warning point at the first caller outside symphys."""
    frame, level = sys._getframe(1), 1  # level 1: the function that calls warnings.warn
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(SYMPHYS_DIR + os.sep):
        frame, level = frame.f_back, level + 1
    return level


__all__ = ["caller_stacklevel", "SYMPHYS_DIR"]
