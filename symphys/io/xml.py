"""The model loaders' toolkit: XML elements that remember their lines, checked
numbers read from attributes, poses (:class:`Frame`) that elements compose, and
the reporting of what a loader approximates (a warning, or an error when strict).

Every error names the file, line and element (and the attribute) it is about,
as the loader's own exception class (MJCFError, URDFError).
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from contextlib import contextmanager
from xml.parsers import expat

import numpy as np

from ..callers import caller_stacklevel
from ..rotations import quat_multiply, quat_to_matrix

IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


@dataclasses.dataclass(eq=False)
class Node:
    """One XML element with its source line (stdlib ElementTree keeps no lines);
    ``error_type`` is the exception class of the loader that read it."""

    tag: str
    attrib: dict
    line: int
    source: str
    parent: Node | None = None
    children: list = dataclasses.field(default_factory=list)
    error_type: type = ValueError

    def where(self) -> str:
        name = self.attrib.get("name")
        label = f'<{self.tag} name="{name}">' if name else f"<{self.tag}>"
        return f"{self.source}, line {self.line}, {label}"

    def error(self, message: str, attribute: str | None = None) -> ValueError:
        what = f"attribute {attribute!r}: " if attribute else ""
        return self.error_type(f"{self.where()}: {what}{message}")

    def find(self, tag: str) -> list:
        return [c for c in self.children if c.tag == tag]


def read_source(source) -> tuple[str, str]:
    """(text, label) of a path, or of XML given as a string or bytes."""
    if isinstance(source, bytes):
        return source.decode(), "<string>"
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return source, "<string>"
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8") as f:
            return f.read(), os.fspath(source)
    raise ValueError(f"source must be a path or an XML string, got {type(source).__name__}")


def parse_xml(text: str, label: str, error: type) -> Node:
    """Parse XML text into Nodes that remember their lines and raise ``error``;
    malformed XML raises ``error``."""
    parser = expat.ParserCreate()
    stack: list[Node] = []
    roots: list[Node] = []

    def start(tag, attrib):
        node = Node(tag, dict(attrib), parser.CurrentLineNumber, label, stack[-1] if stack else None,
                    error_type=error)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    try:
        parser.Parse(text, True)
    except expat.ExpatError as e:
        raise error(f"{label}, line {e.lineno}: malformed XML: {expat.ErrorString(e.code)}") from None
    return roots[0]


def numbers(node: Node, attribute: str, attrib: dict | None = None, counts=None) -> np.ndarray | None:
    """Finite numbers of an attribute (None if absent); ``counts`` allowed lengths."""
    attrib = node.attrib if attrib is None else attrib
    if attribute not in attrib:
        return None
    text = attrib[attribute]
    try:
        values = np.array([float(x) for x in text.split()], dtype=float)
    except ValueError:
        raise node.error(f"malformed number in {text!r}", attribute) from None
    if not np.all(np.isfinite(values)):
        raise node.error(f"numbers must be finite, got {text!r}", attribute)
    if counts is not None and len(values) not in counts:
        wanted = " or ".join(str(c) for c in counts)
        raise node.error(f"expected {wanted} numbers, got {len(values)} in {text!r}", attribute)
    return values


def choice(node: Node, attribute: str, allowed: tuple, default: str, attrib: dict | None = None) -> str:
    """An attribute's keyword, one of ``allowed`` (``default`` if absent)."""
    value = (node.attrib if attrib is None else attrib).get(attribute, default)
    if value not in allowed:
        raise node.error(f"expected one of {', '.join(allowed)}, got {value!r}", attribute)
    return value


@dataclasses.dataclass(frozen=True)
class Frame:
    """A pose: position (m) and unit quaternion (w, x, y, z), parent to world."""

    position: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(3))
    orientation: np.ndarray = dataclasses.field(default_factory=lambda: IDENTITY.copy())

    def compose(self, local: Frame) -> Frame:
        return Frame(self.point(local.position), quat_multiply(self.orientation, local.orientation))

    def point(self, p) -> np.ndarray:
        return self.position + quat_to_matrix(self.orientation) @ np.asarray(p, dtype=float)

    def vector(self, v) -> np.ndarray:
        return quat_to_matrix(self.orientation) @ np.asarray(v, dtype=float)


class Reporter:
    """How a loader reports: what it approximates warns with ``warning`` (raises
    with ``strict``); a World ValueError is re-raised naming the element."""

    def __init__(self, strict: bool, warning: type, error: type):
        self.strict = strict
        self.warning = warning
        self.error = error

    def approximate(self, node: Node, message: str, attribute: str | None = None):
        if self.strict:
            raise node.error(message + " (strict=True)", attribute)
        what = f"attribute {attribute!r}: " if attribute else ""
        warnings.warn(f"{node.where()}: {what}{message}", self.warning, stacklevel=caller_stacklevel())

    @contextmanager
    def at(self, node: Node):
        """Re-raise a World ValueError with the element and line where it arose."""
        try:
            yield
        except self.error:
            raise
        except ValueError as e:
            raise node.error(str(e)) from None
