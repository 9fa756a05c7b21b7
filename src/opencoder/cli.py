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


def main() -> None:
    """Entry point: run the app; user errors become one line on stderr and exit status 2."""
    try:
        app()
    except OpencoderError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
