"""``opencoder filter RUN_DIR --rules my_rules.yaml``: re-judge a finished run's documents on its stored signals.

Nothing is recomputed: the documents that reached the filter stage (those kept, and those the filter removed)
are joined by id with ``RUN_DIR/signals/<task>.parquet`` and judged again under the new rules. Per task, the
kept file and the filter's removed rows are rewritten (atomically); rows removed by any other stage stay as
they are. Documents in = kept + removed still holds. A document the new rules keep skips the stages after the
filter (if the recipe has any), which the manifest notes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opencoder.errors import OpencoderError
from opencoder.io.schema import DOC_SCHEMA
from opencoder.io.writers import write_json_atomic, write_table_atomic
from opencoder.refine.filter import RuleSet, load_rules, split_by_rules

_DOC_NAMES = DOC_SCHEMA.names


def _filter_spec(manifest: dict[str, Any], run_dir: Path) -> tuple[dict[str, Any], list[str]]:
    """The filter stage's recipe entry and the names of the enabled stages after it."""
    stages = [s for s in manifest["recipe"]["stages"] if s.get("enabled", True)]
    names = [s["name"] for s in stages]
    if "filter" not in names:
        raise OpencoderError(f"{run_dir}: the run has no filter stage to re-apply")
    return stages[names.index("filter")], names[names.index("filter") + 1 :]


def _docs(table: pa.Table) -> pa.Table:
    """The document columns of kept or removed rows, in DOC_SCHEMA's types."""
    return pa.table({f.name: table.column(f.name).cast(f.type) for f in DOC_SCHEMA if f.name in table.column_names})


def _refilter_task(run_dir: Path, task: str, ruleset: RuleSet, seed: int) -> dict[str, Any]:
    signals = pq.read_table(run_dir / "signals" / f"{task}.parquet")
    kept_path = run_dir / "kept" / f"{task}.parquet"
    kept = pq.read_table(kept_path) if kept_path.exists() else None
    removed_paths = sorted((run_dir / "removed").glob(f"{task}-s*.parquet"))
    removed = {p: pq.read_table(p) for p in removed_paths}
    by_filter = [t.filter(pc.equal(t.column("stage"), "filter")) for t in removed.values()]
    candidates = pa.concat_tables([_docs(t) for t in ([kept] if kept is not None else []) + by_filter])
    where = pc.index_in(candidates.column("id"), value_set=signals.column("id"))
    if pc.any(pc.is_null(where)).as_py():
        raise OpencoderError(f"{run_dir}: task {task}: documents without stored signals; rerun the refine")
    stored = signals.take(where)
    for name in stored.column_names[1:]:
        candidates = candidates.append_column(name, stored.column(name))
    result = split_by_rules(candidates, ruleset, seed)

    new_kept = result.kept
    if kept is not None:  # columns added by stages after the filter stay for documents that were kept before
        extra = [c for c in kept.column_names if c not in new_kept.column_names]
        if extra:
            at = pc.index_in(new_kept.column("id"), value_set=kept.column("id"))
            for name in extra:
                new_kept = new_kept.append_column(name, kept.column(name).take(at))
        new_kept = new_kept.select(kept.column_names).cast(kept.schema)
    if new_kept.num_rows:
        write_table_atomic(kept_path, new_kept)
    else:
        kept_path.unlink(missing_ok=True)
    last = removed_paths[-1] if removed_paths else run_dir / "removed" / f"{task}-s0.parquet"
    for path in removed_paths or [last]:
        others = removed.get(path)
        others = others.filter(pc.not_equal(others.column("stage"), "filter")) if others is not None else None
        parts = [t for t in (others, result.removed if path == last else None) if t is not None and t.num_rows]
        if parts:
            write_table_atomic(path, pa.concat_tables(parts))
        else:
            path.unlink(missing_ok=True)
    return {
        "in": candidates.num_rows,
        "kept": result.kept.num_rows,
        "removed": result.removed.num_rows,
        "reasons": pc.value_counts(result.removed.column("reason")).to_pylist() if result.removed.num_rows else [],
        "counters": result.counters,
    }


def refilter_run(run_dir: str | Path, rules: str | Path | None = None) -> dict[str, Any]:
    """Re-apply the filter to RUN_DIR with ``rules`` (laid over the shipped configs); returns the new counts."""
    started = time.perf_counter()
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.is_file():
        raise OpencoderError(f"{run_dir}: no manifest.json; is this the --out folder of a finished run?")
    manifest = orjson.loads(manifest_path.read_bytes())
    spec, after = _filter_spec(manifest, run_dir)
    rules_path = rules if rules is not None else spec.get("params", {}).get("rules")
    ruleset = load_rules(rules_path)
    seed = int(manifest["recipe"].get("seed", 42))
    total = {"in": 0, "kept": 0, "removed": 0, "reasons": {}, "counters": {}}
    for path in sorted((run_dir / "signals").glob("*.parquet")):
        counts = _refilter_task(run_dir, path.stem, ruleset, seed)
        for key in ("in", "kept", "removed"):
            total[key] += counts[key]
        for item in counts["reasons"]:
            total["reasons"][item["values"]] = total["reasons"].get(item["values"], 0) + item["counts"]
        for k, v in counts["counters"].items():
            total["counters"][k] = total["counters"].get(k, 0) + v
    kept_before = next(s["kept"] for s in manifest["stages"] if s["name"] == "filter")
    for stage in manifest["stages"]:
        if stage["name"] == "filter":
            stage.update({k: total[k] for k in ("in", "kept", "removed", "reasons", "counters")})
    manifest["documents"]["kept"] = sum(
        pq.ParquetFile(p).metadata.num_rows for p in (run_dir / "kept").glob("*.parquet")
    )
    manifest["documents"]["removed"] = manifest["documents"]["in"] - manifest["documents"]["kept"]
    manifest.setdefault("refilter", []).append(
        {
            "rules": str(rules_path) if rules_path is not None else None,
            "filter_kept": kept_before,
            "skipped_later_stages": after,
            "seconds": round(time.perf_counter() - started, 3),
        }
    )
    write_json_atomic(manifest_path, manifest)
    return total
