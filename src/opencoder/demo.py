"""``opencoder demo``: the whole cookbook end to end on the code already on this machine, in a few minutes.

The demo is a list of steps run in order. Each step reads and writes under ``DemoContext.run_dir`` so the last
step, the report, shows everything the earlier ones left there (training curves, evaluation results). To add a
stage to the demo, write one ``Step`` and insert it before ``report`` in ``DEMO_STEPS``.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

# Small enough that set-up plus the demo stay under 10 minutes on 2 cores, large enough for real duplicates.
DEFAULT_DEMO_BYTES = 32_000_000


@dataclass
class DemoContext:
    """What the steps share: where to write, how much of the corpus to read, and what they produced."""

    out: Path
    max_bytes: int
    workers: int
    outputs: dict[str, Path] = field(default_factory=dict)  # step name -> its main artefact

    @property
    def run_dir(self) -> Path:
        return self.out / "run"


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[DemoContext], Path]  # returns the step's main output, printed when it ends


def refine_step(ctx: DemoContext) -> Path:
    """Refine a capped sample of the machine's own code with the default recipe."""
    from opencoder.io.corpus import default_corpus
    from opencoder.io.readers import InputSpec
    from opencoder.recipes import load_recipe
    from opencoder.refine.pipeline import RunOptions, run_refine

    corpus = default_corpus(ctx.max_bytes)
    files = sum(len(root.files) for root in corpus)
    megabytes = sum(r.total_bytes for r in corpus) / 1e6
    Console(stderr=True).print(f"corpus: {files:,} files, {megabytes:,.1f} MB from {len(corpus)} trees")
    inputs = [InputSpec(str(root.root), root.label, root.files) for root in corpus]
    run_refine(inputs, ctx.run_dir, load_recipe(None), RunOptions(workers=ctx.workers))
    return ctx.run_dir / "manifest.json"


def report_step(ctx: DemoContext) -> Path:
    """Write the HTML report of everything under the run folder."""
    from opencoder.report import write_report

    return write_report(ctx.run_dir)


DEMO_STEPS: list[Step] = [
    Step("refine", refine_step),
    Step("report", report_step),
]


def run_demo(out: Path, max_bytes: int | None = None, workers: int | None = None) -> DemoContext:
    """Run every step into a fresh ``out/run``; returns the context with each step's output."""
    ctx = DemoContext(Path(out), max_bytes or DEFAULT_DEMO_BYTES, workers or os.cpu_count() or 1)
    shutil.rmtree(ctx.run_dir, ignore_errors=True)  # the machine's code may have changed since the last demo
    ctx.run_dir.mkdir(parents=True)
    console = Console(stderr=True)
    for step in DEMO_STEPS:
        started = time.perf_counter()
        console.rule(step.name)
        ctx.outputs[step.name] = step.run(ctx)
        console.print(f"{step.name}: {ctx.outputs[step.name]} ({time.perf_counter() - started:.1f} s)")
    return ctx
