"""Refine throughput (ingest + language ID + exact dedup) on the embedded default corpus, against a floor.

The floor reads the same files and hashes them with SHA-256 in one plain loop, in one process: the least any
refine must do. Each measurement runs in its own process while this one samples the resident memory of its
whole process tree, so the peak includes the worker pool; several corpus sizes show whether memory grows with
the corpus (``over floor``: our peak minus the floor's, whose process holds the same file list).

Per core is measured in CPU time (user + system, the pool's workers included), which the other programs on a
shared machine distort far less than wall time: ``floor/ours`` is our CPU seconds over the floor's for the same
files. ``excl. start-up`` subtracts the CPU a spawned pool worker spends starting (interpreter, imports, stage
set-up), measured in the same run; wall-clock figures are printed beside them.

    PYTHONPATH=src python benchmarks/refine_throughput.py --sizes-mb 50 200 800 --workers 1 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

import psutil
import rich.progress  # noqa: F401  (the progress bars import it on first use: imports are not measured)

from opencoder.engine.recipe import Recipe, load_recipe, parse_recipe
from opencoder.engine.runner import RunOptions, RunSpec, built_stages, run_recipe
from opencoder.io.corpus import default_inputs
from opencoder.io.readers import InputSpec

STAGES = ("preprocess", "langid", "exact_dedup")
T = TypeVar("T")
SAMPLE_EVERY_S = 0.05


def corpus(size_mb: float) -> list[InputSpec]:
    """The default corpus capped at ``size_mb``: the same files on every call."""
    return default_inputs(int(size_mb * 1e6))


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (a pool's workers, once shut down)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[..., T], *args: object) -> tuple[T, float, float]:
    """``fn(*args)`` with the wall and CPU seconds it took."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = fn(*args)
    return out, time.perf_counter() - wall, cpu_seconds() - cpu


def floor(inputs: list[InputSpec]) -> dict[str, float]:
    """Read every listed file and SHA-256 it, in one plain loop."""

    def loop() -> tuple[int, int]:
        docs = nbytes = 0
        for spec in inputs:
            for rel in spec.files:
                with open(os.path.join(spec.path, rel), "rb") as fh:
                    data = fh.read()
                hashlib.sha256(data).digest()
                docs += 1
                nbytes += len(data)
        return docs, nbytes

    (docs, nbytes), wall, cpu = timed(loop)
    return {"docs": docs, "bytes": nbytes, "seconds": wall, "cpu": cpu}


def cut_recipe() -> Recipe:
    """The default recipe cut to ingest, language ID and exact dedup."""
    recipe = load_recipe(None).model_dump(mode="json")
    recipe["stages"] = [s for s in recipe["stages"] if s["name"] in STAGES]
    return parse_recipe(recipe)


def refine(inputs: list[InputSpec], run_dir: str, workers: int) -> dict[str, float]:
    """The recipe's stages as `opencoder refine` runs them."""
    manifest, wall, cpu = timed(run_recipe, inputs, run_dir, cut_recipe(), RunOptions(workers=workers))
    nbytes = sum(i["bytes"] for i in manifest["inputs"])
    return {"docs": manifest["stages"][0]["in"], "bytes": nbytes, "seconds": wall, "cpu": cpu}


def start_up(run_dir: str, workers: int) -> dict[str, float]:
    """What starting the pool's ``workers - 1`` spawned processes costs: each sets up the stages once."""
    if workers == 1:
        return {"seconds": 0.0, "cpu": 0.0}

    def pool() -> None:
        with ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("spawn")) as ex:
            list(ex.map(built_stages, [RunSpec.of(Path(run_dir), cut_recipe())] * (workers - 1)))

    _, wall, cpu = timed(pool)
    return {"seconds": wall, "cpu": cpu}


def measure(args: list[str]) -> dict[str, float]:
    """Run this script as a child doing one measurement; add the peak RSS of its process tree."""
    child = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    proc = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass  # a worker ended between listing and reading it
        time.sleep(SAMPLE_EVERY_S)
    out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"measurement {args} failed with status {child.returncode}")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_rss": peak}


def best_of(repeat: int, args: list[str]) -> dict[str, float]:
    """The least wall and CPU time (and the highest peak memory) of ``repeat`` measurements: other programs on
    a shared machine only ever add time. A refine gets a fresh run folder each time (else it would resume)."""
    runs = []
    for i in range(repeat):
        fresh = [f"{a}-{i}" if prev == "--run-dir" else a for prev, a in zip(["", *args], args, strict=False)]
        runs.append(measure(fresh))
    best = {k: min(r[k] for r in runs) for k in ("seconds", "cpu")}
    return {**runs[0], **best, "peak_rss": max(r["peak_rss"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes-mb", type=float, nargs="+", default=[50, 200], help="corpus caps to measure")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="refine worker counts")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per row; the least time is shown")
    parser.add_argument("--child", choices=["floor", "refine", "start-up"], help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one measurement, in a process of its own
        workers = args.workers[0]
        if args.child == "start-up":
            result = start_up(args.run_dir, workers)
        else:
            inputs = corpus(args.sizes_mb[0])
            result = floor(inputs) if args.child == "floor" else refine(inputs, args.run_dir, workers)
        print(json.dumps(result))
        return

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load}; CPU = user + system, workers included; best of {args.repeat} per row")
    print(
        f"{'corpus':>8} {'run':>10} {'docs':>7} {'MB':>6} {'wall s':>6} {'CPU s':>6} {'docs/s':>7} {'MB/s':>6}"
        f" {'wall/core':>9} {'MB/CPU-s':>8} {'floor/ours':>10} {'excl. start-up':>14}"
        f" {'peak RSS MB':>11} {'over floor':>10}"
    )
    with tempfile.TemporaryDirectory(prefix="oc-bench-") as tmp:
        costs = {
            w: best_of(args.repeat, ["--child", "start-up", "--workers", str(w), "--run-dir", tmp])
            for w in args.workers
        }
        for w in args.workers[1:] if args.workers[0] == 1 else args.workers:
            print(f"  start-up of {w - 1} pool worker(s): {costs[w]['cpu']:.2f} CPU s, {costs[w]['seconds']:.2f} s")
        for size in args.sizes_mb:
            sized = ["--sizes-mb", str(size)]
            measure(["--child", "floor", *sized])  # warms the page cache; not reported
            base = best_of(args.repeat, ["--child", "floor", *sized])
            _row(size, "floor", 1, base, base, 0.0)
            for workers in args.workers:
                run_dir = str(Path(tmp) / f"run{size:g}-{workers}")
                ours = best_of(
                    args.repeat, ["--child", "refine", *sized, "--workers", str(workers), "--run-dir", run_dir]
                )
                _row(size, f"refine w{workers}", workers, ours, base, costs[workers]["cpu"])


def _row(size: float, name: str, cores: int, r: dict[str, float], base: dict[str, float], start: float) -> None:
    mb = r["bytes"] / 1e6
    wall_ratio = r["seconds"] * cores / base["seconds"]
    print(
        f"{size:>6g}MB {name:>10} {r['docs']:>7,.0f} {mb:>6.1f} {r['seconds']:>6.2f} {r['cpu']:>6.2f}"
        f" {r['docs'] / r['seconds']:>7,.0f} {mb / r['seconds']:>6.1f} {wall_ratio:>8.1f}x {mb / r['cpu']:>8.1f}"
        f" {r['cpu'] / base['cpu']:>9.2f}x {(r['cpu'] - start) / base['cpu']:>13.2f}x {r['peak_rss'] / 1e6:>11.0f}"
        f" {(r['peak_rss'] - base['peak_rss']) / 1e6:>10.0f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
