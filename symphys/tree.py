"""Flatten structures of graph variables (lists, tuples, State, Params) to leaves and back."""

from __future__ import annotations

import dataclasses


def flatten(obj):
    """Leaves and a rebuild function for variables nested in lists/tuples/dataclasses."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in dataclasses.fields(obj)]
        parts = [flatten(getattr(obj, n)) for n in names]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(values, parts=parts, names=names, cls=type(obj)):
            out, i = {}, 0
            for n, (ls, rb) in zip(names, parts):
                out[n] = rb(values[i:i + len(ls)])
                i += len(ls)
            return cls(**out)
        return leaves, rebuild
    if isinstance(obj, (list, tuple)):
        parts = [flatten(o) for o in obj]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(values, parts=parts, cls=type(obj)):
            out, i = [], 0
            for ls, rb in parts:
                out.append(rb(values[i:i + len(ls)]))
                i += len(ls)
            return cls(out)
        return leaves, rebuild
    return [obj], lambda values: values[0]
