"""The run: a recipe's stages over the planned input shards, resumable, with accounting and a manifest.

``opencoder refine``, ``dedup`` and ``signals`` are this with different recipes; any registered stages run the same
way over any document table (an ``id`` and a ``text`` column plus what the stages use).

The enabled stages are cut into segments at each global stage. A segment runs per shard (one task each):
it reads the shard (segment 0) or the previous segment's survivors, applies the previous global stage's
decisions, runs its row stages batch by batch and, when a global stage follows, writes that stage's map
rows bucketed by partition. Then one reduce task per partition produces the decisions the next segment
applies: grouped by the task whose documents they are about, so each task reads only its own (or, for a
stage with ``finalize``, one table of all decisions that each process indexes once).

Every task output is written atomically, and a task's stats file (RUN_DIR/stats/<task>-s<segment>.json) is
written last: it is the completion marker, so rerunning the same command skips finished tasks and redoes
the rest. The marker names the files the task wrote, and readers take a task's files from its marker only: in a
local RUN_DIR they have their final names (each renamed into place), in object storage (no rename) names unique to
the attempt, so that a lost or killed attempt's objects are never read (docs/cluster.md)."""

from __future__ import annotations

import hashlib
import json
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opencoder import __version__
from opencoder.engine.decisions import DecisionIndex, TaskDecisions
from opencoder.engine.executor import Executor, LocalExecutor
from opencoder.engine.manifest import StageCounts, merge_stage_stats, package_versions
from opencoder.engine.recipe import Recipe
from opencoder.engine.stage import (
    DECISIONS_SCHEMA,
    DecodingStage,
    FinalizingStage,
    GlobalStage,
    MaskedRowStage,
    RowStage,
    StageContext,
    StageResult,
    make_removed,
    one_array,
)
from opencoder.errors import OpencoderError
from opencoder.io.decode import decode_lossy
from opencoder.io.ids import first_repeat, id_hashes
from opencoder.io.readers import InputSpec, OnError, Plan, Shard, parquet_file, plan_inputs, read_shard
from opencoder.io.store import AnyPath, ObjectPath, location, read_many, remove_tree, stamp
from opencoder.io.writers import (
    ArrowSink,
    ParquetSink,
    read_arrow,
    read_group,
    write_groups_atomic,
    write_json_atomic,
    write_table_atomic,
)


@dataclass(frozen=True)
class RunOptions:
    workers: int = 1
    on_error: OnError = "skip"
    repo_depth: int = 1


@dataclass(frozen=True)
class Segment:
    index: int
    apply: int | None  # the global stage (index into the enabled stages) whose decisions come first
    rows: tuple[int, ...]  # the row stages, in order
    then: int | None  # the global stage mapped at the end
    last: bool


@dataclass(frozen=True)
class RunSpec:
    """What every task of a run shares: its folder and its validated recipe, pickled as is (a worker never parses
    it again); ``key`` names the built stages in each process's cache."""

    run_dir: str  # a local path or a URL
    recipe: Recipe
    key: str

    @classmethod
    def of(cls, run_dir: AnyPath, recipe: Recipe) -> RunSpec:
        dump = json.dumps(recipe.model_dump(mode="json"), sort_keys=True)
        return cls(str(run_dir), recipe, hashlib.sha256(dump.encode()).hexdigest())


@dataclass(frozen=True)
class SegmentJob:
    run: RunSpec
    segment: Segment
    shard: Shard
    task_index: int  # the shard's place in the plan: its group in partition-local decision files
    on_error: OnError
    repo_depth: int
    previous: str | None = None  # the previous segment's surviving documents (as its marker names them), if any


@dataclass(frozen=True)
class ReduceJob:
    run: RunSpec
    stage: int
    partition: int
    maps: tuple[str | None, ...]  # per task of the plan, its map file as its marker names it (None: no rows)


# ----------------------------------------------------------------------------------------------- stage set-up


_BUILT: dict[tuple[str, str], list[RowStage | GlobalStage]] = {}
_BUILT_MAX = 4


def built_stages(run: RunSpec) -> list[RowStage | GlobalStage]:
    """The run's enabled stages, built once per process from the params validated with the recipe."""
    key = (run.run_dir, run.key)
    if key not in _BUILT:
        recipe = run.recipe
        ctx = StageContext(seed=recipe.seed, run_dir=location(run.run_dir), compat=recipe.compat)
        stages = [spec.entry().build(spec.params_model(), ctx) for spec in recipe.enabled_stages()]
        while len(_BUILT) >= _BUILT_MAX:
            del _BUILT[next(iter(_BUILT))]
        _BUILT[key] = stages
    return _BUILT[key]


def is_global(stage: RowStage | GlobalStage) -> bool:
    return isinstance(stage, GlobalStage)


def plan_segments(stages: Sequence[RowStage | GlobalStage]) -> list[Segment]:
    """Cut the stage list at each global stage: [rows.. G1] [apply G1, rows.. G2] [apply G2, rows..]."""
    segments: list[Segment] = []
    apply: int | None = None
    rows: list[int] = []
    for i, stage in enumerate(stages):
        if is_global(stage):
            segments.append(Segment(len(segments), apply, tuple(rows), i, last=False))
            apply, rows = i, []
        else:
            rows.append(i)
    segments.append(Segment(len(segments), apply, tuple(rows), None, last=True))
    return segments


# ---------------------------------------------------------------------------------------------------- layout


def stats_path(run_dir: AnyPath, seg: Segment, task: str) -> AnyPath:
    return run_dir / "stats" / f"{task}-s{seg.index}.json"


def docs_path(run_dir: AnyPath, seg: Segment, task: str) -> AnyPath:
    """Where a segment's surviving documents go: kept/ at the end, else an Arrow file the next segment reads."""
    return run_dir / "kept" / f"{task}.parquet" if seg.last else run_dir / "work" / f"seg{seg.index}" / f"{task}.arrow"


def stage_work(run_dir: AnyPath, name: str) -> AnyPath:
    return run_dir / "work" / name


def attempt_path(path: AnyPath, attempt: str) -> AnyPath:
    """The name a task attempt writes ``path`` under: the name itself locally (``attempt`` empty: the file is renamed
    into place), in object storage one unique to the attempt (``kept/t00001.3f9a0c2e41d7.parquet``)."""
    if not attempt:
        return path
    stem, _, suffix = path.name.partition(".")
    return path.with_name(f"{stem}.{attempt}.{suffix}")


def relative(run_dir: AnyPath, path: AnyPath) -> str:
    """``path`` as a marker names it: relative to RUN_DIR, with forward slashes."""
    return str(path)[len(str(run_dir)) :].lstrip("/")


def read_markers(run_dir: AnyPath, seg: Segment, tasks: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The completion markers of a segment's tasks, by task (every task must have finished)."""
    paths = [stats_path(run_dir, seg, t) for t in tasks]
    markers = {t: json.loads(b) for t, b in zip(tasks, read_many(paths), strict=True)}
    for path, marker in zip(paths, markers.values(), strict=True):
        if "files" not in marker:
            raise OpencoderError(f"{path}: a marker written by an older opencoder; use a new --out folder")
    return markers


def marker_files(marker: dict[str, Any]) -> list[str]:
    """Every file a marker names, relative to RUN_DIR."""
    files = marker.get("files", {})
    return [f for key, f in files.items() if key != "outputs"] + list(files.get("outputs", {}).values())


# -------------------------------------------------------------------------------------------- segment task


class MapWriter:
    """A global stage's map rows of one task, held until the task ends (a few dozen bytes per document) and
    then written as one Arrow file grouped by partition: the reduce of partition p reads group p of each task."""

    def __init__(self, path: AnyPath, n_partitions: int) -> None:
        self.path = path
        self.n = n_partitions
        self.tables: list[pa.Table] = []

    def write(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self.tables.append(rows)

    def commit(self) -> None:
        if not self.tables:
            if isinstance(self.path, Path):
                self.path.unlink(missing_ok=True)  # an earlier attempt's, locally under the same name
            return
        rows = pa.concat_tables(self.tables)
        partition = rows.column("partition_key").to_numpy() % np.uint64(self.n)
        write_groups_atomic(self.path, rows, partition, self.n)


@lru_cache(maxsize=2)
def _decisions(path: str, version: tuple[Any, ...]) -> DecisionIndex:
    """A finalizing stage's decisions, indexed once per process."""
    return DecisionIndex(parquet_file(path).read())


def load_decisions(run_dir: AnyPath, stage: GlobalStage, task_index: int) -> DecisionIndex | TaskDecisions:
    """What a task looks its documents up in: its own group of each partition's decisions, or the whole table
    of a finalizing stage."""
    work = stage_work(run_dir, stage.name)
    if isinstance(stage, FinalizingStage):
        path = work / "decisions.parquet"
        return _decisions(str(path), stamp(path))
    groups = [read_group(p, task_index) for p in sorted((work / "reduce").glob("p*.arrow"))]
    return TaskDecisions(pa.Table.from_batches(groups, schema=DECISIONS_SCHEMA))


def apply_decisions(batch: pa.Table, index: DecisionIndex | TaskDecisions, stage: str) -> tuple[np.ndarray, pa.Table]:
    """A global stage's decisions (id -> duplicate_of, reason) on ``batch``: which rows stay, and the removed
    rows."""
    rows = index.rows(batch.column("id"))
    drop = rows >= 0
    hit = pa.array(rows[drop])
    removed = make_removed(
        batch.filter(drop),
        stage,
        index.decisions.column("reason").take(hit),
        duplicate_of=index.decisions.column("duplicate_of").take(hit),
    )
    return ~drop, removed


def run_row_stage(stage: RowStage, batch: pa.Table, live: np.ndarray | None) -> StageResult:
    """``stage`` on the live rows of ``batch`` (None: all): a masked stage gets the whole batch and the mask, any
    other the batch without the rows no longer live."""
    if isinstance(stage, MaskedRowStage):
        return stage.process_masked(batch, live)
    return stage.process(batch if live is None else batch.filter(live))


def size_cap(recipe: Recipe, decoder: DecodingStage | None) -> int:
    """The size over which documents are not read: the decoding stage's, else the recipe's ``engine.max_doc_bytes``."""
    return decoder.max_bytes if decoder is not None else recipe.engine.max_doc_bytes


def _segment_input(
    job: SegmentJob, decoder: DecodingStage | None, read: StageCounts, removed: ParquetSink
) -> Iterator[pa.Table]:
    """The documents a segment task starts from: its shard as read (segment 0), else the previous segment's
    survivors. Read bytes are left to the run's decoding stage, or decoded here when it has none."""
    recipe = job.run.recipe
    if job.segment.index > 0:
        if job.previous is not None:
            for rb in read_arrow(location(job.run.run_dir) / job.previous).to_batches(recipe.engine.batch_docs):
                yield pa.Table.from_batches([rb])
        return
    for batch in read_shard(
        job.shard,
        recipe.columns,
        recipe.engine,
        on_error=job.on_error,
        repo_depth=job.repo_depth,
        max_bytes=size_cap(job.run.recipe, decoder),
    ):
        docs, gone = batch.docs, batch.errors
        nbytes = pc.sum(docs.column("size")).as_py() or 0
        if decoder is None:  # no stage decides about documents over the cap: they go here
            big = pc.fill_null(pc.greater(docs.column("size"), recipe.engine.max_doc_bytes), False)
            if pc.any(big).as_py():
                over = docs.filter(big)
                detail = [f"{n} bytes > {recipe.engine.max_doc_bytes}" for n in over.column("size").to_pylist()]
                gone = pa.concat_tables([gone, make_removed(over, "read", "too_large", detail=detail)])
                docs = docs.filter(pc.invert(big))
        reasons = gone.column("reason").to_pylist()
        read.add(docs.num_rows + len(reasons), docs.num_rows, reasons, {"bytes": nbytes}, 0.0)
        removed.write(gone)
        yield docs if decoder is not None else decode_lossy(docs)


def run_segment_task(job: SegmentJob) -> list[dict[str, Any]]:
    """One shard through one segment; returns (and writes, as the completion marker) its per-stage stats."""
    stages = built_stages(job.run)
    run_dir, seg, task = location(job.run.run_dir), job.segment, job.shard.task
    attempt = uuid.uuid4().hex[:12] if isinstance(run_dir, ObjectPath) else ""
    eng = job.run.recipe.engine
    docs = attempt_path(docs_path(run_dir, seg, task), attempt)
    kept = (
        ParquetSink(docs, row_group_rows=eng.row_group_rows, row_group_bytes=eng.row_group_bytes)
        if seg.last
        else ArrowSink(docs)
    )
    removed = ParquetSink(attempt_path(run_dir / "removed" / f"{task}-s{seg.index}.parquet", attempt))
    outputs: dict[str, ParquetSink] = {}
    counts: list[StageCounts] = []
    read = StageCounts("read")
    if seg.index == 0:
        counts.append(read)
    apply_counts = StageCounts(stages[seg.apply].name) if seg.apply is not None else None
    decisions = None
    if apply_counts is not None:
        counts.append(apply_counts)
        decisions = load_decisions(run_dir, stages[seg.apply], job.task_index)
    row_counts = [StageCounts(stages[i].name) for i in seg.rows]
    counts += row_counts
    mapper = None
    if seg.then is not None:
        g = stages[seg.then]
        mapper = MapWriter(attempt_path(stage_work(run_dir, g.name) / "map" / f"{task}.arrow", attempt), g.n_partitions)
    decoder = next((s for s in stages if isinstance(s, DecodingStage)), None)

    for batch in _segment_input(job, decoder, read, removed):
        live = None  # the rows still in the batch (None: all), so that it is filtered once, not once per stage
        n_live = batch.num_rows
        if decisions is not None:
            t0 = time.perf_counter()
            live, gone = apply_decisions(batch, decisions, apply_counts.name)
            reasons = gone.column("reason").to_pylist()
            apply_counts.add(n_live, n_live - len(reasons), reasons, {}, time.perf_counter() - t0)
            n_live -= len(reasons)
            removed.write(gone)
        for i, c in zip(seg.rows, row_counts, strict=True):
            t0 = time.perf_counter()
            res = run_row_stage(stages[i], batch, live)
            n_in, n_live = n_live, res.kept_rows()
            c.add(n_in, n_live, res.removed.column("reason").to_pylist(), res.counters, time.perf_counter() - t0)
            removed.write(res.removed)
            for key, table in res.outputs.items():
                if key not in outputs:
                    outputs[key] = ParquetSink(attempt_path(run_dir / key / f"{task}.parquet", attempt))
                outputs[key].write(table)
            batch, live = res.kept, res.keep
        if live is not None:
            batch = batch.filter(live)
        if mapper is not None:
            mapper.write(stages[seg.then].map(batch))
        kept.write(batch)

    for sink in (kept, removed, *outputs.values()):
        sink.commit()
    if mapper is not None:
        mapper.commit()
    files: dict[str, Any] = {
        name: relative(run_dir, sink.path)
        for name, sink, rows in (("docs", kept, kept.rows), ("removed", removed, removed.rows))
        if rows
    }
    if mapper is not None and mapper.tables:
        files["map"] = relative(run_dir, mapper.path)
    files["outputs"] = {key: relative(run_dir, sink.path) for key, sink in outputs.items() if sink.rows}
    stats = [c.as_dict() for c in counts]
    marker = {"task": task, "segment": seg.index, "stages": stats, "files": files}
    write_json_atomic(stats_path(run_dir, seg, task), marker)
    return stats


def run_reduce_task(job: ReduceJob) -> int:
    """One partition of a global stage: all tasks' map rows for it -> reduce output; returns its row count.

    A finalizing stage's output is kept for ``finalize``; otherwise the output is decisions, written grouped
    by the task that holds each decided document (group i: task i of the plan)."""
    stage = built_stages(job.run)[job.stage]
    run_dir = location(job.run.run_dir)
    work = stage_work(run_dir, stage.name)
    name = f"p{job.partition:05d}"
    mapped = [(i, run_dir / path) for i, path in enumerate(job.maps) if path is not None]
    groups = [read_group(path, job.partition) for _, path in mapped]
    part = pa.Table.from_batches(groups)
    out = stage.reduce(part)
    if isinstance(stage, FinalizingStage):
        write_table_atomic(work / "reduce" / f"{name}.parquet", out)
        return out.num_rows
    where = pc.index_in(out.column("id"), value_set=one_array(part.column("id")))
    if where.null_count:
        raise OpencoderError(f"{stage.name}: reduce decided about a document that is not in partition {name}")
    # the task each row of ``part`` came from; indexed by ``where``: the task each decided document belongs to
    owner = np.repeat(np.array([i for i, _ in mapped], dtype=np.int64), [g.num_rows for g in groups])
    write_groups_atomic(
        work / "reduce" / f"{name}.arrow", out.cast(DECISIONS_SCHEMA), owner[where.to_numpy()], len(job.maps)
    )
    return out.num_rows


# --------------------------------------------------------------------------------------------------- the run


def _check_identity(run_dir: AnyPath, identity: dict[str, Any]) -> None:
    """A RUN_DIR belongs to one command: resuming with other inputs or another recipe would mix outputs."""
    path = run_dir / "run.json"
    if path.exists():
        before = json.loads(path.read_text())
        if before != json.loads(json.dumps(identity)):
            changed = sorted(k for k in identity if before.get(k) != json.loads(json.dumps(identity[k])))
            raise OpencoderError(
                f"{run_dir}: holds a run with different {', '.join(changed) or 'settings'}; "
                "use a new --out folder (or delete this one) to start over"
            )
    else:
        write_json_atomic(path, identity)


def run_recipe(
    inputs: Sequence[InputSpec | tuple[Any, ...] | str | Path],
    run_dir: str | Path,
    recipe: Recipe,
    options: RunOptions = RunOptions(),
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Run ``recipe`` over ``inputs`` (paths, InputSpecs or (path, label) pairs) into RUN_DIR, skipping tasks already
    finished; returns the manifest (also written to RUN_DIR/manifest.json)."""
    started = time.perf_counter()
    run_dir = location(run_dir)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    specs = [InputSpec(str(i)) if isinstance(i, (str, Path)) else i for i in inputs]
    plan = plan_inputs(specs, recipe.engine)
    timings["plan"] = time.perf_counter() - t0
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    recipe_dict = recipe.model_dump(mode="json")
    run = RunSpec.of(run_dir, recipe)
    stages = built_stages(run)  # a stage that cannot be built fails before the run folder is written
    segments = plan_segments(stages)
    tasks = tuple(s.task for s in plan.shards)

    local = LocalExecutor(options.workers) if executor is None else None
    phases: dict[str, dict[str, int]] = {}  # per map: the tasks run and those skipped as already finished
    markers: dict[str, dict[str, Any]] = {}  # the completion marker of each task, by its file name
    if isinstance(run_dir, ObjectPath):
        run_dir.mkdir()  # a bucket that is not there fails here, before the inputs are read
    try:
        if not (run_dir / "run.json").exists():  # a resumed run's ids were checked when it started
            t0 = time.perf_counter()
            cap = size_cap(recipe, next((s for s in stages if isinstance(s, DecodingStage)), None))
            _check_unique_ids(plan, recipe, cap, executor or local)
            timings["id check"] = time.perf_counter() - t0
        run_dir.mkdir(parents=True, exist_ok=True)
        _check_identity(
            run_dir,
            {
                "recipe": recipe_dict,
                "inputs": plan.inputs,
                "on_error": options.on_error,
                "repo_depth": options.repo_depth,
            },
        )
        previous: dict[str, dict[str, Any]] = {}
        for seg in segments:
            names = [stages[i].name for i in ([seg.apply] if seg.apply is not None else []) + list(seg.rows)]
            label = " + ".join((["read"] if seg.index == 0 else []) + names) or "write"
            done = {p.name for p in (run_dir / "stats").glob(f"*-s{seg.index}.json")}
            jobs = [
                SegmentJob(
                    run, seg, shard, i, options.on_error, options.repo_depth, previous.get(shard.task, {}).get("docs")
                )
                for i, shard in enumerate(plan.shards)
                if stats_path(run_dir, seg, shard.task).name not in done
            ]
            t0 = time.perf_counter()
            (executor or local).map(run_segment_task, jobs, label)
            timings[label] = time.perf_counter() - t0
            phases[label] = {"run": len(jobs), "skipped": len(tasks) - len(jobs)}
            current = read_markers(run_dir, seg, tasks)
            markers.update({f"{t}-s{seg.index}": m for t, m in current.items()})
            previous = {t: m.get("files", {}) for t, m in current.items()}
            if seg.then is not None:
                t0 = time.perf_counter()
                maps = tuple(previous[t].get("map") for t in tasks)
                phases[f"{stages[seg.then].name} reduce"] = _run_global(
                    run, seg.then, stages[seg.then], maps, executor or local
                )
                timings[f"{stages[seg.then].name} (reduce)"] = time.perf_counter() - t0
    finally:
        if local is not None:
            local.close()

    order = ["read"] + [s.name for s in stages]
    task_stats = [markers[k] for k in sorted(markers)]
    inputs = _inputs_with_bytes(plan, {s["task"]: s["stages"][0] for s in task_stats if s["segment"] == 0})
    merged = merge_stage_stats((s["stages"] for s in task_stats), order)
    for d in (run_dir / "work").glob("seg*"):
        remove_tree(d)  # the survivors between segments: only needed while the run is under way
    if isinstance(run_dir, ObjectPath):
        _sweep(run_dir, task_stats)
    timings["total"] = time.perf_counter() - started
    manifest = {
        "opencoder": __version__,
        "recipe": recipe_dict,
        "versions": package_versions(),
        "inputs": inputs,
        "options": {
            "on_error": options.on_error,
            "repo_depth": options.repo_depth,
            "workers": options.workers,
        },
        "tasks": len(plan.shards),
        "phases": _phase_stats(phases, getattr(executor, "stats", {})),
        "stages": merged,
        "documents": {
            "in": merged[0]["in"],
            "kept": merged[-1]["kept"],
            "removed": sum(s["removed"] for s in merged),
        },
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    if plan.warnings:
        manifest["warnings"] = plan.warnings
    write_json_atomic(run_dir / "manifest.json", manifest)
    return manifest


def _check_unique_ids(plan: Plan, recipe: Recipe, cap: int, executor: Executor) -> None:
    """Stop before any work when two documents share an id: a decision about one would hit both."""
    jobs = [(shard, recipe.columns, recipe.engine, cap) for shard in plan.shards]
    hashes = executor.map(id_hashes, jobs, "id check")
    repeat = first_repeat(plan.shards, hashes, recipe.columns, recipe.engine, cap)
    if repeat is not None:
        doc_id, first, second = repeat
        raise OpencoderError(
            f"document id {doc_id!r} is used twice, at {first} and at {second}: ids must be unique within a run "
            f"(give each input once; set columns.id to a unique field, or to null to number documents by file and "
            f"line)"
        )


def _inputs_with_bytes(plan: Plan, read_stats: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The input fingerprints, with the bytes read filled in where planning did not stat (listed trees);
    ``read_stats``: each task's stats of its read stage."""
    read_bytes: dict[str, int] = {}
    for shard in plan.shards:
        nbytes = read_stats[shard.task]["counters"].get("bytes", 0)
        read_bytes[shard.source] = read_bytes.get(shard.source, 0) + nbytes
    return [{**i, "bytes": read_bytes.get(i["path"], 0)} if i.get("bytes") is None else i for i in plan.inputs]


def _phase_stats(phases: dict[str, dict[str, int]], executed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per map of this command: tasks run and skipped, plus what the executor reports about them (a Ray executor:
    retries after lost workers or nodes, tasks per node)."""
    return {label: {**counts, **executed.get(label, {})} for label, counts in phases.items()}


def _run_global(
    run: RunSpec, index: int, stage: GlobalStage, maps: tuple[str | None, ...], executor: Executor
) -> dict[str, int]:
    """The reduce of a global stage (and its finalize); ``maps``: each task's map file, as its marker names it.
    Returns the reduce tasks run and skipped. A reduce output is one file, written whole (renamed into place, or one
    upload): its presence says that it is done."""
    run_dir = location(run.run_dir)
    work = stage_work(run_dir, stage.name)
    decisions = work / "decisions.parquet"
    finalizing = isinstance(stage, FinalizingStage)
    if finalizing and decisions.exists():
        return {"run": 0, "skipped": stage.n_partitions}
    suffix = ".parquet" if finalizing else ".arrow"
    parts = range(stage.n_partitions) if any(maps) else range(0)
    done = {p.name for p in (work / "reduce").glob(f"p*{suffix}")}
    jobs = [ReduceJob(run, index, p, maps) for p in parts if f"p{p:05d}{suffix}" not in done]
    executor.map(run_reduce_task, jobs, f"{stage.name} reduce")
    if finalizing:
        reduced = (parquet_file(str(work / "reduce" / f"p{p:05d}.parquet")).read() for p in parts)
        write_table_atomic(decisions, stage.finalize(reduced, run_dir))
    return {"run": len(jobs), "skipped": len(parts) - len(jobs)}


def _sweep(run_dir: ObjectPath, markers: list[dict[str, Any]]) -> None:
    """Delete what no marker names from the folders users read (kept/, removed/, a stage's outputs): the objects
    of attempts that were lost or killed before their marker, which would otherwise be listed twice."""
    named = {f for m in markers for f in marker_files(m) if not f.startswith("work/")}
    folders = {"kept", "removed"} | {f.split("/", 1)[0] for f in named}
    stale = [p for folder in sorted(folders) for p in (run_dir / folder).glob("*") if relative(run_dir, p) not in named]
    if stale:
        run_dir.fs.rm([p.path for p in stale])
