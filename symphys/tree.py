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


def structure(obj):
    """A JSON-able description of the nesting of ``obj`` (as ``flatten`` walks it), for
    ``from_structure``: "leaf", {"list" or "tuple": [...]}, or {"class": "module:name", "fields": {...}}
    for a dataclass."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        return {"class": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {f.name: structure(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, (list, tuple)):
        return {"list" if isinstance(obj, list) else "tuple": [structure(o) for o in obj]}
    return "leaf"


def from_structure(description, values, resolve_class):
    """The nesting ``description`` (from ``structure``) filled with ``values`` in ``flatten``'s order.

    resolve_class: "module:name" -> the dataclass (the caller decides which classes it trusts)."""
    values = list(values)

    def build(node):
        if node == "leaf":
            return values.pop(0)
        if "class" in node:
            cls = resolve_class(node["class"])
            return cls(**{name: build(field) for name, field in node["fields"].items()})
        kind, items = next(iter(node.items()))
        built = [build(item) for item in items]
        return tuple(built) if kind == "tuple" else built

    result = build(description)
    if values:
        raise ValueError(f"{len(values)} values left over after filling the structure")
    return result


def count_leaves(description) -> int:
    """Number of leaves in a ``structure`` description."""
    if description == "leaf":
        return 1
    if "class" in description:
        return sum(count_leaves(field) for field in description["fields"].values())
    return sum(count_leaves(item) for item in next(iter(description.values())))
