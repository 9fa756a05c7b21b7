"""YAML recipes: the stages of a run, in order, with their parameters, validated strictly, once.

Every model forbids unknown keys, and each stage's ``params`` is validated by the model its stage registered, so a
typo or a wrong type is reported with its key path and the recipe file instead of being ignored. The validated
params model travels with the recipe (pickled into every task), so a worker builds its stages without parsing or
validating anything again.

The recipes shipped with the package (``refinecode.yaml``, the training recipes) lie in ``opencoder/recipes/``;
``shipped_recipe(name)`` finds one in a source checkout and in an installed wheel alike."""

from __future__ import annotations

import importlib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from opencoder.engine.registry import StageEntry, known_stages, providers, stage_entry
from opencoder.errors import OpencoderError
from opencoder.io.settings import Columns, EngineSettings, Strict

__all__ = [
    "DEFAULT_RECIPE",
    "Columns",
    "EngineSettings",
    "Recipe",
    "StageSpec",
    "load_recipe",
    "parse_recipe",
    "shipped_recipe",
]


def shipped_recipe(name: str) -> Path:
    """The path of a recipe shipped inside the package, e.g. ``shipped_recipe("refinecode.yaml")``."""
    return Path(str(resources.files("opencoder") / "recipes" / name))


DEFAULT_RECIPE = shipped_recipe("refinecode.yaml")  # RefineCode, the paper's pipeline


class StageSpec(Strict):
    name: str
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)
    # The module that registers the stage, for a stage outside the registry's STAGE_MODULES (a plug-in): every
    # process that builds the stage imports it first.
    module: str | None = None
    _model: BaseModel | None = PrivateAttr(default=None)  # ``params`` validated by the stage's own model

    def entry(self) -> StageEntry:
        """The registered stage, its module imported if need be."""
        return stage_entry(self.name, self.module)

    def params_model(self) -> BaseModel:
        """The validated parameters (validated here if this spec did not come from ``parse_recipe``)."""
        if self._model is None:
            self._model = self.entry().params.model_validate(self.params)
        return self._model


class Recipe(Strict):
    seed: int = 42
    compat: Literal["fixed", "opc"] = "fixed"
    columns: Columns = Field(default_factory=Columns)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    stages: list[StageSpec]

    def enabled_stages(self) -> list[StageSpec]:
        return [s for s in self.stages if s.enabled]


def _where(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _first_error(err: ValidationError, prefix: tuple[Any, ...], source: str) -> OpencoderError:
    e = err.errors()[0]
    where = _where(prefix + tuple(e["loc"]))
    msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
    return OpencoderError(f"{source}: {where}: {msg}")


def parse_recipe(data: Any, source: str = "<recipe>") -> Recipe:
    """Validate a recipe mapping, including each stage's params against its registered model."""
    if not isinstance(data, dict):
        raise OpencoderError(f"{source}: a recipe must be a mapping with a 'stages' list")
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as err:
        raise _first_error(err, (), source) from None
    for i, spec in enumerate(recipe.stages):
        if spec.module is not None:
            try:
                importlib.import_module(spec.module)
            except ImportError as err:
                raise OpencoderError(f"{source}: stages[{i}].module: cannot import {spec.module!r}: {err}") from None
        known = known_stages()
        if spec.name not in known:
            raise OpencoderError(f"{source}: stages[{i}].name: unknown stage {spec.name!r} (known: {', '.join(known)})")
        try:
            model = spec.entry().params.model_validate(spec.params)
        except ValidationError as err:
            raise _first_error(err, ("stages", i, "params"), source) from None
        spec.params = model.model_dump()
        spec._model = model
    _check_order(recipe, source)
    return recipe


def _check_order(recipe: Recipe, source: str) -> None:
    """Each enabled stage once, and after the stages that provide what it requires: found here, when the recipe is
    read, rather than by a task after work has started."""
    seen: dict[str, int] = {}
    have: set[str] = set()
    for i, spec in enumerate(recipe.stages):
        if not spec.enabled:
            continue
        if spec.name in seen:
            raise OpencoderError(
                f"{source}: stages[{i}].name: stage {spec.name!r} is listed twice (stages[{seen[spec.name]}] and "
                f"stages[{i}]); a stage runs once per recipe"
            )
        seen[spec.name] = i
        entry = spec.entry()
        for need in entry.requires:
            if need not in have:
                by = " or ".join(repr(p) for p in providers(need)) or "no known stage"
                raise OpencoderError(
                    f"{source}: stages[{i}].name: stage {spec.name!r} needs {need}, which no enabled stage before "
                    f"it provides ({by} does: list it earlier)"
                )
        have.update(entry.provides)


def load_recipe(path: str | Path | None = None) -> Recipe:
    """Read and validate a YAML recipe (None: the default, RefineCode's); errors name the file and the key."""
    import yaml  # here, not with the module: spawned pool workers never parse a recipe

    path = Path(path) if path is not None else DEFAULT_RECIPE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise OpencoderError(f"{path}: cannot read recipe: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise OpencoderError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    return parse_recipe(data, str(path))
