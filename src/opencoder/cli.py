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


@app.command()
def version() -> None:
    """Print the package version."""
    typer.echo(__version__)


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
        ..., "--benchmark", "-b", help="humaneval, humaneval+, mbpp, mbpp+, mbpp_sanitized"
    ),
    samples: Path = typer.Option(
        None, help="Score this JSONL of {task_id, completion|solution} instead of a model."
    ),
    data: Path = typer.Option(
        None, help="Benchmark JSONL(.gz) to use instead of the bundled copy (needed for mbpp+)."
    ),
    out: Path = typer.Option(None, help="Output folder [default: runs/eval/<benchmark>]."),
    k: str = typer.Option(
        "1", help="pass@k values, comma-separated; each needs at least k samples per task."
    ),
    workers: int = typer.Option(None, help="Programs run at once [default: cores + 1]."),
    timeout: float = typer.Option(3.0, help="Wall-clock seconds per program (OpenCodeEval: 3)."),
    memory_mb: int = typer.Option(2048, help="Address-space limit per program, MiB."),
    isolation: str = typer.Option("auto", help="auto (bubblewrap if it works), bwrap (required) or none."),
    base_only: bool = typer.Option(False, "--base-only", help="HumanEval+/MBPP+: skip the plus inputs."),
    sanitize: bool = typer.Option(False, "--sanitize", help="Apply AST answer extraction to --samples too."),
) -> None:
    """Evaluate code completions on a benchmark in the sandbox: results.json, samples.jsonl, report.md."""
    from opencoder.eval.run import EvalOptions, evaluate_samples

    if isolation not in ("auto", "bwrap", "none"):
        raise OpencoderError(f"--isolation must be auto, bwrap or none, got {isolation!r}")
    if samples is None:
        raise OpencoderError("give --samples FILE (completions to score)")
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
    )
    scores = evaluate_samples(options)
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
