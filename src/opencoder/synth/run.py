"""`synthesize(SynthOptions)`: what `opencoder synth` and the demo call. Builds the teacher (a transformers
model in-process or an OpenAI-compatible server), puts the answer cache in front of it (OUT/cache.jsonl), sets up
the sandbox and runs the recipe over the seeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from opencoder.errors import OpencoderError
from opencoder.generate import Backend
from opencoder.generate.cache import AnswerCache, CachedBackend
from opencoder.io.writers import write_json_atomic
from opencoder.sandbox import Limits, Sandbox
from opencoder.synth.catalog import load_recipe
from opencoder.synth.pipeline import SynthContext, run_synth
from opencoder.synth.seeds import read_seeds


@dataclass
class SynthOptions:
    recipe: str
    seeds: list[Path]
    out: Path
    backend: Literal["hf", "openai"] | None = None  # None only for recipes without a teacher
    model: str | None = None  # a folder or .gguf file (hf), a served model's name (openai)
    base_url: str = "http://127.0.0.1:8000"
    chat: bool = True
    concurrency: int = 16  # requests in flight (openai)
    batch_size: int = 8  # prompts per forward batch (hf)
    limit: int | None = None  # the first N seeds
    max_tokens: int = 1024  # cap on every answer
    chunk_size: int = 32  # seeds per chunk: what a crash can cost to redo (the cache makes it cheap)
    workers: int | None = None  # sandbox programs at once
    timeout: float = 5.0  # wall-clock seconds per program
    memory_mb: int = 2048
    isolation: Literal["auto", "bwrap", "none"] = "auto"
    recipe_options: dict[str, Any] = field(default_factory=dict)  # keywords, packages, judge_threshold, ...


def make_backend(options: SynthOptions, teacher: Backend | None = None) -> tuple[CachedBackend, dict[str, Any]]:
    """The cached teacher (`teacher` if given: a backend already loaded for `options.model`) and its description
    for the samples' `generator` field."""
    if options.backend not in ("hf", "openai"):
        raise OpencoderError(f"--backend must be hf or openai, got {options.backend!r}")
    model_id = str(Path(options.model).resolve()) if options.backend == "hf" else str(options.model)
    inner: Any = teacher
    if inner is None and options.backend == "hf":
        from opencoder.generate.hf import HFBackend

        inner = HFBackend(options.model, chat=options.chat, batch_size=options.batch_size)
    elif inner is None:
        from opencoder.generate import OpenAIBackend

        inner = OpenAIBackend(options.base_url, options.model, chat=options.chat, concurrency=options.concurrency)
    cache = AnswerCache(options.out / "cache.jsonl")
    generator = {"backend": options.backend, "model": options.model, "chat": options.chat}
    return CachedBackend(inner, cache, model_id), generator


def synthesize(options: SynthOptions, teacher: Backend | None = None) -> dict[str, Any]:
    """Run one recipe; `teacher` lets a caller that runs several recipes load the model once."""
    recipe = load_recipe(options.recipe)
    if recipe.needs_teacher and (options.model is None or options.backend is None):
        raise OpencoderError(f"recipe {options.recipe} needs a teacher: give --backend and --model")
    seeds = read_seeds(options.seeds, options.limit)
    options.out.mkdir(parents=True, exist_ok=True)
    # no seeds left to run: no teacher to load (a finished or empty run)
    backend, generator = make_backend(options, teacher) if recipe.needs_teacher and seeds else (None, {"backend": None})
    sandbox = Sandbox(Limits(timeout=options.timeout, memory_mb=options.memory_mb), mode=options.isolation)
    ctx = SynthContext(backend, sandbox, generator, options.recipe_options, options.workers, options.max_tokens)
    try:
        stats = run_synth(recipe, seeds, options.out, ctx, options.chunk_size)
    finally:
        if backend is not None:
            backend.cache.close()
    # what `opencoder report OUT` shows above the synthesis section
    manifest = {"inputs": [str(p) for p in options.seeds], "timings": {"synth_wall_s": stats["wall_s"]},
                "recipe": {"synth": options.recipe, "generator": generator, **options.recipe_options}}  # fmt: skip
    write_json_atomic(options.out / "manifest.json", manifest)
    return stats
