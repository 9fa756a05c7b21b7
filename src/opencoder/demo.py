"""``opencoder demo``: the whole cookbook end to end on the code already on this machine, in a few minutes.

The demo is a list of steps run in order: refine a capped sample of the machine's code, recall the code-related
ones among its text documents (fastText on shipped seed pages), train a tokenizer on the kept documents, tokenize
them, pretrain the tiny model for a few steps (exported in HF format), synthesize small annealing and SFT sets from
the kept and recalled documents with a small real teacher (SmolLM2-135M-Instruct, validated in the sandbox), anneal
on the pretraining data mixed with the synthetic annealing data, fine-tune in two SFT stages on the synthetic
instructions (a stage for which the small teacher validated none trains on stand-in pairs, and says so), evaluate
the last model on the first HumanEval problems in the sandbox, and write the report. Each step reads and writes under
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
    recall_pool: int = 400  # the machine's text documents (READMEs, docs) scored by the recall classifier
    recall_rounds: int = 2
    synth_seeds: int = 3  # seeds per teacher recipe (the algorithmic selection reads every kept document)
    synth_max_tokens: int = 192  # new tokens per teacher answer
    anneal_steps: int = 40
    sft_steps: int = 20  # per SFT stage


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


# Which synthesized sets feed which stage (SPEC §3, §4): annealing documents, SFT stage 1 and stage 2 instructions.
ANNEAL_RECIPES = ("algorithmic", "snippets", "textbooks")
SFT_STAGES = {"sft1": ("diverse",), "sft2": ("educational", "package")}
# Scaled down for a 135M teacher on a CPU: one assert suffices (the paper asks ten), a lower judge bar, and prompts
# quote 1,000 characters of a seed (reading a long prompt is most of a CPU teacher's time).
DEMO_SYNTH_OPTIONS = {"min_asserts": 1, "judge_threshold": 3, "seed_chars": 1000}


def _write_seeds(ctx: DemoContext, name: str, keep: Callable[[dict], bool], count: int, folder: str = "synth") -> Path:
    """The first `count` kept documents that `keep` accepts, as a seeds file in ``run_dir/folder``."""
    import pyarrow.parquet as pq

    from opencoder.io.writers import write_jsonl_atomic

    rows = []
    for path in sorted((ctx.run_dir / "kept").glob("*.parquet")):
        for row in pq.read_table(path, columns=["id", "text", "lang", "doc_type"]).to_pylist():
            if keep(row) and len(rows) < count:
                rows.append({"id": row["id"], "text": row["text"], "lang": row["lang"]})
    out = ctx.run_dir / folder / f"seeds-{name}.jsonl"
    write_jsonl_atomic(out, rows)
    return out


def recall_step(ctx: DemoContext) -> Path:
    """Recall the code-related pages among the machine's text documents (READMEs, docs and other text files refine
    kept) with the paper's loop: a BPE segmenter and fastText trained on the shipped seed pages, rounds of scoring
    and domain discovery (SPEC §2). The recalled pages seed the ``diverse`` SFT recipe, as the paper's web text does."""
    import orjson
    import pyarrow.parquet as pq

    from opencoder.io.writers import write_jsonl_atomic
    from opencoder.recall.loop import SEED_NEGATIVES, SEED_POSITIVES, load_params, run_recall

    pool = _write_seeds(ctx, "text", lambda r: r["doc_type"] == "text" and len(r["text"]) >= 200,
                        ctx.scale.recall_pool, folder="recall")  # fmt: skip
    params = load_params(None).model_copy(update={"rounds": ctx.scale.recall_rounds})
    out = ctx.run_dir / "recall"
    rounds = run_recall([pool], [SEED_POSITIVES], [SEED_NEGATIVES], out, params, ctx.workers) if _rows(pool) else []
    recalled = set()
    if rounds:
        recalled = set(pq.read_table(out / f"round{rounds[-1]['round']}" / "recalled.parquet", columns=["id"])
                       .column("id").to_pylist())  # fmt: skip
    rows = [r for r in map(orjson.loads, pool.read_bytes().splitlines()) if r["id"] in recalled]
    write_jsonl_atomic(recall_output(ctx), rows)
    _console().print(f"recall: {len(rows)} of {_rows(pool)} text documents recalled as code-related")
    return recall_output(ctx)


def recall_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "recall" / "recalled.jsonl"


def _rows(path: Path) -> int:
    return path.read_bytes().count(b"\n")


def synth_step(ctx: DemoContext) -> Path:
    """Every synth recipe on a few kept documents, with SmolLM2-135M-Instruct in-process as the teacher."""
    import orjson

    from opencoder.generate.hf import HFBackend
    from opencoder.generate.smollm2 import smollm2_gguf
    from opencoder.synth.catalog import CATALOG
    from opencoder.synth.run import SynthOptions, synthesize

    n = ctx.scale.synth_seeds
    code = _write_seeds(ctx, "code", lambda r: r["lang"] == "python" and 300 <= len(r["text"]) <= 6000, n)
    text = _write_seeds(ctx, "text", lambda r: r["doc_type"] == "text" and len(r["text"]) >= 500, n)
    recalled = recall_output(ctx)  # the paper's diverse instructions start from recalled web text
    seeds = {"algorithmic": [ctx.run_dir / "kept"], "diverse": [recalled if _rows(recalled) else text]}
    gguf = smollm2_gguf()
    has_seeds = code.stat().st_size > 0 or text.stat().st_size > 0
    teacher = HFBackend(gguf, chat=True, batch_size=8) if has_seeds else None  # loading takes a while
    console = _console()
    summary = {}
    for recipe in CATALOG:
        options = SynthOptions(recipe, seeds.get(recipe, [code]), ctx.run_dir / "synth" / recipe, backend="hf",
                               model=str(gguf), max_tokens=ctx.scale.synth_max_tokens, workers=ctx.workers + 1,
                               limit=None if recipe == "algorithmic" else n,  # a selection: no teacher, all read
                               recipe_options=DEMO_SYNTH_OPTIONS)  # fmt: skip
        stats = synthesize(options, teacher)
        summary[recipe] = {"seeds": stats["seeds"], "kept": stats["kept"]}
        funnel = " -> ".join(f"{s['step']} {s['passed']}" for s in stats["steps"])
        console.print(f"synth {recipe}: {stats['kept']} of {stats['seeds']} kept ({funnel})")
    synth_output(ctx).write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return synth_output(ctx)


def synth_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "synth" / "summary.json"


def _samples(ctx: DemoContext, recipes: tuple[str, ...]) -> list[Path]:
    """The non-empty samples files of these recipes."""
    files = [ctx.run_dir / "synth" / r / "samples.jsonl" for r in recipes]
    return [f for f in files if f.exists() and f.stat().st_size > 0]


def _train_stage(ctx: DemoContext, stage: str, data: list[dict], init: Path, steps: int) -> None:
    from opencoder.train.loop import train
    from opencoder.train.recipe import load_recipe

    overrides = {"warmup_steps": 2, "lr": 1e-3} if stage == "anneal" else {"warmup_steps": 2, "lr": 1e-3,
                                                                           "seq_len": 256}  # fmt: skip
    recipe = load_recipe(stage, model="tiny", data=data, init=str(init), max_steps=steps, save_every=steps,
                         **overrides)  # fmt: skip
    console = _console()
    records: list[dict] = []
    train(recipe, ctx.run_dir / stage, on_log=records.append)
    if records:
        console.print(f"{stage}: {len(records)} steps, loss {records[0]['loss']:.3f} -> {records[-1]['loss']:.3f}")


def anneal_step(ctx: DemoContext) -> Path:
    """Anneal the pretrained model on its own data mixed 84:16 with the synthetic annealing documents (SPEC §3)."""
    from opencoder.train.packing import tokenize

    data = [{"path": str(ctx.run_dir / "tokens"), "weight": 0.84}]
    synthetic = _samples(ctx, ANNEAL_RECIPES)
    if synthetic:
        tokenize(synthetic, ctx.run_dir / "tokenizer", ctx.run_dir / "anneal-tokens", processes=1)
        data.append({"path": str(ctx.run_dir / "anneal-tokens"), "weight": 0.16})
    else:
        _console().print("anneal: no synthetic annealing sample passed; annealing on the pretraining data alone")
    _train_stage(ctx, "anneal", data, ctx.run_dir / "pretrain", ctx.scale.anneal_steps)
    return anneal_output(ctx)


def anneal_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "anneal" / "hf" / "tokenizer.json"


def last_model(ctx: DemoContext) -> Path:
    """The export of the last stage that trained: sft2, sft1, anneal or pretrain."""
    for stage in ("sft2", "sft1", "anneal", "pretrain"):
        if (ctx.run_dir / stage / "hf" / "tokenizer.json").exists():
            return ctx.run_dir / stage
    raise FileNotFoundError(ctx.run_dir / "pretrain" / "hf")


def sft_step(stage: str) -> Callable[[DemoContext], Path]:
    """Fine-tune the last model on this stage's synthetic instructions. Where the small teacher validated none, the
    stage trains on a stand-in that any machine has (``STAND_INS``), and says so; with neither it is skipped (a note
    says why) and the next starts from the model before it."""

    def run(ctx: DemoContext) -> Path:
        files = _samples(ctx, SFT_STAGES[stage]) or _stand_in(ctx, stage)
        if files:
            _train_stage(ctx, stage, [{"path": str(f)} for f in files], last_model(ctx), ctx.scale.sft_steps)
        else:
            note = f"no validated sample from {', '.join(SFT_STAGES[stage])} and no stand-in pair: {stage} skipped"
            (ctx.run_dir / stage).mkdir(parents=True, exist_ok=True)
            (ctx.run_dir / stage / "skipped.txt").write_text(note + "\n")
            _console().print(note)
        return sft_output(stage)(ctx)

    return run


# What an SFT stage trains on when no synthetic sample passed: stage 1's broad instructions stand in as the refined
# code's documented functions (signature and docstring -> function), stage 2's tested code as MBPP's training split.
STAND_INS = {"sft1": "documented functions of the refined code", "sft2": "MBPP's training split (tasks 601-974)"}
STAND_IN_PAIRS = 400  # more than the demo's SFT steps use; found in the first few documents


def _stand_in(ctx: DemoContext, stage: str) -> list[Path]:
    from opencoder.io.benchmark_files import MBPP_TRAIN_RANGE
    from opencoder.io.writers import write_jsonl_atomic
    from opencoder.train.instructions import function_pairs, mbpp_pairs

    pairs = function_pairs(ctx.run_dir / "kept", STAND_IN_PAIRS) if stage == "sft1" else mbpp_pairs(MBPP_TRAIN_RANGE)
    if not pairs:
        return []
    out = ctx.run_dir / "sft-stand-in" / f"{stage}.jsonl"
    write_jsonl_atomic(out, pairs)
    _console().print(
        f"{stage}: no validated sample from {', '.join(SFT_STAGES[stage])}; training on {len(pairs):,} stand-in "
        f"pairs instead: {STAND_INS[stage]} ({out})"
    )
    return [out]


def sft_output(stage: str) -> Callable[[DemoContext], Path]:
    def output(ctx: DemoContext) -> Path:
        skipped = ctx.run_dir / stage / "skipped.txt"
        return skipped if skipped.exists() else ctx.run_dir / stage / "hf" / "tokenizer.json"

    return output


def eval_step(ctx: DemoContext) -> Path:
    """Evaluate the last model's export greedily on the first HumanEval problems, the programs run in the sandbox."""
    from opencoder.eval.run import EvalOptions, evaluate_model
    from opencoder.generate.hf import HFBackend
    from opencoder.sandbox.isolation import working_bwrap

    if working_bwrap(sys.executable) is None:
        _console().print(NO_BWRAP)
    model = last_model(ctx) / "hf"
    options = EvalOptions(
        benchmark="humaneval",
        out=ctx.run_dir / "eval" / "humaneval",
        limit=ctx.scale.eval_tasks,
        workers=ctx.workers + 1,
        generation={"model": str(model)},
    )
    scores = evaluate_model(options, HFBackend(model, chat=False), 1, 0.0, ctx.scale.max_tokens)
    summary = ", ".join(f"{name} {value:.3f}" for name, value in scores.pass_at_k.items())
    _console().print(f"humaneval, first {len(scores.per_task)} tasks, {model.parent.name} model: {summary}")
    return eval_output(ctx)


def eval_output(ctx: DemoContext) -> Path:
    return ctx.run_dir / "eval" / "humaneval" / "report.md"  # written after results.json


def report_step(ctx: DemoContext) -> Path:
    """Write the HTML report of everything under the run folder."""
    from opencoder.report import write_report

    return write_report(ctx.run_dir)


DEMO_STEPS: list[Step] = [
    Step("refine", refine_step, refine_output),
    Step("recall", recall_step, recall_output),
    Step("tokenizer", tokenizer_step, tokenizer_output),
    Step("tokenize", tokenize_step, tokenize_output),
    Step("pretrain", pretrain_step, pretrain_output),
    Step("synth", synth_step, synth_output),
    Step("anneal", anneal_step, anneal_output),
    Step("sft1", sft_step("sft1"), sft_output("sft1")),
    Step("sft2", sft_step("sft2"), sft_output("sft2")),
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
