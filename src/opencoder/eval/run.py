"""One evaluation end to end: load the benchmark, get samples (from a file or a model), score them, write
results."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from opencoder.eval.benchmarks import Benchmark, load_benchmark
from opencoder.eval.results import write_results
from opencoder.eval.samples import read_samples
from opencoder.eval.sanitize import sanitize
from opencoder.eval.scoring import Sample, Scorer, Scores
from opencoder.sandbox import Limits, Sandbox
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
    sanitize_samples: bool = False
    limit: int | None = None  # first N tasks only
    generation: dict = field(default_factory=dict)  # what produced the samples, for the record


def score_samples(
    benchmark: Benchmark, samples: list[Sample], options: EvalOptions, invalid: list[str] | None = None
) -> Scores:
    """Score samples in the sandbox with a progress bar, and write results.json, samples.jsonl and
    report.md."""
    sandbox = Sandbox(Limits(timeout=options.timeout, memory_mb=options.memory_mb), mode=options.isolation)
    scorer = Scorer(benchmark, sandbox, options.workers, plus=options.plus)
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
    write_results(scores, options.out, extra)
    return scores


def evaluate_samples(options: EvalOptions) -> Scores:
    """`opencoder eval --samples FILE`: score completions another harness or an earlier run wrote."""
    assert options.samples is not None
    benchmark = load_benchmark(options.benchmark, options.data)
    samples, invalid = read_samples(options.samples, benchmark)
    if options.sanitize_samples:
        entry = {t.task_id: t.entry_point for t in benchmark.tasks}
        for s in samples:
            s.code = sanitize(s.code, entry.get(s.task_id))
    options.generation = {"samples": str(options.samples), **options.generation}
    return score_samples(benchmark, samples, options, invalid)
