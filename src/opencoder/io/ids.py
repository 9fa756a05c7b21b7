"""Document ids are unique within a run, or the run stops before any work (docs/engine.md, Inputs).

Global stages decide about documents by id, so two documents sharing one would both take a decision meant for one
of them. A tree's ids (its label plus the relative path; labels are made unique) cannot repeat, but a data file's
``id`` column can, within a file, across the files of a folder, or because a file is given twice. Before a new run,
``id_hashes`` reads only the ids of each shard (in parallel, one task per shard) as 64-bit hashes; the driver sorts
them (8 bytes per document), and only where two hashes are equal does ``id_places`` read the shards again to name
both places of the repeated id."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import xxhash
import zstandard

from opencoder.io.readers import Shard, bounded_lines, iter_arrow, open_text_lines, parquet_file
from opencoder.io.settings import Columns, EngineSettings

_h = xxhash.xxh3_64_intdigest
UNREADABLE = (OSError, EOFError, ValueError, zlib.error, zstandard.ZstdError, pa.ArrowException)


def id_places(
    shard: Shard, columns: Columns, settings: EngineSettings, max_bytes: int | None
) -> Iterator[tuple[str, str]]:
    """(id, where) of each document of ``shard`` as the readers (with the size cap ``max_bytes``) will name it; rows
    they will not read (bad lines, unreadable row groups) are left out: they become read errors, never decided
    about."""
    if shard.kind == "tree":
        for rel in shard.files:
            yield f"{shard.label}/{rel}", f"{shard.source}/{rel}"
    elif shard.kind == "jsonl":
        yield from _jsonl_ids(shard.source, columns, max_bytes)
    else:
        yield from _columnar_ids(shard, columns, settings)


def _jsonl_ids(source: str, columns: Columns, max_bytes: int | None) -> Iterator[tuple[str, str]]:
    try:
        with open_text_lines(source) as fh:
            for lineno, (_, line) in enumerate(bounded_lines(fh, max_bytes), 1):
                if line is None:  # not read: named by its line
                    yield f"{source}:{lineno}", f"{source}:{lineno}"
                    continue
                if not line.strip():
                    continue
                try:
                    rec: Any = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(rec, dict) or not isinstance(rec.get(columns.text), str):
                    continue  # the reader's read error
                raw = rec.get(columns.id) if columns.id else None
                yield (str(raw) if raw is not None else f"{source}:{lineno}"), f"{source}:{lineno}"
    except UNREADABLE:  # the unreadable rest of a file is the reader's read error
        return


def _column_ids(batches: Iterator[pa.RecordBatch], key: str, source: str, row: int) -> Iterator[tuple[str, str]]:
    for rb in batches:
        if key not in rb.schema.names:
            return  # ids are source:row, unique per file
        for i, value in enumerate(rb.column(key).cast(pa.string()).to_pylist()):
            yield (value if value is not None else f"{source}:{row + i}"), f"{source}:row {row + i}"
        row += rb.num_rows


def _columnar_ids(shard: Shard, columns: Columns, settings: EngineSettings) -> Iterator[tuple[str, str]]:
    if not columns.id:
        return
    source = shard.source
    try:
        if shard.kind != "parquet":
            yield from _column_ids(iter_arrow(shard, settings), columns.id, source, 0)
            return
        pf = parquet_file(source)
        if columns.id not in pf.schema_arrow.names:
            return
    except UNREADABLE:
        return
    row = 0
    for group in range(pf.metadata.num_row_groups):  # as the reader: an unreadable row group, not the file
        try:
            batches = pf.iter_batches(batch_size=settings.batch_docs, row_groups=[group], columns=[columns.id])
            yield from _column_ids(batches, columns.id, source, row)
        except UNREADABLE:
            pass
        row += pf.metadata.row_group(group).num_rows


def id_hashes(job: tuple[Shard, Columns, EngineSettings, int | None]) -> np.ndarray:
    """The 64-bit hashes of one shard's ids (a task of the pre-run check)."""
    return np.fromiter((_h(i.encode("utf-8", "surrogatepass")) for i, _ in id_places(*job)), dtype=np.uint64)


def repeated_hashes(per_shard: list[np.ndarray]) -> set[int]:
    """The hashes that occur more than once over all shards."""
    if not per_shard:
        return set()
    every = np.sort(np.concatenate(per_shard))
    return set(every[1:][every[1:] == every[:-1]].tolist())


def first_repeat(
    shards: list[Shard], per_shard: list[np.ndarray], columns: Columns, settings: EngineSettings, max_bytes: int | None
) -> tuple[str, str, str] | None:
    """(id, first place, second place) of the first id that repeats, None when all are unique (a 64-bit hash
    collision of two different ids is checked away here)."""
    repeated = repeated_hashes(per_shard)
    if not repeated:
        return None
    seen: dict[str, str] = {}
    for shard, hashes in zip(shards, per_shard, strict=True):
        if not repeated.intersection(hashes.tolist()):
            continue
        for doc_id, where in id_places(shard, columns, settings, max_bytes):
            if _h(doc_id.encode("utf-8", "surrogatepass")) in repeated:
                if doc_id in seen:
                    return doc_id, seen[doc_id], where
                seen[doc_id] = where
    return None
