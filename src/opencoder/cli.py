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
    out: Path = typer.Option(Path(".demo"), help="Demo folder; the run lands in OUT/run (replaced each time)."),
    max_mb: float | None = typer.Option(None, min=0.001, help="Megabytes of this machine's code to read [64]."),
    workers: int | None = typer.Option(None, min=1, help="Worker processes (default: all cores)."),
) -> None:
    """Refine a sample of the code on this machine and write its report; prints the report's path."""
    from opencoder.demo import run_demo

    ctx = run_demo(out, None if max_mb is None else int(max_mb * 1e6), workers)
    typer.echo(ctx.outputs["report"])


def main() -> None:
    """Entry point: run the app; user errors become one line on stderr and exit status 2."""
    try:
        app()
    except OpencoderError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
