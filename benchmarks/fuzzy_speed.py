"""Fuzzy dedup speed and memory, ours against datatrove's MinHash stages on the same corpus in the same run.

Run: ``python benchmarks/fuzzy_speed.py --datatrove PYTHON [--mb 30] [--small-mb 10] [--out DIR]``, PYTHON being an
interpreter with datatrove installed (``python -m venv V && V/bin/pip install datatrove``). The corpora and runs
(~100 MB) go to a temporary folder, removed at the end, unless ``--out`` names one to keep.

Both sides run end to end in a subprocess of their own, one worker, at the same settings (5-gram shingles over
whitespace-separated words, 2,048 permutations, 16 bands x 128 rows): ours is ``opencoder dedup`` on a Parquet
file (read, signatures, band keys, buckets, clusters, write kept/removed/clusters), datatrove's is its four
stages on the same documents as JSONL (benchmarks/datatrove_minhash.py). Per core means per CPU-second, so the
figures hold on a shared machine. Our peak RSS is measured at two corpus sizes to show that it is bounded by
the batch and row group (256 documents, 1,024 rows here), not by the corpus. The signature step alone
(shingling + MinHash + band keys) is timed in this process for both shingle units.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fuzzy_corpus import build_corpus

HERE = Path(__file__).resolve().parent
# Memory is bounded by the batch and by the kept row group buffered before a write, not by the corpus: set both
# small so that two corpus sizes show it (the recipe defaults, 2,048 documents and 50,000 rows, exceed these corpora).
BATCH_DOCS = 256
ROW_GROUP_ROWS = 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_ours(corpus: Path, out: Path) -> dict:
    """``opencoder dedup`` in this process (one worker runs in-process): wall, CPU, peak RSS, removed."""
    from opencoder.engine.recipe import load_recipe
    from opencoder.engine.runner import RunOptions, run_recipe
    from opencoder.io.readers import InputSpec
    from opencoder.refine.fuzzy_dedup import dedup_recipe

    recipe = dedup_recipe(load_recipe(), "default")
    engine = recipe.engine.model_copy(update={"batch_docs": BATCH_DOCS, "row_group_rows": ROW_GROUP_ROWS})
    t0, c0 = time.perf_counter(), cpu_seconds()
    manifest = run_recipe([InputSpec(str(corpus))], out, recipe.model_copy(update={"engine": engine}), RunOptions())
    return {
        "wall_s": round(time.perf_counter() - t0, 3),
        "cpu_s": round(cpu_seconds() - c0, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "removed": manifest["documents"]["removed"],
        "timings": manifest["timings"],
    }


def signature_step(corpus: Path) -> dict[str, float]:
    """MB per CPU-second of shingling + MinHash (2,048) + band keys (16 x 128), per shingle unit."""
    from opencoder.engine import minhash

    table = pq.read_table(corpus, columns=["text", "size"])
    mb = pc.sum(table.column("size")).as_py() / 1e6
    rates = {}
    for unit in minhash.SHINGLE_UNITS:
        c0 = cpu_seconds()
        sigs, _ = minhash.signatures(table.column("text"), unit=unit, shingle_size=5, num_perm=2048, seed=42)
        minhash.band_keys(sigs, bands=16, rows=128, seed=42)
        rates[unit] = round(mb / (cpu_seconds() - c0), 1)
    return rates


def subprocess_json(cmd: list[str]) -> dict:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def corpus_files(mb: float, out: Path) -> tuple[Path, Path, int, float]:
    """The corpus as Parquet (ours) and JSONL (datatrove): paths, documents, MB."""
    table = build_corpus(int(mb * 1e6), out / f"corpus-{mb:g}mb.parquet")
    jsonl = out / f"corpus-{mb:g}mb" / "corpus.jsonl"
    jsonl.parent.mkdir(parents=True, exist_ok=True)
    with jsonl.open("wb") as f:
        for row in table.select(["id", "text"]).to_pylist():
            f.write(orjson.dumps(row) + b"\n")
    return out / f"corpus-{mb:g}mb.parquet", jsonl, table.num_rows, pc.sum(table.column("size")).as_py() / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=30, help="corpus size for the comparison (MB)")
    parser.add_argument("--small-mb", type=float, default=10, help="second, smaller size for our peak RSS")
    parser.add_argument("--datatrove", help="a Python with datatrove installed (the baseline)")
    parser.add_argument(
        "--out", type=Path, help="keep corpora, runs and fuzzy_speed.json here (default: a temp folder)"
    )
    parser.add_argument("--ours", nargs=2, metavar=("CORPUS", "OUT"), help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.ours:
        print(json.dumps(run_ours(Path(args.ours[0]), Path(args.ours[1]))))
        return
    if not args.datatrove:
        parser.error("--datatrove PYTHON is required: the ratio is ours against datatrove, measured in this run")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        compare(args)
        return
    with tempfile.TemporaryDirectory(prefix="oc-fuzzy-speed-") as tmp:
        args.out = Path(tmp)
        compare(args)


def compare(args: argparse.Namespace) -> None:
    """Ours at two sizes and datatrove at the larger one, in subprocesses; prints the table and the ratio."""
    me = [sys.executable, str(Path(__file__).resolve()), "--ours"]
    rows = {}
    for mb in (args.small_mb, args.mb):
        parquet, jsonl, docs, size = corpus_files(mb, args.out)
        run = args.out / f"ours-{mb:g}mb"
        subprocess.run(["rm", "-rf", str(run)], check=True)
        rows[f"ours {size:.1f} MB"] = {**subprocess_json([*me, str(parquet), str(run)]), "docs": docs, "mb": size}
    signature = signature_step(parquet)
    work = args.out / "datatrove-work"
    subprocess.run(["rm", "-rf", str(work)], check=True)
    theirs = subprocess_json([args.datatrove, str(HERE / "datatrove_minhash.py"), str(jsonl), str(work)])
    rows[f"datatrove {size:.1f} MB"] = {**theirs, "docs": docs, "mb": size}

    print(
        f"{'run':<22} {'docs':>6} {'MB':>6} {'wall s':>8} {'CPU s':>8} {'docs/s':>8} {'MB/s/core':>10} "
        f"{'peak RSS MB':>12} {'removed':>8}"
    )
    for name, r in rows.items():
        print(
            f"{name:<22} {r['docs']:>6} {r['mb']:>6.1f} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} "
            f"{r['docs'] / r['wall_s']:>8.1f} {r['mb'] / r['cpu_s']:>10.2f} {r['peak_rss_mb']:>12.0f} {r['removed']:>8}"
        )
    ours = rows[f"ours {size:.1f} MB"]
    ratio = theirs["cpu_s"] / ours["cpu_s"]  # same corpus: the ratio of MB per CPU-second
    print(f"\nend to end, per core: ours / datatrove = {ratio:.1f}x")
    stages = ", ".join(f"{k} {v['cpu_s']}" for k, v in theirs["stages"].items())
    print(f"datatrove stages (CPU s): {stages}")
    print(f"signature step alone (MB per CPU-second): {signature}")
    (args.out / "fuzzy_speed.json").write_text(
        json.dumps({"runs": rows, "ratio_per_core": round(ratio, 2), "signature_mb_per_cpu_s": signature}, indent=2)
    )


if __name__ == "__main__":
    main()
