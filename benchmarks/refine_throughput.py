"""Refine throughput (ingest + language ID + exact dedup) on the embedded default corpus, against a floor.

The floor reads the same files and hashes them with SHA-256 in one plain loop, in one process: the least any
refine must do. Each measurement runs in its own process while this one samples the resident memory of its
whole process tree, so the peak includes the worker pool. Two corpus sizes show whether memory grows with the
corpus; the ratio compares throughput per core (ours divided by its workers) with the one-core floor.

    PYTHONPATH=src python benchmarks/refine_throughput.py --sizes-mb 50 200 --workers 1 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from opencoder.io.corpus import default_corpus
from opencoder.io.readers import InputSpec
from opencoder.recipes import load_recipe, parse_recipe
from opencoder.refine.pipeline import RunOptions, run_refine

STAGES = ("preprocess", "langid", "exact_dedup")
SAMPLE_EVERY_S = 0.05


def corpus(size_mb: float) -> list[InputSpec]:
    """The default corpus capped at ``size_mb``: the same files on every call."""
    return [InputSpec(str(r.root), r.label, r.files) for r in default_corpus(int(size_mb * 1e6))]


def floor(inputs: list[InputSpec]) -> dict[str, float]:
    """Read every listed file and SHA-256 it, in one plain loop."""
    docs = nbytes = 0
    started = time.perf_counter()
    for spec in inputs:
        for rel in spec.files:
            with open(os.path.join(spec.path, rel), "rb") as fh:
                data = fh.read()
            hashlib.sha256(data).digest()
            docs += 1
            nbytes += len(data)
    return {"docs": docs, "bytes": nbytes, "seconds": time.perf_counter() - started}


def refine(inputs: list[InputSpec], run_dir: str, workers: int) -> dict[str, float]:
    """The default recipe's ingest, language ID and exact dedup, as `opencoder refine` runs them."""
    recipe = load_recipe(None).model_dump(mode="json")
    recipe["stages"] = [s for s in recipe["stages"] if s["name"] in STAGES]
    started = time.perf_counter()
    manifest = run_refine(inputs, run_dir, parse_recipe(recipe), RunOptions(workers=workers))
    seconds = time.perf_counter() - started
    nbytes = sum(i["bytes"] for i in manifest["inputs"])
    return {"docs": manifest["stages"][0]["in"], "bytes": nbytes, "seconds": seconds}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes-mb", type=float, nargs="+", default=[50, 200], help="corpus caps to measure")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="refine worker counts")
    parser.add_argument("--child", choices=["floor", "refine"], help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one measurement, in a process of its own
        inputs = corpus(args.sizes_mb[0])
        result = floor(inputs) if args.child == "floor" else refine(inputs, args.run_dir, args.workers[0])
        print(json.dumps(result))
        return

    header = f"{'corpus':>8} {'run':>10} {'docs':>7} {'MB':>7} {'s':>7} {'docs/s':>8} {'MB/s':>7}"
    print(f"{header} {'MB/s/core':>9} {'floor/ours':>10} {'peak RSS MB':>11}")
    with tempfile.TemporaryDirectory(prefix="oc-bench-") as tmp:
        for size in args.sizes_mb:
            sized = ["--sizes-mb", str(size)]
            measure(["--child", "floor", *sized])  # warms the page cache; not reported
            base = measure(["--child", "floor", *sized])
            _row(size, "floor", 1, base, base)
            for workers in args.workers:
                run_dir = str(Path(tmp) / f"run{size:g}-{workers}")
                ours = measure(["--child", "refine", *sized, "--workers", str(workers), "--run-dir", run_dir])
                _row(size, f"refine w{workers}", workers, ours, base)


def _row(size: float, name: str, cores: int, r: dict[str, float], base: dict[str, float]) -> None:
    mbps = r["bytes"] / 1e6 / r["seconds"]
    per_core = mbps / cores
    base_mbps = base["bytes"] / 1e6 / base["seconds"]
    print(
        f"{size:>6g}MB {name:>10} {r['docs']:>7,.0f} {r['bytes'] / 1e6:>7.1f} {r['seconds']:>7.2f}"
        f" {r['docs'] / r['seconds']:>8,.0f} {mbps:>7.1f} {per_core:>9.1f} {base_mbps / per_core:>9.1f}x"
        f" {r['peak_rss'] / 1e6:>11.0f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
