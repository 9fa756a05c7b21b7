"""The recipes by name, importable without loading them (the CLI's help lists them)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from opencoder.errors import OpencoderError

if TYPE_CHECKING:
    from opencoder.synth.pipeline import Recipe

# name -> what it makes; the recipe itself is RECIPE in opencoder.synth.<name>
CATALOG = {
    "algorithmic": "annealing: algorithmic files selected from refined code by keyword (no teacher)",
    "snippets": "annealing: a self-contained function plus tests from a seed, kept if the tests pass",
    "textbooks": "annealing: an educational explanation of a high-quality seed program",
    "educational": "SFT: judge-scored seed -> task, analysis, solution, ten asserts; kept if they pass",
    "package": "SFT: one-function problem on a library API read with inspect/pydoc; kept if it runs",
    "diverse": "SFT: web text -> task spec -> question (T=1.0) -> answer -> execution -> refinement",
}


def load_recipe(name: str) -> Recipe:
    if name not in CATALOG:
        raise OpencoderError(f"unknown synth recipe {name!r}; choose one of {', '.join(CATALOG)}")
    return importlib.import_module(f"opencoder.synth.{name}").RECIPE


def catalog_help() -> str:
    return "\n\n".join(f"{name}: {what}" for name, what in CATALOG.items())
