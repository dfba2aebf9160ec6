"""Compiled functions saved to a file, and loaded in another process without building their graph.

``CompiledFunction.save(path)`` exports a JAX-compiled function with ``jax.export``: its
computation as serialized StableHLO, with what a call needs beside it (the exposed inputs'
names, shapes and dtypes, the hidden inputs' default values, the outputs' structure).
``load_function(path)`` reads it back: no graph is built, rewritten or traced, and XLA's
compiled code comes from JAX's persistent compilation cache (SYMPHYS_JAX_CACHE), which
``save`` fills.  That is what makes a second process start in seconds: building a rollout's
graph and its gradient alone takes longer (benchmarks/compile_time.py).

The file is a NumPy ``.npz`` archive without pickles, so loading one runs no code from it.
A saved function is a snapshot: it keeps the model, the controller's structure, the number of
steps and the shapes it was saved with, whatever the code that built it later becomes.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os

import numpy as np

from . import checks
from .tree import count_leaves, from_structure

FORMAT = "symphys-saved-function-1"


def save(compiled, path, arguments=None) -> None:
    """Write ``compiled`` (a CompiledFunction on the JAX backend) to ``path`` (an .npz file).

    arguments: example arguments, needed only where an input's shape is not static (they fix it).
    Also compiles the saved computation into JAX's persistent cache (one XLA compile), so that the
    next process that loads it does not compile.
    """
    from . import backend as B

    if compiled.backend != "jax":
        raise ValueError(f"save: only functions compiled for backend='jax' can be saved, this one is for "
                         f"{compiled.backend!r}; compile it with backend='jax'")
    path = _checked_path(path, "path")
    shapes = _input_shapes(compiled, arguments)
    import jax
    from jax import export

    B.configure_jax()
    specs = [jax.ShapeDtypeStruct(shape, var.dtype) for shape, var in zip(shapes, compiled.inputs)]
    # Hidden inputs are saved and fed in their graph variables' dtypes, as PyTensor's call converts them.
    defaults = [np.asarray(value, dtype=var.dtype) for var, value in zip(compiled.hidden_inputs, compiled.defaults)]
    specs += [jax.ShapeDtypeStruct(value.shape, value.dtype) for value in defaults]
    with _call_context(compiled.float_type):
        exported = export.export(jax.jit(B.jax_function(compiled.fn)))(*specs)
    serialized = np.frombuffer(bytes(exported.serialize()), dtype=np.uint8)
    meta = dict(format=FORMAT, versions=_versions(), float_type=compiled.float_type,
                inputs=[dict(name=var.name or "", shape=list(shape), dtype=var.dtype)
                        for var, shape in zip(compiled.inputs, shapes)],
                n_defaults=len(compiled.defaults), outputs=compiled.output_structure)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = path + ".tmp.npz"
    np.savez(temporary, meta=np.array(json.dumps(meta)), exported=serialized,
             **{f"default_{i}": value for i, value in enumerate(defaults)})
    os.replace(temporary, path)
    # The loader's computation, compiled once here: XLA's persistent cache then holds its code.
    SavedFunction(path).warm()


def load_function(path) -> SavedFunction:
    """The function saved at ``path`` by ``CompiledFunction.save``: call it as the original.

    ValueError if the file is missing or is not a saved symphys function."""
    return SavedFunction(_checked_path(path, "path", must_exist=True))


class SavedFunction:
    """A compiled function loaded from a file: call with the exposed inputs, get numpy outputs."""

    def __init__(self, path: str):
        try:
            with np.load(path, allow_pickle=False) as archive:
                meta = json.loads(str(archive["meta"]))
                serialized = archive["exported"].tobytes()
                defaults = [archive[f"default_{i}"] for i in range(meta["n_defaults"])]
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise ValueError(f"path: {path!r} is not a saved symphys function ({error})") from None
        if meta.get("format") != FORMAT:
            raise ValueError(f"path: {path!r} holds format {meta.get('format')!r}, not {FORMAT!r}")
        from . import backend as B

        B.configure_jax()
        import jax
        from jax import export

        if meta["float_type"] == "float64" and not jax.config.jax_enable_x64:
            raise RuntimeError("load_function: this float64 function needs JAX's float64, which the graph library "
                               "turned off in this process (a float32 model ran first); load it in another process")
        self.path, self.versions, self.float_type = path, meta["versions"], meta["float_type"]
        self.input_names = [entry["name"] for entry in meta["inputs"]]
        self.input_shapes = [tuple(entry["shape"]) for entry in meta["inputs"]]
        self.input_dtypes = [entry["dtype"] for entry in meta["inputs"]]
        self._input_dims = [[(None, size) for size in shape] for shape in self.input_shapes]
        self.output_structure = meta["outputs"]
        self._classes = _output_classes(self.output_structure)  # resolved once here, not at every call
        self.defaults = defaults
        self._exported = export.deserialize(bytearray(serialized))
        if len(self._exported.out_avals) != count_leaves(self.output_structure):
            raise ValueError(f"path: {path!r} is damaged: {len(self._exported.out_avals)} outputs for a structure of "
                             f"{count_leaves(self.output_structure)}")
        self._call = jax.jit(self._exported.call)

    def __call__(self, *args):
        values = checks.call_arguments(args, self.input_names, self._input_dims, self.input_dtypes)
        with _call_context(self.float_type):
            out = self._call(*values, *self.defaults)
        if not isinstance(out, (list, tuple)):
            out = [out]
        return from_structure(self.output_structure, [np.asarray(o) for o in out], self._classes.__getitem__)

    def warm(self) -> None:
        """Compile (or fetch from the persistent cache) without running."""
        import jax

        specs = [jax.ShapeDtypeStruct(s, d) for s, d in zip(self.input_shapes, self.input_dtypes)]
        specs += [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in self.defaults]
        with _call_context(self.float_type):
            self._call.lower(*specs).compile()


def _call_context(float_type: str):
    """backend.call_context for a saved (JAX) function of ``float_type``."""
    from . import backend as B

    return B.call_context("jax", float_type)


def _input_shapes(compiled, arguments) -> list:
    """Each exposed input's shape: static, or taken from ``arguments`` (checked like a call's)."""
    if arguments is not None:
        from .compiler import checked_arguments

        return [value.shape for value in checked_arguments(compiled, arguments)]
    shapes = []
    for index, var in enumerate(compiled.inputs):
        if any(size is None for size in var.type.shape):
            raise ValueError(f"save: inputs[{index}] ({var.name}) has no static shape {var.type.shape}: pass example "
                             "arguments, save(path, *arguments), to fix it")
        shapes.append(tuple(var.type.shape))
    return shapes


def _checked_path(path, name: str, must_exist: bool = False) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise checks.ArgumentTypeError(f"{name} must be a file path, got {checks.describe(path)}")
    path = os.fspath(path)
    if must_exist and not os.path.isfile(path):
        raise ValueError(f"{name}: no saved function at {path!r}")
    if not must_exist and os.path.isdir(path):
        raise ValueError(f"{name}: {path!r} is a folder, not a file")
    return path


def _versions() -> dict:
    from .version import __version__

    versions = {"symphys": __version__}
    for package in ("jax", "jaxlib", "pytensor"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _output_classes(description, found=None) -> dict:
    """{"module:qualname": class} of the dataclasses an output structure names; ValueError if one is not
    symphys's."""
    found = {} if found is None else found
    if isinstance(description, dict):
        if "class" in description:
            found[description["class"]] = _symphys_class(description["class"])
            children = description["fields"].values()
        else:
            children = next(iter(description.values()))
        for child in children:
            _output_classes(child, found)
    return found


def _symphys_class(name: str):
    """The dataclass ``module:qualname`` of an output structure, from symphys only (a file names it)."""
    module, _, qualname = name.partition(":")
    if module != "symphys" and not module.startswith("symphys."):  # checked before anything is imported
        raise ValueError(f"a saved function's outputs name the class {name!r}, which is not symphys's")
    value = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


__all__ = ["save", "load_function", "SavedFunction"]
