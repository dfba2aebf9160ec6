"""An MJCF element's attributes: the check that each one is read, and the
``<default>`` classes (``class``, ``childclass``) resolved as MuJoCo does."""

from __future__ import annotations

from .xml import Node

COSMETIC = {"name", "class", "rgba", "material", "group", "user"}
DEFAULTED = ("geom", "joint", "position", "velocity", "motor", "general")  # elements a default class sets


def check_attributes(node: Node, known, approximated=(), ignored=(), attrib=None):
    """Raise for an attribute that is neither read, cosmetic, ignored nor approximated (warned elsewhere)."""
    for name in (node.attrib if attrib is None else attrib):
        if not (name in known or name in COSMETIC or name in ignored or name in approximated):
            raise node.error(f"not supported by symphys (element <{node.tag}>)", name)


class Defaults:
    """The default classes of a file: class name -> {element tag: attributes}."""

    def __init__(self):
        self.classes: dict[str, dict] = {}

    def read(self, node: Node, name: str, inherited: dict):
        """Read a ``<default>`` element and its nested classes; ``name`` and ``inherited``
        are its parent's class name and attributes."""
        check_attributes(node, {"class"})
        if node.parent is not None and node.parent.tag == "default":
            if "class" not in node.attrib:
                raise node.error("a nested default needs a class name", "class")
            name = node.attrib["class"]
        else:
            name = node.attrib.get("class", name)
        if name in self.classes:
            raise node.error(f"default class {name!r} is defined twice", "class")
        own = {tag: dict(attrib) for tag, attrib in inherited.items()}
        for child in node.children:
            if child.tag in DEFAULTED:
                own.setdefault(child.tag, {}).update(child.attrib)
            elif child.tag != "default":
                pass  # site, camera, light, mesh, material, ...: nothing of the dynamics
        self.classes[name] = own
        for child in node.find("default"):
            self.read(child, name, own)

    def childclass(self, node: Node, inherited: str | None) -> str | None:
        """The childclass a body or frame passes to its contents: its own, or ``inherited``."""
        childclass = node.attrib.get("childclass", inherited)
        if childclass is not None and childclass not in self.classes:
            raise node.error(f"unknown default class {childclass!r}", "childclass")
        return childclass

    def attributes(self, node: Node, childclass: str | None) -> dict:
        """The element's attributes over those of its default class."""
        name = node.attrib.get("class", childclass or "main")
        if name not in self.classes and name != "main":
            raise node.error(f"unknown default class {name!r}", "class")
        merged = dict(self.classes.get(name, {}).get(node.tag, {}))
        merged.update(node.attrib)
        merged.pop("class", None)
        return merged
