"""Throughput of transform + signals + filter on the machine's own code, against baselines run on the same files.

    python benchmarks/signals_throughput.py --mb 20 [--compat opc] [--batch 256]

Reads a deterministic sample of the default corpus (Python stdlib and site-packages, /usr/include, /usr/share,
node modules; see opencoder.io.corpus), identifies languages with the langid stage, then times, in this one
process (so per core): the transform stage (when the module exists), the signals stage, the filter stage. It
prints docs/s and MB/s per core (CPU time and wall time), peak RSS, the time per signal family, the share of
documents kept per language, and two baselines on the same texts: a plain read + line split, and the released
code's reported 0.27 MB/s (SPEC §1.5, ANCHORS.md; the released code needs its own environment).
"""

from __future__ import annotations

import argparse
import importlib
import resource
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa

from opencoder.engine.stage import StageContext
from opencoder.io.corpus import default_corpus
from opencoder.refine.filter import FilterParams, build_filter
from opencoder.refine.langid import LangId
from opencoder.refine.registry import stage_entry
from opencoder.refine.signals.runner import SignalsParams, build_signals

RELEASED_MB_S = 0.27  # OpenCoder's opc_data_filtering on 50 MB of this machine's files, one core (ANCHORS.md)


def load(mb: float) -> pa.Table:
    """The sample as a documents table (id, text, path, lang, doc_type, size), unknown/excluded dropped."""
    ids, texts, paths, sizes = [], [], [], []
    for root in default_corpus(int(mb * 1_000_000)):
        for rel in root.files:
            data = (Path(root.root) / rel).read_bytes()
            if not data or b"\0" in data[:8000]:
                continue  # empty files (the capped sample holds thousands of __init__.py) and binary ones
            ids.append(f"{root.label}/{rel}")
            texts.append(data.decode("utf-8", "replace"))
            paths.append(rel)
            sizes.append(len(data))
    lang, doc_type = LangId().identify(pa.array(paths, pa.string()))
    table = pa.table(
        {"id": ids, "text": pa.array(texts, pa.large_string()), "path": paths, "lang": lang, "doc_type": doc_type}
    ).append_column("size", pa.array(sizes, pa.int64()))
    keep = pa.compute.is_in(table.column("doc_type"), pa.array(["code", "data", "text"]))
    return table.filter(keep)


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def baseline_line_split(texts: list[str]) -> int:
    return sum(len(t.split("\n")) for t in texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="sample size of the default corpus (MB)")
    parser.add_argument("--compat", choices=["fixed", "opc"], default="fixed")
    parser.add_argument("--batch", type=int, default=256, help="documents per batch")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    table = load(args.mb)
    texts = table.column("text").to_pylist()
    mb = sum(table.column("size").to_pylist()) / 1e6
    n = table.num_rows
    print(f"corpus: {n} documents, {mb:.1f} MB, compat={args.compat}")

    ctx = StageContext(seed=args.seed, run_dir=Path("."), compat=args.compat)
    stages = []
    try:
        importlib.import_module("opencoder.refine.transform")
        entry = stage_entry("transform")
        stages.append(entry.build(entry.params(), ctx))
    except (ImportError, KeyError):
        print("transform: stage not available in this checkout; timing signals + filter only")
    stages += [build_signals(SignalsParams(), ctx), build_filter(FilterParams(), ctx)]

    _, wall, cpu = timed(baseline_line_split, texts)
    print(f"baseline read + line split: {mb / cpu:9.1f} MB/s per core (cpu)")

    seconds = {s.name: [0.0, 0.0] for s in stages}
    counters: Counter[str] = Counter()
    kept_langs: Counter[str] = Counter()
    for start in range(0, n, args.batch):
        batch = table.slice(start, args.batch)
        for stage in stages:
            result, wall, cpu = timed(stage.process, batch)
            seconds[stage.name][0] += wall
            seconds[stage.name][1] += cpu
            counters.update(result.counters)
            batch = result.kept
        kept_langs.update(batch.column("lang").to_pylist())

    total_wall = sum(w for w, _ in seconds.values())
    total_cpu = sum(c for _, c in seconds.values())
    print(f"{'stage':<10} {'cpu s':>8} {'MB/s/core':>10}")
    for name, (_, cpu) in seconds.items():
        print(f"{name:<10} {cpu:8.2f} {mb / cpu:10.2f}")
    print(
        f"end to end: {n / total_cpu:.0f} docs/s, {mb / total_cpu:.2f} MB/s per core (cpu time), "
        f"{mb / total_wall:.2f} MB/s (wall); {mb / total_cpu / RELEASED_MB_S:.1f}x the released code's "
        f"{RELEASED_MB_S} MB/s"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    family_ms = {k[3:]: v for k, v in counters.items() if k.startswith("ms_")}
    print("signal time per family: " + ", ".join(f"{k} {v / 1000:.2f} s" for k, v in sorted(family_ms.items())))
    all_langs = Counter(table.column("lang").to_pylist())
    print(f"{'language':<16} {'docs':>6} {'kept':>6} {'share':>6}")
    for lang, total in all_langs.most_common(15):
        print(f"{lang:<16} {total:6d} {kept_langs[lang]:6d} {kept_langs[lang] / total:6.2f}")
    print(f"{'all':<16} {n:6d} {sum(kept_langs.values()):6d} {sum(kept_langs.values()) / n:6.2f}")


if __name__ == "__main__":
    main()
