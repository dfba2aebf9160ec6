"""The package's import rules, checked on the sources' syntax trees: only symphys/backend.py
imports the graph library, and no module takes a private name from another module."""

import ast
import json
import pathlib

import pytest

import symphys as sp

ROOT = pathlib.Path(sp.__file__).resolve().parent.parent
PACKAGES = ("symphys", "symphys_models", "benchmarks")  # the code the import rules hold for


def python_sources(folders) -> dict:
    """{path relative to the repository: source} of every .py file under ``folders``."""
    return {str(path.relative_to(ROOT)): path.read_text()
            for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))}


GRAPH_LIBRARIES = ("pytensor", "aesara", "theano")


def graph_library_imports(source: str) -> list:
    """Modules of the graph libraries that Python ``source`` imports, however it does
    (import/from statements anywhere, importlib.import_module / __import__ of a literal)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")):
            names = [node.args[0].value]
        else:
            continue
        found += [name for name in names if name.split(".")[0] in GRAPH_LIBRARIES]
    return found


@pytest.mark.aesara
def test_only_backend_imports_the_graph_library():
    """symphys/backend.py is the only module that imports PyTensor or Aesara
    (the package, the models, benchmarks, tests and notebook code cells)."""
    sources = python_sources(PACKAGES + ("tests",))
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
            code = "".join(cell["source"])  # IPython magics and shell escapes are not Python
            code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())
            sources[f"{path.relative_to(ROOT)}[cell {i}]"] = code
    assert len(sources) > 20 and "symphys/backend.py" in sources
    offenders = {name: imports for name, source in sources.items() if name != "symphys/backend.py"
                 and (imports := graph_library_imports(source))}
    assert offenders == {}
    # The check itself sees every way of importing.
    assert graph_library_imports(sources["symphys/backend.py"])
    assert graph_library_imports("def f():\n    from aesara.tensor import dot\n") == ["aesara.tensor"]
    assert graph_library_imports("import importlib\nimportlib.import_module('pytensor.scan')") == ["pytensor.scan"]
    assert graph_library_imports("import numpy as np  # pytensor\nfrom . import backend") == []


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")  # dunders (__version__) are public


def private_imports(source: str, own: set) -> list:
    """The private names that Python ``source`` takes from other modules of ``own`` (top-level
    names of the project's packages and modules; relative imports are always own), as
    "line: name": ``from m import _f``, ``from m._impl import f``, ``import m._impl`` and
    ``m._f`` where ``m`` was imported."""
    found, imported = [], set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in own):
            module = "." * node.level + (node.module or "")
            names = [a.name for a in node.names]
            if any(is_private(part) for part in module.split(".")):
                found.append(f"{node.lineno}: {module}")
            found += [f"{node.lineno}: {module}.{name}" for name in names if is_private(name)]
            imported.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in own:
                    continue
                if any(is_private(part) for part in alias.name.split(".")):
                    found.append(f"{node.lineno}: {alias.name}")
                imported.add(alias.asname or alias.name.split(".")[0])
    found += [f"{node.lineno}: {node.value.id}.{node.attr}" for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id in imported and is_private(node.attr)]
    return found


def test_no_module_imports_a_private_name_from_another():
    sources = python_sources(PACKAGES)
    assert "symphys/backend.py" in sources
    offenders = {}
    for name, source in sources.items():
        folder = (ROOT / name).parent  # benchmarks import their neighbours by file name
        own = set(PACKAGES) | {path.stem for path in folder.glob("*.py")}
        if found := private_imports(source, own):
            offenders[name] = found
    assert offenders == {}
    # The check itself sees every way of taking a private name, and only those.
    own = {"symphys", "peers"}
    assert private_imports("from .solver import _sweep, solve\n", own) == ["1: .solver._sweep"]
    assert private_imports("from symphys._impl import f\nimport symphys._impl\n", own) == [
        "1: symphys._impl", "2: symphys._impl"]
    assert private_imports("from . import backend as B\nB._scan_mode('jax')\n", own) == ["2: B._scan_mode"]
    assert private_imports("import peers\npeers._ROBOTS\n", own) == ["2: peers._ROBOTS"]
    assert private_imports("import sys\nsys._getframe()\nfrom .version import __version__\n"
                           "class A:\n    def f(self):\n        return self._x\n", own) == []


def test_public_names_and_submodules_load_on_first_use():
    """symphys loads lazily (PEP 562): a fresh process reaches every public name and a submodule
    used as an attribute (``sp.backend.pt``), and an unknown name is an AttributeError."""
    import subprocess
    import sys

    code = ("import symphys as sp\n"
            "assert all(getattr(sp, name) is not None for name in sp.__all__)\n"
            "assert callable(sp.compile) and callable(sp.step) and sp.backend.pt is not None\n"
            "try:\n    sp.no_such_name\nexcept AttributeError:\n    print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "ok"
