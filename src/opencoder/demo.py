"""``opencoder demo``: the whole cookbook end to end on the code already on this machine, in a few minutes.

The demo is a list of steps run in order: refine a capped sample of the machine's code, train a tokenizer on the
kept documents, tokenize them, pretrain the tiny model for a few steps (exported in HF format), evaluate the export
on the first HumanEval problems in the sandbox, and write the report. Each step reads and writes under
``DemoContext.run_dir`` so the last step, the report, shows everything the earlier ones left there (the refine
funnel, the training curve, the evaluation results). A step whose output already exists is skipped, so a rerun
(or a run after a crash) only does what is missing; ``fresh=True`` starts over. To add a stage to the demo, write
one ``Step`` and insert it before ``report`` in ``DEMO_STEPS``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

# Small enough that set-up plus the demo stay under 10 minutes on 2 cores, large enough for real duplicates.
DEFAULT_DEMO_BYTES = 32_000_000


@dataclass(frozen=True)
class DemoScale:
    """How much training and evaluation the demo does: enough for a visibly falling loss and a real eval."""

    vocab_size: int = 1024  # the tiny model's vocabulary
    train_steps: int = 300
    eval_tasks: int = 10  # the first HumanEval problems
    max_tokens: int = 48  # new tokens per completion (greedy)


@dataclass
class DemoContext:
    """What the steps share: where to write, how much of the corpus to read, and what they produced."""

    out: Path
    max_bytes: int
    workers: int
    scale: DemoScale = field(default_factory=DemoScale)
    corpus: Path | None = None  # a directory tree to refine instead of the code on this machine
    outputs: dict[str, Path] = field(default_factory=dict)  # step name -> its main artefact
    seconds: dict[str, float] = field(default_factory=dict)  # step name -> wall time of the steps that ran

    @property
    def run_dir(self) -> Path:
        return self.out / "run"

    @property
    def skipped(self) -> list[str]:
        """The steps whose output was already there: those with an output but no wall time."""
        return [name for name in self.outputs if name not in self.seconds]


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[DemoContext], Path]  # returns the step's main output, printed when it ends
    output: Callable[[DemoContext], Path] | None = None  # written last; when it exists the step is skipped


def _console() -> Console:
    """rich's console, imported here: `opencoder` imports this module for DemoScale on every command."""
    from rich.console import Console

    return Console(stderr=True)


def refine_step(ctx: DemoContext) -> Path:
    """Refine a capped sample of the machine's own code (or ``ctx.corpus``) with the default recipe."""
    from opencoder.engine.recipe import load_recipe
    from opencoder.engine.runner import RunOptions, run_recipe
    from opencoder.io.corpus import default_inputs
    from opencoder.io.readers import InputSpec

    if ctx.corpus is not None:
        inputs = [InputSpec(str(ctx.corpus))]
    else:
        inputs = default_inputs(ctx.max_bytes)
        files = sum(len(spec.files) for spec in inputs)
        megabytes = sum(sum(spec.sizes) for spec in inputs) / 1e6
        _console().print(f"corpus: {files:,} files, {megabytes:,.1f} MB from {len(inputs)} trees")
    run_recipe(inputs, ctx.run_dir, load_recipe(None), RunOptions(workers=ctx.workers))
    return refine_output(ctx)


def refine_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "manifest.json"


def tokenizer_step(ctx: DemoContext) -> Path:
    """Train a byte-level BPE tokenizer on the documents refine kept."""
    from opencoder.train.tokenizer import train_tokenizer

    train_tokenizer([ctx.run_dir / "kept"], ctx.run_dir / "tokenizer", ctx.scale.vocab_size)
    return tokenizer_output(ctx)


def tokenizer_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "tokenizer" / "tokenizer.json"


def tokenize_step(ctx: DemoContext) -> Path:
    """Pack the kept documents into token shards for pretraining."""
    from opencoder.train.packing import tokenize

    tokenize([ctx.run_dir / "kept"], ctx.run_dir / "tokenizer", ctx.run_dir / "tokens", processes=ctx.workers)
    return tokenize_output(ctx)


def tokenize_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "tokens" / "meta.json"


def pretrain_step(ctx: DemoContext) -> Path:
    """Pretrain the tiny model (resuming from its last checkpoint); the loop logs metrics.jsonl and exports hf/."""
    from opencoder.train.loop import train
    from opencoder.train.recipe import load_recipe

    recipe = load_recipe(
        "pretrain",
        model="tiny",
        data=[{"path": str(ctx.run_dir / "tokens")}],
        max_steps=ctx.scale.train_steps,
        save_every=max(1, ctx.scale.train_steps // 3),
        lr=3e-3,  # a small model on few steps learns faster with a larger rate; still stable with the warmup
    )
    console = _console()
    every = max(1, ctx.scale.train_steps // 10)

    def show(record: dict) -> None:
        if record["step"] % every == 0 or record["step"] == 1:
            console.print(f"step {record['step']} loss {record['loss']:.3f} ({record['tokens_per_s']:.0f} tok/s)")

    train(recipe, ctx.run_dir / "pretrain", on_log=show)
    return pretrain_output(ctx).parent


def pretrain_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "pretrain" / "hf" / "tokenizer.json"  # the export writes the tokenizer last


NO_BWRAP = (
    "[bold yellow]bubblewrap is missing or does not work here:[/] the model's HumanEval programs run without "
    "namespace isolation (no network or filesystem separation; rlimits, a fresh user and the timeout still apply). "
    "Install it with `sudo apt-get install bubblewrap` (the sandbox's one system prerequisite) and rerun."
)


def eval_step(ctx: DemoContext) -> Path:
    """Evaluate the exported model greedily on the first HumanEval problems, the programs run in the sandbox."""
    from opencoder.eval.run import EvalOptions, evaluate_model
    from opencoder.generate.hf import HFBackend
    from opencoder.sandbox.isolation import working_bwrap

    if working_bwrap(sys.executable) is None:
        _console().print(NO_BWRAP)
    model = pretrain_output(ctx).parent
    options = EvalOptions(
        benchmark="humaneval",
        out=ctx.run_dir / "eval" / "humaneval",
        limit=ctx.scale.eval_tasks,
        workers=ctx.workers + 1,
        generation={"model": str(model)},
    )
    scores = evaluate_model(options, HFBackend(model, chat=False), 1, 0.0, ctx.scale.max_tokens)
    summary = ", ".join(f"{name} {value:.3f}" for name, value in scores.pass_at_k.items())
    _console().print(f"humaneval, first {len(scores.per_task)} tasks: {summary}")
    return eval_output(ctx)


def eval_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "eval" / "humaneval" / "report.md"  # written after results.json


def report_step(ctx: DemoContext) -> Path:
    """Write the HTML report of everything under the run folder."""
    from opencoder.report import write_report

    return write_report(ctx.run_dir)


DEMO_STEPS: list[Step] = [
    Step("refine", refine_step, refine_output),
    Step("tokenizer", tokenizer_step, tokenizer_output),
    Step("tokenize", tokenize_step, tokenize_output),
    Step("pretrain", pretrain_step, pretrain_output),
    Step("eval", eval_step, eval_output),
    Step("report", report_step),  # always rewritten: cheap, and it shows whatever the steps above left
]


def run_demo(
    out: Path,
    max_bytes: int | None = None,
    workers: int | None = None,
    fresh: bool = False,
    scale: DemoScale | None = None,
    corpus: Path | None = None,
) -> DemoContext:
    """Run every step whose output is missing into ``out/run`` (all of them with ``fresh``), print the wall time
    of each, and return the context with each step's output."""
    ctx = DemoContext(
        Path(out), max_bytes or DEFAULT_DEMO_BYTES, workers or os.cpu_count() or 1, scale or DemoScale(), corpus
    )
    if fresh:
        shutil.rmtree(ctx.run_dir, ignore_errors=True)
    ctx.run_dir.mkdir(parents=True, exist_ok=True)
    console = _console()
    for step in DEMO_STEPS:
        console.rule(step.name)
        done = step.output(ctx) if step.output else None
        if done is not None and done.exists():
            ctx.outputs[step.name] = done
            console.print(f"{step.name}: skipped, {done} exists")
            continue
        started = time.perf_counter()
        ctx.outputs[step.name] = step.run(ctx)
        ctx.seconds[step.name] = time.perf_counter() - started
        console.print(f"{step.name}: {ctx.outputs[step.name]} ({ctx.seconds[step.name]:.1f} s)")
    console.rule("wall time")
    for step in DEMO_STEPS:
        took = f"{ctx.seconds[step.name]:7.1f} s" if step.name in ctx.seconds else "skipped (output exists)"
        console.print(f"{step.name:<10} {took}")
    console.print(f"{'total':<10} {sum(ctx.seconds.values()):7.1f} s")
    return ctx
