"""Stages by name: each stage module registers a builder and the pydantic model of its parameters.

A stage's owner adds one line to STAGE_MODULES; importing the module runs its ``@register_stage``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from opencoder.engine.stage import GlobalStage, RowStage, StageContext

STAGE_MODULES = [
    "opencoder.refine.preprocess",
    "opencoder.refine.langid",
    "opencoder.refine.exact_dedup",
    "opencoder.refine.fuzzy_dedup",
    "opencoder.refine.transform",
    "opencoder.refine.signals.runner",
    "opencoder.refine.filter",
    "opencoder.refine.sample",
]


class NoParams(BaseModel):
    """Parameters of a stage that takes none."""

    model_config = ConfigDict(extra="forbid")


Builder = Callable[[Any, StageContext], RowStage | GlobalStage]


@dataclass(frozen=True)
class StageEntry:
    name: str
    params: type[BaseModel]
    build: Builder


_STAGES: dict[str, StageEntry] = {}


def register_stage(name: str, params: type[BaseModel] = NoParams) -> Callable[[Builder], Builder]:
    """Decorator: make ``name`` usable in recipes, built by the decorated function from validated params."""

    def wrap(build: Builder) -> Builder:
        _STAGES[name] = StageEntry(name, params, build)
        return build

    return wrap


def stages() -> dict[str, StageEntry]:
    """All registered stages (imports the stage modules on first use)."""
    for module in STAGE_MODULES:
        importlib.import_module(module)
    return _STAGES


def stage_entry(name: str) -> StageEntry:
    """The registered stage ``name``; KeyError if unknown."""
    return stages()[name]
