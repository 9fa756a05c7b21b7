"""The engine: any list of registered stages over any document table, resumable, with accounting and a manifest.

Python API (the YAML recipe's keys as arguments)::

    from opencoder import engine

    manifest = engine.run(
        stages=["preprocess", "exact_dedup", ("sample", {"keep": {"python": 0.5}})],
        inputs=["docs.jsonl"],  # trees, .jsonl[.gz|.zst], .parquet, HF save_to_disk folders
        out="runs/mine",
        workers=2,
    )

or ``engine.run(recipe="my.yaml", inputs=[...], out=...)``. Rerunning the same call resumes: finished tasks are
skipped. Modules: ``stage`` (the protocols a stage implements), ``registry`` (``register_stage``), ``recipe``,
``runner`` (segments, tasks, resume), ``executor``/``ray_executor``, ``manifest``, ``decisions``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opencoder.engine.executor import Executor
    from opencoder.io.readers import InputSpec

StageArg = str | tuple[str, dict[str, Any]] | dict[str, Any]


def run(
    *,
    inputs: Sequence[str | Path | InputSpec],
    out: str | Path,
    stages: Sequence[StageArg] | None = None,
    recipe: str | Path | None = None,
    workers: int = 1,
    on_error: str = "skip",
    repo_depth: int = 1,
    executor: Executor | None = None,
    **settings: Any,
) -> dict[str, Any]:
    """Run ``stages`` (names, ``(name, params)`` pairs or recipe stage mappings) or the YAML ``recipe`` over
    ``inputs`` into ``out``; ``settings`` are the other recipe keys (``seed``, ``compat``, ``columns``, ``engine``).
    Returns the manifest."""
    from opencoder.engine.recipe import load_recipe, parse_recipe
    from opencoder.engine.runner import RunOptions, run_recipe

    if (stages is None) == (recipe is None):
        raise ValueError("give either stages or recipe")
    if recipe is not None:
        parsed = load_recipe(recipe)
        if settings:
            parsed = parse_recipe({**parsed.model_dump(mode="json"), **settings}, str(recipe))
    else:
        specs = [_stage_spec(s) for s in stages]
        parsed = parse_recipe({**settings, "stages": specs}, "engine.run(stages=...)")
    options = RunOptions(workers=workers, on_error=on_error, repo_depth=repo_depth)  # type: ignore[arg-type]
    return run_recipe(inputs, out, parsed, options, executor)


def _stage_spec(stage: StageArg) -> dict[str, Any]:
    if isinstance(stage, str):
        return {"name": stage}
    if isinstance(stage, tuple):
        name, params = stage
        return {"name": name, "params": params}
    return dict(stage)
