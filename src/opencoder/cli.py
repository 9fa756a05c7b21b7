"""The ``opencoder`` command line: thin wrappers that parse arguments and call the library."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path

import typer

from opencoder import __version__
from opencoder.demo import DemoScale
from opencoder.errors import OpencoderError

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


tokenizer_app = typer.Typer(help="Train tokenizers.", no_args_is_help=True)
app.add_typer(tokenizer_app, name="tokenizer")


@tokenizer_app.command("train")
def tokenizer_train(
    inputs: list[Path] = typer.Argument(..., help="Parquet/JSONL files or directories with a `text` column."),
    out: Path = typer.Option(..., "--out", help="Tokenizer directory to write (HF format)."),
    vocab_size: int = typer.Option(96640, "--vocab-size", help="Vocabulary size, special tokens included."),
) -> None:
    """Train a byte-level BPE tokenizer with the ChatML special tokens and chat template."""
    from opencoder.train.tokenizer import load_tokenizer, train_tokenizer

    path = train_tokenizer(inputs, out, vocab_size)
    typer.echo(f"tokenizer with {len(load_tokenizer(path))} tokens written to {path}")


@app.command()
def tokenize(
    inputs: list[Path] = typer.Argument(..., help="Parquet/JSONL files or directories with a `text` column."),
    tokenizer: Path = typer.Option(..., "--tokenizer", help="Tokenizer directory (from `tokenizer train`)."),
    out: Path = typer.Option(..., "--out", help="Tokens directory to write (packed shards + meta.json)."),
    processes: int = typer.Option(0, "--processes", help="Worker processes (0: one per core)."),
) -> None:
    """Tokenize documents into packed token shards with an end-of-document token between documents."""
    from opencoder.train.packing import tokenize as run_tokenize

    meta = run_tokenize(inputs, tokenizer, out, processes=processes or None)
    typer.echo(
        f"{meta['num_documents']} documents, {meta['num_tokens']} tokens ({meta['dtype']}) "
        f"in {len(meta['shards'])} shard(s) at {out}"
    )


@app.command()
def train(
    stage: str = typer.Option(..., "--stage", help="pretrain | anneal | sft1 | sft2"),
    model: str = typer.Option(None, "--model", help="opencoder-1.5b | opencoder-8b | tiny | small"),
    data: list[str] = typer.Option(None, "--data", help="Tokens dir (pretrain/anneal) or SFT files; repeatable."),
    out: Path = typer.Option(..., "--out", help="Run directory: checkpoints, metrics.jsonl, hf/ export."),
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
    typer.echo(f"done at step {last.get('step', 'resumed-complete')}: {out / 'hf'}")


class OnErrorPolicy(str, Enum):
    fail = "fail"
    skip = "skip"


class ExecutorKind(str, Enum):
    local = "local"
    ray = "ray"


@app.command()
def refine(
    inputs: list[Path] | None = typer.Argument(
        None,
        help="Directory trees, .jsonl[.gz|.zst], .parquet, HF save_to_disk dirs; none: the local code.",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (kept/, removed/, stats/, manifest.json)."),
    recipe: Path | None = typer.Option(None, help="YAML recipe; default recipes/refinecode.yaml."),
    workers: int = typer.Option(os.cpu_count() or 1, min=1, help="Worker processes."),
    on_error: OnErrorPolicy = typer.Option(
        OnErrorPolicy.skip, help="Unreadable input: skip = record it as removed (read_error); fail = stop."
    ),
    repo_depth: int = typer.Option(1, min=0, help="Directory trees: folders under the root that name the repository."),
    corpus_bytes: int | None = typer.Option(
        None, min=1, help="Without INPUT: sample the default corpus down to about this many bytes."
    ),
    executor: ExecutorKind = typer.Option(
        ExecutorKind.local, help="local: a process pool on this machine; ray: the Ray cluster at --ray-address."
    ),
    ray_address: str = typer.Option("auto", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT."),
) -> None:
    """RefineCode: read, preprocess, identify languages, deduplicate, transform, signals, filter, sample (resumable)."""
    from opencoder.io.corpus import default_inputs
    from opencoder.io.readers import InputSpec
    from opencoder.recipes import load_recipe
    from opencoder.refine.pipeline import RunOptions, run_refine

    pairs = [InputSpec(str(p)) for p in inputs] if inputs else default_inputs(corpus_bytes)
    options = RunOptions(workers=workers, on_error=on_error.value, repo_depth=repo_depth)
    runner = None
    if executor is ExecutorKind.ray:
        from opencoder.engine.ray_executor import RayExecutor

        runner = RayExecutor(ray_address)
    manifest = run_refine(pairs, out, load_recipe(recipe), options, runner)
    _print_summary("refine", out, manifest)


def _print_summary(command: str, out: Path, manifest: dict) -> None:
    """Per stage: documents in, kept, removed and the top removal reasons; then where the outputs are."""
    from rich.console import Console
    from rich.table import Table

    table = Table("stage", "in", "kept", "removed", "top reasons", title=f"{command}: {out}")
    for s in manifest["stages"]:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["reasons"].items(), key=lambda kv: -kv[1])[:3])
        table.add_row(s["name"], str(s["in"]), str(s["kept"]), str(s["removed"]), reasons)
    Console().print(table)
    typer.echo(f"kept: {out / 'kept'}  removed: {out / 'removed'}  manifest: {out / 'manifest.json'}")


@app.command()
def signals(
    inputs: list[Path] = typer.Argument(..., help="Directory trees, .jsonl[.gz|.zst], .parquet, HF save_to_disk dirs."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (signals/, kept/, removed/, manifest.json)."),
    recipe: Path | None = typer.Option(None, help="YAML recipe: its seed, compat, columns and signals/filter params."),
    workers: int = typer.Option(os.cpu_count() or 1, min=1, help="Worker processes."),
    repo_depth: int = typer.Option(1, min=0, help="Directory trees: folders under the root that name the repository."),
) -> None:
    """Quality signals and filter decisions for INPUT as given: language ID, signals, rules (no dedup, no rewrite)."""
    from opencoder.io.readers import InputSpec
    from opencoder.recipes import load_recipe
    from opencoder.refine.pipeline import RunOptions, run_refine
    from opencoder.refine.signals.runner import signals_recipe

    options = RunOptions(workers=workers, repo_depth=repo_depth)
    manifest = run_refine([InputSpec(str(p)) for p in inputs], out, signals_recipe(load_recipe(recipe)), options)
    _print_summary("signals", out, manifest)
    typer.echo(f"signals: {out / 'signals'}")


@app.command("filter")
def filter_(
    run_dir: Path = typer.Argument(..., help="The --out folder of a finished `opencoder refine` or `signals`."),
    rules: Path | None = typer.Option(None, help="YAML rules laid over the shipped configs; default: the run's."),
) -> None:
    """Re-apply filter rules to a run's stored signals (no recomputation): rewrites kept/ and removed/."""
    from opencoder.refine.refilter import refilter_run

    total = refilter_run(run_dir, rules)
    _print_summary("filter", run_dir, {"stages": [{"name": "filter", **total}]})


@app.command()
def dedup(
    inputs: list[Path] = typer.Argument(..., help="Parquet or .jsonl[.gz|.zst] files, directory trees, HF datasets."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (kept/, removed/, clusters.parquet, manifest)."),
    recipe: Path | None = typer.Option(
        None, help="YAML recipe whose seed, columns and fuzzy_dedup params to use; default recipes/refinecode.yaml."
    ),
    workers: int = typer.Option(os.cpu_count() or 1, min=1, help="Worker processes."),
) -> None:
    """Fuzzy dedup alone (MinHash LSH, the paper's settings) on any dataset: near-duplicates go to removed/."""
    from opencoder.io.readers import InputSpec
    from opencoder.recipes import load_recipe
    from opencoder.refine.fuzzy_dedup import dedup_recipe
    from opencoder.refine.pipeline import RunOptions, run_refine

    dedup = dedup_recipe(load_recipe(recipe), str(recipe or "the default recipe"))
    manifest = run_refine([InputSpec(str(p)) for p in inputs], out, dedup, RunOptions(workers=workers))
    _print_summary("dedup", out, manifest)
    typer.echo(f"clusters: {out / 'clusters.parquet'}")


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="The --out folder of a finished `opencoder refine`."),
    out: Path | None = typer.Option(None, help="Where to write the page (default: RUN_DIR/report.html)."),
    samples: int = typer.Option(3, min=0, help="Removed documents shown per removal reason."),
) -> None:
    """Write an HTML report of a run: funnel per stage, languages, removal reasons and samples."""
    from opencoder.report import write_report

    typer.echo(write_report(run_dir, out, samples_per_reason=samples))


@app.command()
def demo(
    out: Path = typer.Option(Path(".demo"), help="Demo folder; the run lands in OUT/run."),
    max_mb: float | None = typer.Option(None, min=0.001, help="Megabytes of this machine's code to read [32]."),
    workers: int | None = typer.Option(None, min=1, help="Worker processes (default: all cores)."),
    fresh: bool = typer.Option(False, "--fresh", help="Start over; otherwise steps whose output exists are skipped."),
    train_steps: int = typer.Option(DemoScale.train_steps, min=1, help="Pretraining steps of the tiny model."),
    eval_tasks: int = typer.Option(DemoScale.eval_tasks, min=1, help="HumanEval problems to evaluate (the first N)."),
) -> None:
    """Refine a sample of the code on this machine, train a tokenizer and a tiny model on it, evaluate the model on
    HumanEval and write the report; prints each step's wall time and the report's path."""
    from opencoder.demo import run_demo

    scale = DemoScale(train_steps=train_steps, eval_tasks=eval_tasks)
    ctx = run_demo(out, None if max_mb is None else int(max_mb * 1e6), workers, fresh, scale)
    typer.echo(ctx.outputs["report"])


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
    benchmark: str = typer.Option(..., "--benchmark", "-b", help="humaneval, humaneval+, mbpp, mbpp+, mbpp_sanitized"),
    samples: Path = typer.Option(None, help="Score this JSONL of {task_id, completion|solution} instead of a model."),
    model: str = typer.Option(None, help="Generate with this transformers model: a folder or a .gguf file."),
    server: str = typer.Option(None, help="Generate through this OpenAI-compatible server, e.g. http://127.0.0.1:8000"),
    model_name: str = typer.Option("default", help="--server: the model name to ask for."),
    chat: bool = typer.Option(
        None, "--chat/--base", help="Prompt as an instruct (chat) or a base model [default: chat if it has a template]."
    ),
    n: int = typer.Option(1, help="Completions per task."),
    temperature: float = typer.Option(0.0, help="0 is greedy (then n must be 1)."),
    max_tokens: int = typer.Option(512, help="New tokens per completion at most."),
    batch_size: int = typer.Option(8, help="--model: prompts per forward batch."),
    limit: int = typer.Option(
        None, min=1, help="Only the benchmark's first N tasks (with --samples: other tasks' samples are left out)."
    ),
    data: Path = typer.Option(None, help="Benchmark JSONL(.gz) to use instead of the bundled copy (needed for mbpp+)."),
    out: Path = typer.Option(None, help="Output folder [default: runs/eval/<benchmark>]."),
    k: str = typer.Option("1", help="pass@k values, comma-separated; each needs at least k samples per task."),
    workers: int = typer.Option(None, help="Programs run at once [default: cores + 1]."),
    timeout: float = typer.Option(3.0, help="Wall-clock seconds per program (OpenCodeEval: 3)."),
    memory_mb: int = typer.Option(2048, help="Address-space limit per program, MiB."),
    isolation: str = typer.Option("auto", help="auto (bubblewrap if it works), bwrap (required) or none."),
    base_only: bool = typer.Option(False, "--base-only", help="HumanEval+/MBPP+: skip the plus inputs."),
    sanitize: bool = typer.Option(False, "--sanitize", help="Apply AST answer extraction to --samples too."),
    imports: bool = typer.Option(
        None, "--imports/--no-imports", help="Prepend OpenCodeEval's imports [default: on, off for humaneval+/mbpp+]."
    ),
) -> None:
    """Evaluate a model (--model or --server) or existing completions (--samples) on a benchmark, in the
    sandbox: results.json, samples.jsonl, report.md."""
    from opencoder.eval.run import EvalOptions, evaluate_model, evaluate_samples

    if isolation not in ("auto", "bwrap", "none"):
        raise OpencoderError(f"--isolation must be auto, bwrap or none, got {isolation!r}")
    if sum(x is not None for x in (samples, model, server)) != 1:
        raise OpencoderError("give exactly one of --samples FILE, --model PATH or --server URL")
    options = EvalOptions(
        benchmark=benchmark,
        out=out or Path("runs/eval") / benchmark.replace("+", "plus"),
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
    summary = ", ".join(f"{name} {value:.4f}" for name, value in scores.pass_at_k.items())
    typer.echo(f"{scores.benchmark}: {summary} over {len(scores.per_task)} tasks; results in {options.out}")


def main() -> None:
    """Entry point: run the app; user errors become one line on stderr and exit status 2."""
    try:
        app()
    except OpencoderError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
