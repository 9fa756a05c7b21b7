"""Stages by name: each stage module registers a builder and the pydantic model of its parameters.

Adding a stage takes one line here: ``"name": "package.module"`` in ``STAGE_MODULES`` (any package, not only
refine), plus ``@register_stage("name", params=Model)`` on the module's builder. A stage outside this package (a
plug-in) needs no line: its recipe entry names its module (``module: mypkg.stages``). Modules are imported only
when a recipe names their stage, so a worker of a three-stage recipe does not pay for the signal modules' imports
(pygments, esprima, bs4: about a second per process). A stage's report section is one line in
``REPORT_SECTIONS``: the report imports and shows it (it returns None for a run without its data), without the
stage's package importing the report.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from opencoder.engine.stage import GlobalStage, RowStage, StageContext

STAGE_MODULES = {
    "preprocess": "opencoder.refine.preprocess",
    "notebook": "opencoder.refine.notebook",
    "langid": "opencoder.refine.langid",
    "exact_dedup": "opencoder.refine.exact_dedup",
    "fuzzy_dedup": "opencoder.refine.fuzzy_dedup",
    "repo_exact_dedup": "opencoder.refine.repo_dedup",
    "repo_fuzzy_dedup": "opencoder.refine.repo_dedup",
    "stars": "opencoder.refine.stars",
    "transform": "opencoder.refine.transform",
    "signals": "opencoder.refine.signals.runner",
    "filter": "opencoder.refine.filter",
    "sample": "opencoder.refine.sample",
    "decontam": "opencoder.refine.decontam.stage",
    "recall_score": "opencoder.recall.stage",
    "text_files": "opencoder.recall.text_files",
}

# "stage": "module:function". The function takes the report's RunView and returns a report Section (or None).
REPORT_SECTIONS = {
    "fuzzy_dedup": "opencoder.report.fuzzy:fuzzy_section",
    "decontam": "opencoder.report.decontam:decontam_section",
}


class NoParams(BaseModel):
    """Parameters of a stage that takes none."""

    model_config = ConfigDict(extra="forbid")


Builder = Callable[[Any, StageContext], RowStage | GlobalStage]


@dataclass(frozen=True)
class StageEntry:
    """A registered stage. ``requires`` and ``provides`` name what it needs from the stages before it and what it
    adds for the stages after it (columns, or a named group of them: ``signals``); the recipe is checked against
    them when it is read, before any task runs."""

    name: str
    params: type[BaseModel]
    build: Builder
    requires: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()


_STAGES: dict[str, StageEntry] = {}


def register_stage(
    name: str, params: type[BaseModel] = NoParams, *, requires: tuple[str, ...] = (), provides: tuple[str, ...] = ()
) -> Callable[[Builder], Builder]:
    """Decorator: make ``name`` usable in recipes, built by the decorated function from validated params; it needs
    ``requires`` from an earlier stage of the recipe and gives ``provides`` to later ones."""

    def wrap(build: Builder) -> Builder:
        _STAGES[name] = StageEntry(name, params, build, tuple(requires), tuple(provides))
        return build

    return wrap


def known_stages() -> list[str]:
    """The names a recipe may use: those in ``STAGE_MODULES`` and any registered by a module imported otherwise."""
    return sorted(set(STAGE_MODULES) | set(_STAGES))


def stages() -> dict[str, StageEntry]:
    """All registered stages (imports every stage module)."""
    for name in STAGE_MODULES:
        stage_entry(name)
    return _STAGES


def providers(need: str) -> list[str]:
    """The stages that provide ``need`` (imports every stage module: for error messages)."""
    return sorted(name for name, entry in stages().items() if need in entry.provides)


def stage_entry(name: str, module: str | None = None) -> StageEntry:
    """The registered stage ``name``, importing only its module (``module``, else its ``STAGE_MODULES`` entry);
    KeyError if unknown."""
    if name not in _STAGES:
        importlib.import_module(module or STAGE_MODULES[name])
    return _STAGES[name]
