"""``opencoder filter RUN_DIR --rules my_rules.yaml``: re-judge a finished run's documents on its stored signals.

Nothing is recomputed: per task of the run, the documents that reached the filter stage (those kept, and those the
filter removed) are joined by id with ``RUN_DIR/signals/<task>.parquet`` and judged again by the registered
``filter`` stage under the new rules. Rows removed by any other stage stay as they are; documents in = kept +
removed still holds. A document the new rules keep skips the stages after the filter (if the recipe has any),
which the manifest notes.

It runs like every engine run: one task per run task on the executor (a local pool or Ray), each writing its new
kept and removed files beside the run (``work/refilter-<n>/``) and then its stats file, the completion marker; a
rerun after a crash skips finished tasks. Once all are done the staged files replace the run's (each rename
atomic, the commit itself redone on a rerun) and the manifest records the pass.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opencoder.engine.executor import Executor, LocalExecutor
from opencoder.engine.manifest import StageCounts, merge_stage_stats
from opencoder.errors import OpencoderError
from opencoder.io.schema import DOC_SCHEMA
from opencoder.io.writers import write_json_atomic, write_table_atomic
from opencoder.refine.filter import FilterStage, RuleSet, load_rules


@dataclass(frozen=True)
class RefilterJob:
    run_dir: str
    work: str  # this pass's folder: staged outputs and completion markers
    task: str
    ruleset: RuleSet  # parsed once, by the command
    seed: int


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


def refilter_task(job: RefilterJob) -> dict[str, Any]:
    """One task re-judged: its new kept and removed files staged under the pass's folder, then its stats file."""
    t0 = time.perf_counter()
    run_dir, work, task = Path(job.run_dir), Path(job.work), job.task
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
    stage = FilterStage(job.ruleset, job.seed)
    result = stage.process(candidates)

    replace: list[tuple[str, str]] = []
    delete: list[str] = []

    def stage_file(target: Path, table: pa.Table | None) -> None:
        if table is None:
            delete.append(str(target))
            return
        staged = work / target.parent.name / target.name
        write_table_atomic(staged, table)
        replace.append((str(staged), str(target)))

    new_kept = result.kept
    if kept is not None:  # columns added by stages after the filter stay for documents that were kept before
        extra = [c for c in kept.column_names if c not in new_kept.column_names]
        if extra:
            at = pc.index_in(new_kept.column("id"), value_set=kept.column("id"))
            for name in extra:
                new_kept = new_kept.append_column(name, kept.column(name).take(at))
        new_kept = new_kept.select(kept.column_names).cast(kept.schema)
    stage_file(kept_path, new_kept if new_kept.num_rows else None)
    last = removed_paths[-1] if removed_paths else run_dir / "removed" / f"{task}-s0.parquet"
    for path in removed_paths or [last]:
        others = removed.get(path)
        others = others.filter(pc.not_equal(others.column("stage"), "filter")) if others is not None else None
        parts = [t for t in (others, result.removed if path == last else None) if t is not None and t.num_rows]
        stage_file(path, pa.concat_tables(parts) if parts else None)
    counts = StageCounts(stage.name)
    reasons = result.removed.column("reason").to_pylist()
    counts.add(candidates.num_rows, result.kept.num_rows, reasons, result.counters, time.perf_counter() - t0)
    stats = {"task": task, "stages": [counts.as_dict()], "replace": replace, "delete": delete}
    write_json_atomic(work / "stats" / f"{task}.json", stats)
    return stats


def _start_pass(run_dir: Path, manifest: dict[str, Any], identity: dict[str, Any]) -> Path:
    """This pass's folder. A folder left by a crashed pass with the same rules is resumed; one with other rules is
    started over, unless its commit had begun (then only the same rules may finish it)."""
    n = len(manifest.get("refilter", []))
    work = run_dir / "work" / f"refilter-{n}"
    for stale in (run_dir / "work").glob("refilter-*"):
        if stale != work:  # a finished pass whose folder outlived its manifest entry
            shutil.rmtree(stale)
    marker = work / "pass.json"
    if marker.exists():
        before = orjson.loads(marker.read_bytes())
        if before != identity:
            if (work / "commit").exists():
                raise OpencoderError(
                    f"{run_dir}: an interrupted filter pass with rules {before['rules']} is half committed; "
                    "rerun it with those rules to finish it"
                )
            shutil.rmtree(work)
    if not marker.exists():
        write_json_atomic(marker, identity)
    return work


def _commit(work: Path, task_stats: list[dict[str, Any]]) -> None:
    """Move every task's staged files over the run's (redone as a whole if interrupted: each move is atomic and
    a file already moved is no longer staged)."""
    (work / "commit").touch()
    for stats in task_stats:
        for staged, target in stats["replace"]:
            if os.path.exists(staged):
                os.replace(staged, target)
        for target in stats["delete"]:
            Path(target).unlink(missing_ok=True)


def refilter_run(
    run_dir: str | Path,
    rules: str | Path | None = None,
    workers: int = 1,
    executor: Executor | None = None,
) -> dict[str, Any]:
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
    digest = hashlib.sha256(Path(rules_path).read_bytes()).hexdigest() if rules_path is not None else None
    work = _start_pass(run_dir, manifest, {"rules": str(rules_path) if rules_path else None, "sha256": digest})
    tasks = [p.stem for p in sorted((run_dir / "signals").glob("*.parquet"))]
    jobs = [
        RefilterJob(str(run_dir), str(work), task, ruleset, seed)
        for task in tasks
        if not (work / "stats" / f"{task}.json").exists()
    ]
    local = LocalExecutor(workers) if executor is None else None
    try:
        (executor or local).map(refilter_task, jobs, "filter")
    finally:
        if local is not None:
            local.close()
    task_stats = [orjson.loads((work / "stats" / f"{task}.json").read_bytes()) for task in tasks]
    _commit(work, task_stats)
    total = merge_stage_stats((s["stages"] for s in task_stats), ["filter"])[0]
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
    shutil.rmtree(work)
    return total
