"""The ``opencoder`` command line: thin wrappers that parse arguments and call the library."""

from __future__ import annotations

import os
import sys
from enum import Enum
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


class OnErrorPolicy(str, Enum):
    fail = "fail"
    skip = "skip"


class ExecutorKind(str, Enum):
    local = "local"
    ray = "ray"


def _default_inputs() -> list[tuple[str, str | None]]:
    """The embedded default corpus (the code on this machine), as (path, label) pairs."""
    try:
        from opencoder.io.corpus import default_corpus
    except ImportError:
        raise OpencoderError(
            "no INPUT given, and this build has no default corpus: pass INPUT paths"
        ) from None
    pairs = []
    for item in default_corpus():
        if isinstance(item, (str, Path)):
            pairs.append((str(item), None))
        else:
            path, label = item[0], item[1]
            pairs.append((str(path), label))
    return pairs


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
    repo_depth: int = typer.Option(
        1, min=0, help="Directory trees: folders under the root that name the repository."
    ),
    executor: ExecutorKind = typer.Option(
        ExecutorKind.local, help="local: a process pool on this machine; ray: the Ray cluster at --ray-address."
    ),
    ray_address: str = typer.Option("auto", help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT."),
) -> None:
    """RefineCode: read code, preprocess, identify languages, deduplicate (resumable)."""
    from rich.console import Console
    from rich.table import Table

    from opencoder.recipes import load_recipe
    from opencoder.refine.pipeline import RunOptions, run_refine

    pairs = [(str(p), None) for p in inputs] if inputs else _default_inputs()
    options = RunOptions(workers=workers, on_error=on_error.value, repo_depth=repo_depth)
    runner = None
    if executor is ExecutorKind.ray:
        from opencoder.engine.ray_executor import RayExecutor

        runner = RayExecutor(ray_address)
    manifest = run_refine(pairs, out, load_recipe(recipe), options, runner)
    table = Table("stage", "in", "kept", "removed", "top reasons", title=f"refine: {out}")
    for s in manifest["stages"]:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["reasons"].items(), key=lambda kv: -kv[1])[:3])
        table.add_row(s["name"], str(s["in"]), str(s["kept"]), str(s["removed"]), reasons)
    Console().print(table)
    typer.echo(f"kept: {out / 'kept'}  removed: {out / 'removed'}  manifest: {out / 'manifest.json'}")


def main() -> None:
    """Entry point: run the app; user errors become one line on stderr and exit status 2."""
    try:
        app()
    except OpencoderError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
