"""The ``opencoder`` command line: thin wrappers that parse arguments and call the library."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opencoder import __version__
from opencoder.demo import DEFAULT_DEMO_BYTES, DemoScale
from opencoder.errors import OpencoderError
from opencoder.io.store import is_url, location
from opencoder.synth.catalog import catalog_help

if TYPE_CHECKING:
    from opencoder.engine.executor import Executor

app = typer.Typer(
    name="opencoder",
    help="The OpenCoder cookbook: refine code data, train code LLMs, evaluate them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """The OpenCoder cookbook: refine code data, train code LLMs, evaluate them."""


@app.command()
def version() -> None:
    """Print the package version."""
    typer.echo(__version__)


def _writable(path: Path | None, folder: bool) -> Path | None:
    """An --out path must be creatable: the nearest part of it that exists is a folder (the path itself may be a
    file where a file is written). Checked while parsing, so that the error comes before any work."""
    if path is None:
        return None
    kind = "folder" if folder else "file"
    if path.exists() and path.is_dir() != folder:
        raise OpencoderError(f"--out {path} is {'a file' if folder else 'a folder'}; it must name a {kind}")
    for part in path.parents:
        if part.exists():
            if not part.is_dir():
                raise OpencoderError(f"--out {path}: {part} is a file, not a folder")
            break
    return path


def _out_folder(path: Path | None) -> Path | None:
    return _writable(path, folder=True)


def _run_folder(path: str) -> str:
    """A run's --out: a folder (checked as ``_out_folder``) or a URL (object storage: checked when the run starts)."""
    return path if is_url(path) else str(_out_folder(Path(path)))


def _out_file(path: Path | None) -> Path | None:
    return _writable(path, folder=False)


# tokenizer train and tokenize: the engine's cap on one document (opencoder.train.sources.MAX_DOC_BYTES)
MAX_DOC_BYTES_OPTION = typer.Option(
    None, min=1, help="A document over this many bytes is an error, found without holding it whole.",
    show_default="8000000",
)  # fmt: skip


def _resumable(command: Callable) -> Callable:
    """Ctrl-C in a command that resumes ends with a note saying so (exit status 130, as the shell's), not silently."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            typer.echo("\ninterrupted: rerun the same command to resume where it stopped", err=True)
            raise typer.Exit(130) from None

    return run


tokenizer_app = typer.Typer(help="Train tokenizers.", no_args_is_help=True)
app.add_typer(tokenizer_app, name="tokenizer")


@tokenizer_app.command("train")
def tokenizer_train(
    inputs: list[Path] = typer.Argument(..., help="Parquet/JSONL files (`text` column) or folders of them."),
    out: Path = typer.Option(..., "--out", help="Tokenizer directory to write (HF format).", callback=_out_folder),
    vocab_size: int = typer.Option(96640, "--vocab-size", help="Vocabulary size, special tokens included."),
    max_doc_bytes: int | None = MAX_DOC_BYTES_OPTION,
) -> None:
    """Train a byte-level BPE tokenizer with the ChatML special tokens and chat template."""
    from opencoder.train.tokenizer import load_tokenizer, train_tokenizer

    path = train_tokenizer(inputs, out, vocab_size, max_doc_bytes)
    typer.echo(f"tokenizer with {len(load_tokenizer(path))} tokens written to {path}")


@app.command()
def tokenize(
    inputs: list[Path] = typer.Argument(..., help="Parquet/JSONL files (`text` column) or folders of them."),
    tokenizer: Path = typer.Option(..., "--tokenizer", help="Tokenizer directory (from `tokenizer train`)."),
    out: Path = typer.Option(
        ..., "--out", help="Tokens directory to write (packed shards + meta.json).", callback=_out_folder
    ),
    processes: int = typer.Option(0, "--processes", min=0, help="Worker processes (0: one per core)."),
    max_doc_bytes: int | None = MAX_DOC_BYTES_OPTION,
) -> None:
    """Tokenize documents into packed token shards with an end-of-document token between documents."""
    from opencoder.train.packing import tokenize as run_tokenize

    meta = run_tokenize(inputs, tokenizer, out, processes=processes or None, max_doc_bytes=max_doc_bytes)
    typer.echo(
        f"{meta['num_documents']} documents, {meta['num_tokens']} tokens ({meta['dtype']}) "
        f"in {len(meta['shards'])} shard(s) at {out}"
    )


@app.command()
@_resumable
def train(
    stage: str = typer.Option(..., "--stage", help="pretrain | anneal | sft1 | sft2"),
    model: str = typer.Option(None, "--model", help="opencoder-1.5b | opencoder-8b | tiny | small"),
    data: list[str] = typer.Option(None, "--data", help="Tokens dir (pretrain/anneal) or SFT files; repeatable."),
    out: Path = typer.Option(
        ..., "--out", help="Run directory: checkpoints, metrics.jsonl, hf/ export.", callback=_out_folder
    ),
    max_steps: int = typer.Option(None, "--max-steps", help="Optimizer steps (SFT default: from epochs)."),
    recipe: Path = typer.Option(None, "--recipe", help="YAML recipe; flags override its keys."),
    init: str = typer.Option(None, "--init", help="Run dir or HF model dir to start from (anneal, SFT)."),
    tokenizer: str = typer.Option(None, "--tokenizer", help="Tokenizer dir (SFT; default: the init model's)."),
    global_batch: int = typer.Option(None, "--global-batch", help="Sequences per optimizer step."),
    micro_batch: int = typer.Option(None, "--micro-batch", help="Sequences per forward pass per rank."),
    seq_len: int = typer.Option(None, "--seq-len", help="Tokens per sequence (SFT: maximum length)."),
) -> None:
    """Train or resume one stage; rerunning the same command resumes from the latest checkpoint in --out."""
    from opencoder.train.recipe import load_recipe

    sources = [{"path": p} for p in data] if data else None
    rec = load_recipe(
        stage,
        recipe,
        model=model,
        data=sources,
        max_steps=max_steps,
        init=init,
        tokenizer=tokenizer,
        global_batch=global_batch,
        micro_batch=micro_batch,
        seq_len=seq_len,
    )

    from opencoder.train.loop import train as run_train  # after the recipe checks: importing torch takes seconds

    def show(r: dict) -> None:
        mfu = f" mfu {r['mfu']:.1%}" if r["mfu"] is not None else ""
        typer.echo(f"step {r['step']} loss {r['loss']:.4f} lr {r['lr']:.3g} {r['tokens_per_s']:.0f} tok/s{mfu}")

    last = run_train(rec, out, on_log=show)
    state = "already complete" if last.get("already_complete") else "done"
    typer.echo(f"{state} at step {last['step']}: {out / 'hf'}")


class OnErrorPolicy(str, Enum):
    fail = "fail"
    skip = "skip"


class ExecutorKind(str, Enum):
    local = "local"
    ray = "ray"


EXECUTOR_OPTION = typer.Option(
    ExecutorKind.local, help="local: a process pool on this machine; ray: the Ray cluster at --ray-address."
)
RAY_ADDRESS_OPTION = typer.Option("auto", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT.")
WORKERS_OPTION = typer.Option(os.cpu_count() or 1, min=1, help="Worker processes.")


@app.command()
@_resumable
def refine(
    inputs: list[str] | None = typer.Argument(
        None,
        help="Source trees, data folders, .jsonl[.gz|.zst], .parquet, HF save_to_disk dirs, local or at URLs "
        "(s3://...); none: local code.",
    ),
    out: str = typer.Option(
        ...,
        "--out",
        "-o",
        help="Run folder (kept/, removed/, stats/, manifest.json), local or a URL (s3://bucket/prefix).",
        callback=_run_folder,
    ),
    recipe: Path | None = typer.Option(None, help="YAML recipe; default: the shipped refinecode.yaml."),
    workers: int = WORKERS_OPTION,
    on_error: OnErrorPolicy = typer.Option(
        OnErrorPolicy.skip, help="Unreadable input: skip = record it as removed (read_error); fail = stop."
    ),
    repo_depth: int = typer.Option(1, min=0, help="Directory trees: folders under the root that name the repository."),
    corpus_bytes: int | None = typer.Option(
        None, min=1, help="Without INPUT: sample the default corpus down to about this many bytes."
    ),
    executor: ExecutorKind = EXECUTOR_OPTION,
    ray_address: str = RAY_ADDRESS_OPTION,
) -> None:
    """RefineCode: read, preprocess, identify languages, deduplicate, transform, signals, filter, sample (resumable)."""
    from opencoder.engine.recipe import load_recipe
    from opencoder.engine.runner import RunOptions, run_recipe
    from opencoder.io.corpus import default_inputs
    from opencoder.io.readers import InputSpec

    pairs = [InputSpec(str(p)) for p in inputs] if inputs else default_inputs(corpus_bytes)
    options = RunOptions(workers=workers, on_error=on_error.value, repo_depth=repo_depth)
    manifest = run_recipe(pairs, out, load_recipe(recipe), options, _executor(executor, ray_address))
    _print_summary("refine", out, manifest)


def _executor(kind: ExecutorKind, ray_address: str) -> Executor | None:
    """The Ray executor for ``--executor ray``; None: the engine's local process pool."""
    if kind is ExecutorKind.ray:
        from opencoder.engine.ray_executor import RayExecutor

        return RayExecutor(ray_address)
    return None


def _print_summary(command: str, out: str | Path, manifest: dict) -> None:
    """Per stage: documents in, kept, removed and the top removal reasons; then where the outputs are."""
    from rich.console import Console
    from rich.table import Table

    table = Table("stage", "in", "kept", "removed", "top reasons", title=f"{command}: {out}")
    for s in manifest["stages"]:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["reasons"].items(), key=lambda kv: -kv[1])[:3])
        table.add_row(s["name"], str(s["in"]), str(s["kept"]), str(s["removed"]), reasons)
    Console().print(table)
    out = location(out)
    typer.echo(f"kept: {out / 'kept'}  removed: {out / 'removed'}  manifest: {out / 'manifest.json'}")


@app.command()
@_resumable
def signals(
    inputs: list[str] = typer.Argument(
        ..., help="Source trees, data folders, .jsonl[.gz|.zst], .parquet, HF sets, local or at URLs (s3://...)."
    ),
    out: str = typer.Option(
        ...,
        "--out",
        "-o",
        help="Run folder (signals/, kept/, removed/, manifest.json), local or a URL.",
        callback=_run_folder,
    ),
    recipe: Path | None = typer.Option(None, help="YAML recipe: its seed, compat, columns and signals/filter params."),
    workers: int = WORKERS_OPTION,
    repo_depth: int = typer.Option(1, min=0, help="Directory trees: folders under the root that name the repository."),
    executor: ExecutorKind = EXECUTOR_OPTION,
    ray_address: str = RAY_ADDRESS_OPTION,
) -> None:
    """Quality signals and filter decisions for INPUT as given: language ID, signals, rules (no dedup, no rewrite)."""
    from opencoder.engine.recipe import load_recipe
    from opencoder.engine.runner import RunOptions, run_recipe
    from opencoder.io.readers import InputSpec
    from opencoder.refine.signals.runner import signals_recipe

    options = RunOptions(workers=workers, repo_depth=repo_depth)
    recipe_ = signals_recipe(load_recipe(recipe))
    manifest = run_recipe([InputSpec(p) for p in inputs], out, recipe_, options, _executor(executor, ray_address))
    _print_summary("signals", out, manifest)
    typer.echo(f"signals: {location(out) / 'signals'}")


@app.command("filter")
def filter_(
    run_dir: Path = typer.Argument(..., help="The --out folder of a finished `opencoder refine` or `signals`."),
    rules: Path | None = typer.Option(None, help="YAML rules laid over the shipped configs; default: the run's."),
    workers: int = WORKERS_OPTION,
    executor: ExecutorKind = EXECUTOR_OPTION,
    ray_address: str = RAY_ADDRESS_OPTION,
) -> None:
    """Re-apply filter rules to a run's stored signals (no recomputation): rewrites kept/ and removed/; resumable."""
    from opencoder.refine.refilter import refilter_run

    total = refilter_run(run_dir, rules, workers, _executor(executor, ray_address))
    _print_summary("filter", run_dir, {"stages": [{"name": "filter", **total}]})


@app.command()
@_resumable
def dedup(
    inputs: list[str] = typer.Argument(
        ..., help="Parquet or .jsonl[.gz|.zst] files, directory trees, HF datasets, local or at URLs (s3://...)."
    ),
    out: str = typer.Option(
        ...,
        "--out",
        "-o",
        help="Run folder (kept/, removed/, clusters.parquet, manifest), local or a URL.",
        callback=_run_folder,
    ),
    recipe: Path | None = typer.Option(
        None,
        help="YAML recipe whose seed, columns and fuzzy_dedup params to use; default: the shipped one.",
    ),
    workers: int = WORKERS_OPTION,
    executor: ExecutorKind = EXECUTOR_OPTION,
    ray_address: str = RAY_ADDRESS_OPTION,
) -> None:
    """Fuzzy dedup alone (MinHash LSH, the paper's settings) on any dataset: near-duplicates go to removed/."""
    from opencoder.engine.recipe import load_recipe
    from opencoder.engine.runner import RunOptions, run_recipe
    from opencoder.io.readers import InputSpec
    from opencoder.refine.fuzzy_dedup import dedup_recipe

    dedup = dedup_recipe(load_recipe(recipe), str(recipe or "the default recipe"))
    inputs_ = [InputSpec(p) for p in inputs]
    manifest = run_recipe(inputs_, out, dedup, RunOptions(workers=workers), _executor(executor, ray_address))
    _print_summary("dedup", out, manifest)
    typer.echo(f"clusters: {location(out) / 'clusters.parquet'}")


@app.command()
def decontam(
    inputs: list[Path] | None = typer.Argument(
        None, help="Parquet or .jsonl[.gz|.zst] files, directory trees, HF datasets; none: the local code."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Run folder (kept/, removed/, decontam/, manifest.json).", callback=_out_folder
    ),
    benchmarks: str | None = typer.Option(
        None,
        help="Bundled benchmarks, comma-separated: humaneval,humanevalplus,mbpp,mbpp_sanitized.",
        show_default="the recipe's",
    ),
    benchmark_file: list[Path] = typer.Option(
        [], "--benchmark-file", help="More benchmark JSONL (human-eval, MBPP or evalplus format); repeatable."
    ),
    sft: bool | None = typer.Option(
        None,
        "--sft/--no-sft",
        help="SFT data: also remove samples naming a benchmark entry point.",
        show_default="the recipe's",
    ),
    text_field: str | None = typer.Option(
        None,
        help="Input field(s) with the text: messages (a chat list is flattened), instruction+output.",
        show_default="text",
    ),
    recipe: Path | None = typer.Option(
        None, help="YAML recipe with a decontam stage; default: the shipped decontam.yaml."
    ),
    workers: int = WORKERS_OPTION,
    corpus_bytes: int | None = typer.Option(
        None, min=1, help="Without INPUT: sample the default corpus down to about this many bytes."
    ),
) -> None:
    """Remove documents holding benchmark tasks (n-gram overlap, entry points, fuzzy MinHash) from any dataset:
    code, web text, annealing or SFT data. Each removed document names its benchmark, task and evidence."""
    from opencoder.engine.recipe import load_recipe
    from opencoder.engine.runner import RunOptions, run_recipe
    from opencoder.io.corpus import default_inputs
    from opencoder.io.readers import InputSpec
    from opencoder.refine.decontam.stage import DEFAULT_RECIPE, decontam_recipe

    path = recipe or DEFAULT_RECIPE
    base = load_recipe(path)
    if text_field is not None:
        base = base.model_copy(update={"columns": base.columns.model_copy(update={"text": text_field})})
    names = None if benchmarks is None else [b.strip() for b in benchmarks.split(",") if b.strip()]
    rec = decontam_recipe(base, str(path), benchmarks=names, benchmark_files=[str(f) for f in benchmark_file], sft=sft)
    pairs = [InputSpec(str(p)) for p in inputs] if inputs else default_inputs(corpus_bytes)
    manifest = run_recipe(pairs, out, rec, RunOptions(workers=workers))
    _print_summary("decontam", out, manifest)
    typer.echo(f"matches: {out / 'decontam'}  report: opencoder report {out}")


@app.command()
def recall(
    pool: list[Path] = typer.Argument(..., help="Pages to recall from: Parquet/JSONL with `text` and `url`."),
    positives: list[Path] = typer.Option(..., "--positives", help="Seed code-related pages (`text`); repeatable."),
    negatives: list[Path] = typer.Option(..., "--negatives", help="Seed other pages (`text`); repeatable."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder: segmenter.json, round<N>/, recall.json.", callback=_out_folder
    ),
    recipe: Path | None = typer.Option(None, help="YAML recall settings; default: the shipped recall.yaml."),
    rounds: int | None = typer.Option(
        None, min=1, help="Rounds of train -> score -> domains.", show_default="the recipe's: 3"
    ),
    threshold: float | None = typer.Option(
        None, help="P(code) at which a page is recalled.", show_default="the recipe's: 0.5"
    ),
    workers: int = typer.Option(os.cpu_count() or 1, min=1, help="Worker processes for scoring."),
) -> None:
    """Recall code-related web text: BPE + fastText on seeds, score the pool, mark code-related domains, add the
    pages the classifier missed to the seeds, retrain; every round writes its model, scores, domains, recalled set."""
    from opencoder.recall.loop import load_params, run_recall

    params = load_params(recipe)
    update = {k: v for k, v in (("rounds", rounds), ("threshold", threshold)) if v is not None}
    params = params.model_validate({**params.model_dump(), **update})
    for s in run_recall(pool, positives, negatives, out, params, workers):
        q = s["held_out"]
        typer.echo(
            f"round {s['round']}: recalled {s['recalled']} of {s['pool']} ({s['recalled_by_classifier']} by the "
            f"classifier), {len(s['domains_added'])} domains added, {s['pages_added_to_positives']} pages to seeds; "
            f"held-out precision {q['precision']:.3f} recall {q['recall']:.3f}"
        )
    typer.echo(f"rounds: {out}/round<N>/  summary: {out / 'recall.json'}")


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="The --out folder of a finished `opencoder refine`."),
    out: Path | None = typer.Option(
        None, help="Where to write the page.", show_default="RUN_DIR/report.html", callback=_out_file
    ),
    samples: int = typer.Option(3, min=0, help="Removed documents shown per removal reason."),
) -> None:
    """Write an HTML report of a run: funnel per stage, languages, removal reasons and samples."""
    from opencoder.report import write_report

    typer.echo(write_report(run_dir, out, samples_per_reason=samples))


@app.command()
@_resumable
def demo(
    out: Path = typer.Option(Path(".demo"), help="Demo folder; the run lands in OUT/run.", callback=_out_folder),
    max_mb: float | None = typer.Option(
        None, min=0.001, help="Megabytes of this machine's code to read.", show_default=f"{DEFAULT_DEMO_BYTES / 1e6:g}"
    ),
    workers: int | None = typer.Option(None, min=1, help="Worker processes.", show_default="all cores"),
    fresh: bool = typer.Option(False, "--fresh", help="Start over; otherwise steps whose output exists are skipped."),
    train_steps: int = typer.Option(DemoScale.train_steps, min=1, help="Pretraining steps of the tiny model."),
    eval_tasks: int = typer.Option(DemoScale.eval_tasks, min=1, help="HumanEval problems to evaluate (the first N)."),
    synth_seeds: int = typer.Option(DemoScale.synth_seeds, min=1, help="Seeds per teacher recipe of the synth step."),
    synth_max_tokens: int = typer.Option(DemoScale.synth_max_tokens, min=1, help="New tokens per teacher answer."),
) -> None:
    """Refine a sample of the code on this machine, train a tokenizer and a tiny model on it, synthesize annealing
    and SFT data with a small real teacher, anneal and fine-tune the model on it in two SFT stages, evaluate it on
    HumanEval and write the report; prints each step's wall time and the report's path."""
    from opencoder.demo import run_demo

    scale = DemoScale(train_steps=train_steps, eval_tasks=eval_tasks, synth_seeds=synth_seeds,
                      synth_max_tokens=synth_max_tokens)  # fmt: skip
    ctx = run_demo(out, None if max_mb is None else int(max_mb * 1e6), workers, fresh, scale)
    typer.echo(ctx.outputs["report"])


@app.command()
def ablate(
    ablation: Path = typer.Argument(
        ..., help="An ablation file, e.g. src/opencoder/recipes/ablations/dedup-granularity.yaml."
    ),
    out: Path = typer.Option(None, help="Output folder.", show_default="runs/ablate-<file name>", callback=_out_folder),
    workers: int = typer.Option(1, min=1, help="Worker processes for refine and tokenize."),
) -> None:
    """Run named variants of the data and training recipe (pretraining, then any annealing and SFT phases) with the
    same seed, model and token budget, evaluate each on one held-out set and write OUT/ablation.html (curves per
    variant); prints the page's path."""
    from opencoder.ablate import run_ablation

    target = out if out is not None else Path("runs") / f"ablate-{ablation.stem}"
    typer.echo(run_ablation(ablation, target, workers, log=lambda line: typer.echo(line, err=True)))


class SynthBackend(str, Enum):
    hf = "hf"
    openai = "openai"


@app.command(
    help=f"""Synthesize annealing or SFT data from seeds with a teacher model, validated by execution in the
sandbox: OUT/samples.jsonl (chat format), OUT/rejected.jsonl (step and reason), OUT/synth.json (yield per step).
A rerun resumes: finished seeds are skipped and answers come from OUT/cache.jsonl.

Recipes:

{catalog_help()}"""
)
def synth(
    recipe: str = typer.Argument(..., help="One of the recipes listed above."),
    seeds: list[Path] = typer.Option(
        ..., "--seeds", help="JSONL(.gz)/Parquet files or folders with a text column; repeatable."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder.", callback=_out_folder),
    backend: SynthBackend = typer.Option(
        None, help="hf: transformers in-process; openai: an OpenAI-compatible server."
    ),
    model: str = typer.Option(None, help="hf: a model folder or .gguf file; openai: the served model's name."),
    base_url: str = typer.Option("http://127.0.0.1:8000", help="openai: the server's URL."),
    chat: bool = typer.Option(True, "--chat/--base", help="Send prompts as chat messages (instruct teachers)."),
    concurrency: int = typer.Option(16, min=1, help="openai: requests in flight."),
    batch_size: int = typer.Option(8, min=1, help="hf: prompts per forward batch."),
    limit: int = typer.Option(None, min=1, help="Only the first N seeds."),
    max_tokens: int = typer.Option(1024, min=1, help="New tokens per answer at most."),
    chunk_size: int = typer.Option(32, min=1, help="Seeds per chunk (written together)."),
    workers: int = typer.Option(None, min=1, help="Sandbox programs at once.", show_default="cores + 1"),
    timeout: float = typer.Option(5.0, help="Wall-clock seconds per program."),
    isolation: str = typer.Option("auto", help="auto (bubblewrap if it works), bwrap (required) or none."),
    keyword: list[str] = typer.Option(
        None, help="algorithmic: a selection keyword; repeatable.", show_default="the paper's"
    ),
    package: list[str] = typer.Option(None, help="package: a library whose API to teach; repeatable."),
    judge_threshold: int = typer.Option(5, min=0, max=10, help="educational: lowest judge score kept."),
    min_asserts: int = typer.Option(
        None, min=0, help="Asserts a test block needs.", show_default="the recipe's: 10 educational, else 1"
    ),
    seed_chars: int = typer.Option(
        None, min=100, help="Characters of a seed that prompts quote.", show_default="3000; 2000 for some recipes"
    ),
) -> None:
    from opencoder.synth.run import SynthOptions, synthesize

    if isolation not in ("auto", "bwrap", "none"):
        raise OpencoderError(f"--isolation must be auto, bwrap or none, got {isolation!r}")
    extra = {"keywords": keyword, "packages": package, "judge_threshold": judge_threshold, "min_asserts": min_asserts,
             "seed_chars": seed_chars}  # fmt: skip
    options = SynthOptions(
        recipe=recipe, seeds=seeds, out=out, backend=backend.value if backend else None, model=model,
        base_url=base_url, chat=chat, concurrency=concurrency, batch_size=batch_size, limit=limit,
        max_tokens=max_tokens, chunk_size=chunk_size, workers=workers, timeout=timeout,
        isolation=isolation,  # type: ignore[arg-type]
        recipe_options={k: v for k, v in extra.items() if v},
    )  # fmt: skip
    stats = synthesize(options)
    for step in stats["steps"]:
        typer.echo(f"{step['step']:<18} in {step['in']:>6}  passed {step['passed']:>6}  rejected {step['rejected']:>6}")
    typer.echo(f"{stats['kept']} of {stats['seeds']} seeds kept ({stats['samples_per_hour']} samples/hour): {out}")


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(k) for k in text.split(",") if k.strip()}))
    except ValueError:
        ks = ()
    if not ks or ks[0] < 1:
        raise OpencoderError(f"--k must be positive integers separated by commas, got {text!r}")
    return ks


@app.command("eval")
def eval_command(
    benchmark: str = typer.Option(
        ...,
        "--benchmark",
        "-b",
        help="humaneval, humaneval+, mbpp, mbpp+, mbpp_sanitized, or MultiPL-E's multipl-humaneval-LANG / "
        "multipl-mbpp-LANG with LANG one of cpp, java, cs, ts, js, php, sh (translated from the Python originals).",
    ),
    samples: Path = typer.Option(None, help="Score this JSONL of {task_id, completion|solution} instead of a model."),
    model: str = typer.Option(None, help="Generate with this transformers model: a folder or a .gguf file."),
    server: str = typer.Option(None, help="Generate through this OpenAI-compatible server, e.g. http://127.0.0.1:8000"),
    model_name: str = typer.Option("default", help="--server: the model name to ask for."),
    chat: bool = typer.Option(
        None,
        "--chat/--base",
        help="Prompt as an instruct (chat) or a base model.",
        show_default="chat if the model has a chat template",
    ),
    n: int = typer.Option(1, min=1, help="Completions per task."),
    temperature: float = typer.Option(0.0, min=0.0, help="0 is greedy (then n must be 1)."),
    max_tokens: int = typer.Option(512, min=1, help="New tokens per completion at most."),
    batch_size: int = typer.Option(8, min=1, help="--model: prompts per forward batch."),
    limit: int = typer.Option(
        None, min=1, help="Only the benchmark's first N tasks (with --samples: other tasks' samples are left out)."
    ),
    data: Path = typer.Option(None, help="Benchmark JSONL(.gz) to use instead of the bundled copy (needed for mbpp+)."),
    out: Path = typer.Option(None, help="Output folder.", show_default="runs/eval/<benchmark>", callback=_out_folder),
    k: str = typer.Option("1", help="pass@k values, comma-separated; each needs at least k samples per task."),
    workers: int = typer.Option(None, min=1, help="Programs run at once.", show_default="cores + 1"),
    timeout: float = typer.Option(3.0, min=0.001, help="Wall-clock seconds per program (OpenCodeEval: 3)."),
    memory_mb: int = typer.Option(2048, min=1, help="Address-space limit per program, MiB."),
    isolation: str = typer.Option("auto", help="auto (bubblewrap if it works), bwrap (required) or none."),
    base_only: bool = typer.Option(False, "--base-only", help="HumanEval+/MBPP+: skip the plus inputs."),
    sanitize: bool = typer.Option(False, "--sanitize", help="Apply AST answer extraction to --samples too."),
    imports: bool = typer.Option(
        None,
        "--imports/--no-imports",
        help="Prepend OpenCodeEval's imports.",
        show_default="on; off for humaneval+/mbpp+",
    ),
) -> None:
    """Evaluate a model (--model or --server) or existing completions (--samples) on a benchmark, in the
    sandbox: results.json, samples.jsonl, report.md."""
    from opencoder.eval.run import EvalOptions, evaluate_model, evaluate_samples

    if isolation not in ("auto", "bwrap", "none"):
        raise OpencoderError(f"--isolation must be auto, bwrap or none, got {isolation!r}")
    if sum(x is not None for x in (samples, model, server)) != 1:
        raise OpencoderError("give exactly one of --samples FILE, --model PATH or --server URL")
    out_dir = out or Path("runs/eval") / benchmark.replace("+", "plus")
    _out_folder(out_dir)  # the default too
    options = EvalOptions(
        benchmark=benchmark,
        out=out_dir,
        data=data,
        samples=samples,
        ks=_ks(k),
        workers=workers,
        timeout=timeout,
        memory_mb=memory_mb,
        isolation=isolation,  # type: ignore[arg-type]
        plus=not base_only,
        sanitize_samples=sanitize,
        limit=limit,
        imports=imports,
    )
    if samples is not None:
        scores = evaluate_samples(options)
    else:
        if model is not None:
            from opencoder.generate.hf import HFBackend

            backend = HFBackend(model, chat=chat, batch_size=batch_size)
            options.generation = {"model": model}
        else:
            from opencoder.generate import OpenAIBackend

            backend = OpenAIBackend(server, model_name, chat=bool(chat))
            options.generation = {"server": server, "model": model_name}
        try:
            scores = evaluate_model(options, backend, n, temperature, max_tokens)
        except ValueError as err:
            raise OpencoderError(str(err)) from None
    parts = [", ".join(f"{name} {value:.4f}" for name, value in scores.pass_at_k.items())] if scores.pass_at_k else []
    parts += [f"{name} not computed: {why}" for name, why in scores.k_missing.items()]
    if scores.unknown_tasks:
        parts.append(f"samples left out, their task id not in the benchmark: {sum(scores.unknown_tasks.values())}")
    parts.append(f"results in {options.out}")
    typer.echo(f"{scores.benchmark} over {len(scores.per_task)} tasks: {'; '.join(parts)}")


def main() -> None:
    """Entry point: run the app; user errors become one line on stderr and exit status 2."""
    try:
        app()
    except OpencoderError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
