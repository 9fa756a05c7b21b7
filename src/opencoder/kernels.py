"""The package's compiled extensions (C files built by setup.py: ``make kernel``, or ``pip install -e .``)."""

from __future__ import annotations

import importlib
from types import ModuleType


def compiled(name: str) -> ModuleType:
    """The compiled extension ``name``, or an error that says how to build it (a source checkout used through
    PYTHONPATH=src has none until then)."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ImportError(f"{name} is not built: run `make kernel` (or `pip install -e .`) in the checkout") from error
