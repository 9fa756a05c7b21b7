"""The package's compiled extensions (C files built by setup.py: ``pip install .`` builds them, ``make kernel`` builds
them in place for a source checkout).

The tree reader's loop and the byte checks have plain-Python twins (``io/treeread.py``, ``io/bytescan.py``), so
importing ``opencoder``, the engine or io needs no compiler; the quality signals' kernel has none, and a stage that
needs it says how to build it."""

from __future__ import annotations

import importlib
from types import ModuleType

from opencoder.errors import OpencoderError

HOW_TO_BUILD = (
    "reinstall with `pip install opencoder` or `pip install .` (it compiles the kernels; needs a C compiler), "
    "or run `make kernel` in a source checkout"
)


class KernelNotBuilt(OpencoderError, ImportError):
    """A compiled extension that a stage needs is missing: the CLI prints the message (how to build it) as one
    line."""


def compiled(name: str) -> ModuleType:
    """The compiled extension ``name``, or a KernelNotBuilt error that says how to build it."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise KernelNotBuilt(f"{name} is not built: {HOW_TO_BUILD}") from error


def compiled_or(name: str, fallback: str) -> ModuleType:
    """The compiled extension ``name`` if it is built, else its plain-Python twin ``fallback`` (same arguments,
    same results, slower)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return importlib.import_module(fallback)
