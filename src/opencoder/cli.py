"""The ``opencoder`` command line: thin wrappers that parse arguments and call the library."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from opencoder import __version__
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
    from opencoder.train.loop import train as run_train
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

    def show(r: dict) -> None:
        mfu = f" mfu {r['mfu']:.1%}" if r["mfu"] is not None else ""
        typer.echo(f"step {r['step']} loss {r['loss']:.4f} lr {r['lr']:.3g} {r['tokens_per_s']:.0f} tok/s{mfu}")

    last = run_train(rec, out, on_log=show)
    typer.echo(f"done at step {last.get('step', 'resumed-complete')}: {out / 'hf'}")


def main() -> None:
    """Entry point: run the app; user errors become one line on stderr and exit status 2."""
    try:
        app()
    except OpencoderError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
