"""Throughput of transform + signals + filter on the machine's own code, against baselines run on the same files.

    python benchmarks/signals_throughput.py --mb 20 [--compat opc] [--batch 256] [--repeat 3]
        [--released DIR --released-python PYTHON]

Reads a deterministic sample of the default corpus (Python stdlib and site-packages, /usr/include, /usr/share,
node modules; see opencoder.io.corpus), identifies languages with the langid stage, then times, in this one
process (so per core): the transform stage (when the module exists), the signals stage, the filter stage. It
prints docs/s and MB/s per core (CPU time and wall time), peak RSS, the time per signal family, the share of
documents kept per language, the Python parse floor (CPython's parse alone on the sample's Python documents, as
the Python signals run it: the part of them no signal code can remove) and baselines on the same texts: a plain
read + line split and, with --released (a checkout of OpenCoder-llm/opc_data_filtering and a Python with its
requirements), the released code itself, run in a subprocess on the same documents, with how often its keep/drop
decision agrees with ours. The stages' pass is repeated (``--repeat``) and each stage's least CPU time kept: other
programs on a shared machine only ever add time. It prints one ratio, measured in this run: ours against the
released code with ``--released``, else the read + line split baseline against ours.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import resource
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa

from opencoder.engine.registry import stage_entry
from opencoder.engine.stage import StageContext
from opencoder.io.corpus import default_corpus
from opencoder.refine.filter import FilterParams, build_filter
from opencoder.refine.langid import LangId
from opencoder.refine.signals import python as python_signals
from opencoder.refine.signals.runner import SignalsParams, build_signals


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


def build_stages(compat: str, seed: int, timeout_s: float = 10.0) -> list:
    """The transform (where this checkout has it), signals and filter stages."""
    ctx = StageContext(seed=seed, run_dir=Path("."), compat=compat)
    stages = []
    try:
        importlib.import_module("opencoder.refine.transform")
        entry = stage_entry("transform")
        stages.append(entry.build(entry.params(), ctx))
    except (ImportError, KeyError):
        print("transform: stage not available in this checkout; timing signals + filter only")
    return [*stages, build_signals(SignalsParams(timeout_s=timeout_s), ctx), build_filter(FilterParams(), ctx)]


def warm_up(table: pa.Table, stages: list) -> None:
    """One document per language through the stages, left out of the figures: imports (esprima builds its Unicode
    tables), lexers and compiled patterns are paid once per worker process, not per document."""
    first = pa.compute.index_in(pa.array(sorted(set(table.column("lang").to_pylist()))), table.column("lang"))
    warm = table.take(first)
    for stage in stages:
        warm = stage.process(warm).kept


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def baseline_line_split(texts: list[str]) -> int:
    return sum(len(t.split("\n")) for t in texts)


def python_parse_floor(texts: list[str]) -> int:
    """CPython's parse of each Python document as the Python signals run it (for the symbol table, cyclic GC
    paused): a cost no signal code can remove."""
    gc.disable()
    try:
        return sum(map(python_signals.parses, texts))
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="sample size of the default corpus (MB)")
    parser.add_argument("--compat", choices=["fixed", "opc"], default="fixed")
    parser.add_argument("--batch", type=int, default=256, help="documents per batch")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--released", help="checkout of OpenCoder-llm/opc_data_filtering to time on the same files")
    parser.add_argument("--released-python", default="python", help="a Python with the released requirements")
    parser.add_argument("--repeat", type=int, default=3, help="passes of the stages; each stage's least time is kept")
    args = parser.parse_args()

    table = load(args.mb)
    texts = table.column("text").to_pylist()
    mb = sum(table.column("size").to_pylist()) / 1e6
    n = table.num_rows
    print(f"corpus: {n} documents, {mb:.1f} MB, compat={args.compat}")

    stages = build_stages(args.compat, args.seed)

    base_cpu = min(timed(baseline_line_split, texts)[2] for _ in range(args.repeat))
    print(f"baseline read + line split: {mb / base_cpu:9.1f} MB/s per core (cpu)")
    released = run_released(table, args) if args.released else None

    wall = time.perf_counter()
    warm_up(table, stages)
    print(f"start-up (imports, lexers, patterns; once per worker): {time.perf_counter() - wall:.1f} s")

    passes = [run_stages(table, stages, args.batch) for _ in range(args.repeat)]
    seconds = {name: [min(p[0][name][i] for p in passes) for i in (0, 1)] for name in passes[0][0]}
    _, counters, kept_langs, kept_ids = passes[0]

    total_wall = sum(w for w, _ in seconds.values())
    total_cpu = sum(c for _, c in seconds.values())
    print(f"{'stage':<10} {'cpu s':>8} {'MB/s/core':>10}")
    for name, (_, cpu) in seconds.items():
        print(f"{name:<10} {cpu:8.2f} {mb / cpu:10.2f}")
    print(
        f"end to end: {n / total_cpu:.0f} docs/s, {mb / total_cpu:.2f} MB/s per core (cpu time), "
        f"{mb / total_wall:.2f} MB/s (wall); best of {args.repeat} passes"
    )
    langs = table.column("lang").to_pylist()
    python = [t for t, lang in zip(texts, langs, strict=True) if lang == "python"]
    python_mb = (
        sum(s for s, lang in zip(table.column("size").to_pylist(), langs, strict=True) if lang == "python") / 1e6
    )
    _, _, parse_cpu = timed(python_parse_floor, python)
    print(
        f"python parse floor: CPython's parse alone on the {len(python)} Python documents ({python_mb:.1f} MB): "
        f"{parse_cpu:.2f} s, {python_mb / parse_cpu:.1f} MB/s, {parse_cpu / total_cpu:.0%} of end-to-end CPU time"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    family_ms = {k[3:]: v for k, v in counters.items() if k.startswith("ms_")}
    print("signal time per family: " + ", ".join(f"{k} {v / 1000:.2f} s" for k, v in sorted(family_ms.items())))
    all_langs = Counter(table.column("lang").to_pylist())
    print(f"{'language':<16} {'docs':>6} {'kept':>6} {'share':>6}")
    for lang, total in all_langs.most_common(15):
        print(f"{lang:<16} {total:6d} {kept_langs[lang]:6d} {kept_langs[lang] / total:6.2f}")
    print(f"{'all':<16} {n:6d} {sum(kept_langs.values()):6d} {sum(kept_langs.values()) / n:6.2f}")
    if released is not None:
        cpu = released["signals_cpu_s"] + released["filter_cpu_s"]
        ours = set(kept_ids)
        theirs = set(released["kept"])
        agree = sum((i in ours) == (i in theirs) for i in table.column("id").to_pylist()) / n
        print(
            f"released code (same documents, same process model): {n / cpu:.0f} docs/s, {mb / cpu:.2f} MB/s per "
            f"core (cpu); kept {len(theirs)} vs ours {len(ours)}, keep/drop agreement {agree:.1%}"
        )
        print(f"ratio: ours is {cpu / total_cpu:.2f}x the released code's speed (CPU time, this run)")
    else:
        print(f"ratio: the read + line split baseline is {total_cpu / base_cpu:.0f}x ours (CPU time, this run)")


def run_stages(table: pa.Table, stages: list, batch_docs: int) -> tuple:
    """One pass of the stages over ``table`` in batches: (wall and CPU seconds per stage, counters, kept documents
    per language, kept ids)."""
    seconds = {s.name: [0.0, 0.0] for s in stages}
    counters: Counter[str] = Counter()
    kept_langs: Counter[str] = Counter()
    kept_ids: list[str] = []
    for start in range(0, table.num_rows, batch_docs):
        batch = table.slice(start, batch_docs)
        for stage in stages:
            result, wall, cpu = timed(stage.process, batch)
            seconds[stage.name][0] += wall
            seconds[stage.name][1] += cpu
            counters.update(result.counters)
            batch = result.kept
        kept_langs.update(batch.column("lang").to_pylist())
        kept_ids += batch.column("id").to_pylist()
    return seconds, counters, kept_langs, kept_ids


def run_released(table: pa.Table, args: argparse.Namespace) -> dict:
    """The released code on the same documents, in its own interpreter; returns its timings and kept ids."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as f:
        for row in table.to_pylist():
            name = Path(row["path"]).name
            stem, _, ext = name.rpartition(".") if "." in name else (name, "", "")
            record = {"id": row["id"], "text": row["text"], "filename": stem, "ext": ext, "lang": "en"}
            record |= {"size": row["size"], "program_lang": row["lang"], "doc_type": row["doc_type"]}
            f.write(json.dumps(record) + "\n")
    driver = Path(__file__).with_name("opc_released_baseline.py")
    out = subprocess.run(
        [args.released_python, str(driver), args.released, f.name], capture_output=True, text=True, check=True
    )
    Path(f.name).unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
