"""YAML recipes: the stages of a run, in order, with their parameters, validated strictly.

Every model forbids unknown keys, and each stage's ``params`` is validated by the model its stage
registered, so a typo or a wrong type is reported with its key path and the recipe file instead of being
ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opencoder.errors import OpencoderError

DEFAULT_RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "refinecode.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Columns(Strict):
    """Which input field holds each document field (JSONL keys, Parquet/Arrow columns); null = not present."""

    text: str = "text"
    id: str | None = "id"
    path: str | None = "path"
    repo: str | None = "repo"
    stars: str | None = "stars"
    commit_time: str | None = "commit_time"
    lang: str | None = None


class EngineSettings(Strict):
    """How input is cut into tasks and batches; part of the run's identity (it decides the task plan)."""

    task_files: int = Field(2000, ge=1, description="files of a directory tree per task")
    task_bytes: int = Field(16_000_000, ge=1, description="bytes of a directory tree per task (~ a kept file)")
    batch_docs: int = Field(2048, ge=1, description="documents per batch inside a task")
    batch_bytes: int = Field(8_000_000, ge=1, description="bytes per batch inside a task")
    row_group_rows: int = Field(50_000, ge=1, description="kept Parquet row group size (rows)")
    row_group_bytes: int = Field(128_000_000, ge=1, description="kept Parquet row group size (bytes)")


class StageSpec(Strict):
    name: str
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)


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
    from opencoder.refine.registry import STAGE_MODULES, stage_entry

    if not isinstance(data, dict):
        raise OpencoderError(f"{source}: a recipe must be a mapping with a 'stages' list")
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as err:
        raise _first_error(err, (), source) from None
    for i, spec in enumerate(recipe.stages):
        if spec.name not in STAGE_MODULES:
            raise OpencoderError(
                f"{source}: stages[{i}].name: unknown stage {spec.name!r} (known: {', '.join(sorted(STAGE_MODULES))})"
            )
        try:
            spec.params = stage_entry(spec.name).params.model_validate(spec.params).model_dump()
        except ValidationError as err:
            raise _first_error(err, ("stages", i, "params"), source) from None
    return recipe


def load_recipe(path: str | Path | None = None) -> Recipe:
    """Read and validate a YAML recipe; errors name the file and the key."""
    import yaml  # here, not with the module: spawned pool workers parse recipes from JSON only

    path = Path(path) if path is not None else DEFAULT_RECIPE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise OpencoderError(f"{path}: cannot read recipe: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise OpencoderError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    return parse_recipe(data, str(path))
