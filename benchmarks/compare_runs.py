"""Are two run folders the same run? Compares what a run decided, not how long it took.

    python benchmarks/compare_runs.py RUN_A RUN_B [RUN_C ...]

For each folder after the first, against the first: the kept documents (every column, rows ordered by id), the
removed documents (id, stage, reason, duplicate_of, rules, detail and the document columns), every signal column
of ``signals/`` where the runs have it, ``clusters.parquet`` where they have it, and the manifest's per-stage counts
(in, kept, removed, reasons, counters other than timings). Prints one line per folder and exits 1 on any
difference, naming the first one found per part.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TIMING_COUNTERS = ("ms_",)  # signal-family milliseconds: wall time, not a decision


def table(paths: list[Path]) -> pa.Table | None:
    """The rows of ``paths`` as one table ordered by id (then stage, for removed rows); None when there are none."""
    tables = [pq.read_table(p) for p in paths]
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return None
    rows = pa.concat_tables(tables, promote_options="permissive")
    keys = [("id", "ascending")] + ([("stage", "ascending")] if "stage" in rows.column_names else [])
    return rows.take(pc.sort_indices(rows, sort_keys=keys))


def differs(a: pa.Table | None, b: pa.Table | None) -> str | None:
    """Where two tables differ (None: they are equal; NaN equals NaN)."""
    if a is None and b is None:
        return None
    if a is None or b is None or a.num_rows != b.num_rows:
        return f"rows: {0 if a is None else a.num_rows} vs {0 if b is None else b.num_rows}"
    if sorted(a.column_names) != sorted(b.column_names):
        return f"columns: {sorted(set(a.column_names) ^ set(b.column_names))}"
    for name in a.column_names:
        x, y = a.column(name), b.column(name).cast(a.column(name).type)
        if not x.equals(y):
            xs, ys = x.to_pylist(), y.to_pylist()
            for i, (u, v) in enumerate(zip(xs, ys, strict=True)):
                if u != v and not (isinstance(u, float) and isinstance(v, float) and u != u and v != v):
                    return f"column {name}, id {a.column('id')[i]}: {u!r} vs {v!r}"
    return None


def counts(run: Path) -> list[dict]:
    """The manifest's per-stage decisions, timings left out."""
    manifest = json.loads((run / "manifest.json").read_text())
    out = []
    for s in manifest["stages"]:
        counters = {k: v for k, v in s["counters"].items() if not k.startswith(TIMING_COUNTERS)}
        out.append({k: s[k] for k in ("name", "in", "kept", "removed", "reasons")} | {"counters": counters})
    return out


def parts(run: Path) -> dict[str, pa.Table | None]:
    found = {
        "kept": table(sorted((run / "kept").glob("*.parquet"))),
        "removed": table(sorted((run / "removed").glob("*.parquet"))),
        "signals": table(sorted((run / "signals").glob("*.parquet"))),
    }
    if (run / "clusters.parquet").exists():
        found["clusters"] = table([run / "clusters.parquet"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+", help="run folders; each is compared with the first")
    args = parser.parse_args()
    base, base_counts = parts(args.runs[0]), counts(args.runs[0])
    sizes = ", ".join(f"{k} {0 if t is None else t.num_rows}" for k, t in base.items())
    print(f"{args.runs[0]}: {sizes}")
    failed = False
    for run in args.runs[1:]:
        other = parts(run)
        problems = [f"{k}: {d}" for k in base.keys() | other.keys() if (d := differs(base.get(k), other.get(k)))]
        if counts(run) != base_counts:
            problems.append("manifest stage counts differ")
        failed |= bool(problems)
        print(f"{run}: {'identical' if not problems else 'DIFFERENT: ' + '; '.join(sorted(problems))}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
