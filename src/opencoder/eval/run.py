"""One evaluation end to end: load the benchmark, get samples (from a file or a model), score them, write results."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from opencoder.errors import OpencoderError
from opencoder.eval.benchmarks import Benchmark, load_benchmark
from opencoder.eval.prompting import build_prompt, solution_code, stop_words
from opencoder.eval.results import write_results
from opencoder.eval.samples import read_samples
from opencoder.eval.sanitize import sanitize
from opencoder.eval.scoring import Sample, Scorer, Scores
from opencoder.generate import Backend, generate
from opencoder.sandbox import Limits, Sandbox
from opencoder.sandbox.languages import language
from opencoder.sandbox.runner import Isolation

log = logging.getLogger(__name__)


@dataclass
class EvalOptions:
    benchmark: str
    out: Path
    data: Path | None = None
    samples: Path | None = None
    ks: tuple[int, ...] = (1,)
    workers: int | None = None
    timeout: float = 3.0
    memory_mb: int = 2048
    isolation: Isolation = "auto"
    plus: bool = True
    imports: bool | None = None  # OpenCodeEval's import preamble; None: on, except for evalplus benchmarks
    sanitize_samples: bool = False
    limit: int | None = None  # first N tasks only
    generation: dict = field(default_factory=dict)  # what produced the samples, for the record


def score_samples(
    benchmark: Benchmark, samples: list[Sample], options: EvalOptions, invalid: list[str] | None = None
) -> Scores:
    """Score samples in the sandbox with a progress bar, and write results.json, samples.jsonl and report.md."""
    if benchmark.language != "python" and (why := language(benchmark.language).unavailable()) is not None:
        raise OpencoderError(f"{benchmark.name}: {why}")
    sandbox = Sandbox(Limits(timeout=options.timeout, memory_mb=options.memory_mb), mode=options.isolation)
    scorer = Scorer(benchmark, sandbox, options.workers, plus=options.plus, imports=options.imports)
    start = time.monotonic()
    with Progress(
        TextColumn("[bold]sandbox"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f} programs/s"), TimeElapsedColumn(), transient=False,
    ) as progress:  # fmt: skip
        bar = progress.add_task("run", total=None, rate=0.0)
        done = 0

        def tick(_index, _result):
            nonlocal done
            done += 1
            progress.update(bar, completed=done, rate=done / max(time.monotonic() - start, 1e-9))

        scores = scorer.score(samples, options.ks, tick)
    scores.invalid_lines += invalid or []
    extra = {"data": str(options.data) if options.data else "bundled", **options.generation}
    if benchmark.dropped:  # MultiPL-E: problems its method does not translate, counted with their reason
        extra["dropped_problems"] = benchmark.dropped
    write_results(scores, options.out, extra)
    return scores


def _first_tasks(benchmark: Benchmark, limit: int | None) -> set[str]:
    """Cut ``benchmark`` to its first ``limit`` tasks (``--limit``); returns the ids of the tasks cut off."""
    if limit is None:
        return set()
    cut = {t.task_id for t in benchmark.tasks[limit:]}
    benchmark.tasks = benchmark.tasks[:limit]
    return cut


def _require_known(samples: list[Sample], benchmark: Benchmark, path: Path) -> None:
    """Stop when no sample names a task of the benchmark: such a run would report an empty pass@k (a wrong
    --benchmark, or ids spelled another way)."""
    ids = benchmark.by_id()
    if not any(s.task_id in ids for s in samples):
        raise OpencoderError(
            f"{path}: none of the {len(samples)} samples names a task of {benchmark.name} "
            f"(samples' task_id e.g. {samples[0].task_id!r}, the benchmark's e.g. {benchmark.tasks[0].task_id!r}); "
            "is --benchmark right?"
        )


def evaluate_samples(options: EvalOptions) -> Scores:
    """`opencoder eval --samples FILE`: score completions another harness or an earlier run wrote (with
    ``limit``, only those of the benchmark's first tasks)."""
    assert options.samples is not None
    benchmark = load_benchmark(options.benchmark, options.data)
    samples, invalid = read_samples(options.samples, benchmark)
    _require_known(samples, benchmark, options.samples)
    cut = _first_tasks(benchmark, options.limit)
    if cut:
        samples = [s for s in samples if s.task_id not in cut]
        kept = benchmark.by_id()
        if not any(s.task_id in kept for s in samples):
            raise OpencoderError(f"{options.samples}: no sample for the first {options.limit} tasks")
    if options.sanitize_samples:
        entry = {t.task_id: t.entry_point for t in benchmark.tasks}
        for s in samples:
            s.code = sanitize(s.code, entry.get(s.task_id))
    options.generation = {"samples": str(options.samples), **options.generation}
    return score_samples(benchmark, samples, options, invalid)


def evaluate_model(options: EvalOptions, backend: Backend, n: int, temperature: float, max_tokens: int) -> Scores:
    """Generate n completions per task with the backend, extract the code, score it, write the results."""
    benchmark = load_benchmark(options.benchmark, options.data)
    _first_tasks(benchmark, options.limit)
    prompts = [build_prompt(benchmark, task, backend.chat) for task in benchmark.tasks]
    start = time.monotonic()
    completions = generate(backend, prompts, n, temperature, max_tokens, stop_words(backend.chat, benchmark))
    seconds = time.monotonic() - start
    samples = [
        Sample(task.task_id, i, solution_code(benchmark, task, prompt, text, backend.chat), text)
        for task, prompt, texts in zip(benchmark.tasks, prompts, completions, strict=True)
        for i, text in enumerate(texts)
    ]
    failures = {benchmark.tasks[i].task_id: reason for i, reason in backend.failures.items()}
    options.generation = {
        **options.generation,
        "style": "chat" if backend.chat else "base",
        "n": n,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "generation_seconds": round(seconds, 1),
        "generation_failures": failures,
    }
    log.info("generated %d completions in %.0f s", len(samples), seconds)
    return score_samples(benchmark, samples, options)
