"""Atomic output files: a local file is written to a temporary name in the same folder, then renamed, so a
crash leaves either the old state or the complete file, never a torn one. At a URL (object storage, no rename) a
file is built in memory and uploaded at once when committed: the object appears whole or not at all
(``io/store.py``). Kept Parquet is zstd-compressed with row groups sized for training readers
(``row_group_rows`` rows or ``row_group_bytes`` bytes, whichever comes first)."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from opencoder.io.store import AnyPath, ObjectPath, location, stamp
from opencoder.io.tables import one_array


def tmp_path(path: Path) -> Path:
    """The temporary name ``path`` is written under before the rename: unique to this writer, so that two attempts
    at the same task (a retry while a lost worker still runs, a rerun while the killed run's tasks wind down) never
    write into one file; the last rename wins, and both attempts write the same content."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


class Target:
    """Where one output file is streamed before ``commit`` makes it appear whole: locally a hidden temporary file
    renamed over ``path``; at a URL a memory buffer uploaded in one piece. Never committed: nothing appears."""

    def __init__(self, path: AnyPath) -> None:
        self.path = path
        self.tmp: Path | None = None
        if isinstance(path, ObjectPath):
            self.sink: pa.NativeFile = pa.BufferOutputStream()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = tmp_path(path)
            self.sink = pa.OSFile(str(self.tmp), "wb")

    def commit(self) -> None:
        if self.tmp is None:
            self.path.write_bytes(self.sink.getvalue().to_pybytes())
            return
        self.sink.close()
        os.replace(self.tmp, self.path)


def write_json_atomic(path: AnyPath, data: Any) -> None:
    target = Target(path)
    target.sink.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    target.commit()


def write_jsonl_atomic(path: AnyPath, rows: Iterable[Any]) -> None:
    """One JSON object per line, committed whole."""
    target = Target(path)
    target.sink.write(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    target.commit()


def write_table_atomic(path: AnyPath, table: pa.Table, compression: str = "zstd") -> None:
    target = Target(path)
    pq.write_table(table, target.sink, compression=compression)
    target.commit()


def _is_bulk(t: pa.DataType) -> bool:
    return pa.types.is_large_string(t) or pa.types.is_large_binary(t)


def parquet_writer(path: Path | pa.NativeFile, schema: pa.Schema, compression: str = "zstd") -> pq.ParquetWriter:
    """A Parquet writer that skips dictionaries and min/max statistics on the bulk text columns (unique
    strings: both cost time and help no reader) and keeps them on the small columns (lang, repo, ...)."""
    small = [f.name for f in schema if not _is_bulk(f.type)]
    return pq.ParquetWriter(path, schema, compression=compression, use_dictionary=small, write_statistics=small)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    return table if table.schema == schema else table.select(schema.names).cast(schema)


class ArrowSink:
    """Streams tables into one uncompressed Arrow IPC file (cheap to write, memory-mapped to read back), for
    work files the run reads once more; ``commit`` renames it into place. No rows: no file."""

    def __init__(self, path: AnyPath) -> None:
        self.path = path
        self.rows = 0
        self._target: Target | None = None
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None:
            self._target = Target(self.path)
            self._schema = table.schema
            self._writer = pa.ipc.new_file(self._target.sink, table.schema)
        self._writer.write_table(_conform(table, self._schema))
        self.rows += table.num_rows

    def commit(self) -> None:
        if self._writer is None:
            _remove_stale(self.path)
            return
        self._writer.close()
        self._target.commit()


def _remove_stale(path: AnyPath) -> None:
    """A local output left by an earlier attempt that had rows (an object's name is unique to its attempt)."""
    if isinstance(path, Path):
        path.unlink(missing_ok=True)


def read_arrow(path: AnyPath) -> pa.Table:
    """An Arrow IPC file written by ArrowSink, memory-mapped (downloaded whole from a URL)."""
    if isinstance(path, ObjectPath):
        return pa.ipc.open_file(pa.py_buffer(path.read_bytes())).read_all()
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def write_groups_atomic(path: AnyPath, table: pa.Table, groups: np.ndarray, n_groups: int) -> None:
    """An Arrow IPC file whose record batch ``g`` holds the rows of ``table`` whose ``groups`` entry is ``g``
    (in table order; empty groups included), so that a reader can take one group by its number without
    touching the others. Every entry of ``groups`` must lie in ``[0, n_groups)``."""
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1, dtype=groups.dtype))
    if bounds[0] != 0 or bounds[-1] != len(groups):
        raise ValueError(f"{path}: group numbers outside 0..{n_groups - 1}")
    rows = pa.RecordBatch.from_arrays([one_array(c) for c in table.columns], schema=table.schema)
    rows = rows.take(pa.array(order))
    target = Target(path)
    with pa.ipc.new_file(target.sink, table.schema) as writer:
        for start, end in itertools.pairwise(bounds):
            writer.write_batch(rows.slice(start, end - start))
    target.commit()


def read_group(path: AnyPath, group: int) -> pa.RecordBatch:
    """Group ``group`` of a file written by ``write_groups_atomic``, memory-mapped (at a URL, read by ranges). A
    process opens each file once: its footer lists every group, so opening it for each read would cost as much as
    all of them."""
    where = location(path)
    return _group_file(str(where), stamp(where)).get_batch(group)


@lru_cache(maxsize=64)
def _group_file(path: str, version: tuple[Any, ...]) -> pa.ipc.RecordBatchFileReader:
    """An opened grouped file; ``version`` tells a rewritten file from the one cached."""
    where = location(path)
    if isinstance(where, ObjectPath):
        return pa.ipc.open_file(pa.PythonFile(where.open("rb"), mode="r"))
    return pa.ipc.open_file(pa.memory_map(path))


class ParquetSink:
    """Streams tables into one Parquet file, buffering up to a row group; ``commit`` renames it into place.

    Nothing is created for a sink that received no rows. Later tables are conformed to the first one's schema.
    """

    def __init__(
        self,
        path: AnyPath,
        *,
        row_group_rows: int = 50_000,
        row_group_bytes: int = 128_000_000,
        compression: str = "zstd",
    ) -> None:
        self.path = path
        self.row_group_rows = row_group_rows
        self.row_group_bytes = row_group_bytes
        self.compression = compression
        self.rows = 0
        self._buffer: list[pa.Table] = []
        self._buffered_rows = 0
        self._buffered_bytes = 0
        self._target: Target | None = None
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._schema is None:
            self._schema = table.schema
        table = _conform(table, self._schema)
        self._buffer.append(table)
        self._buffered_rows += table.num_rows
        self._buffered_bytes += table.nbytes
        self.rows += table.num_rows
        if self._buffered_rows >= self.row_group_rows or self._buffered_bytes >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self._target = Target(self.path)
            self._writer = parquet_writer(self._target.sink, self._schema, self.compression)
        table = pa.concat_tables(self._buffer)
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self._buffer, self._buffered_rows, self._buffered_bytes = [], 0, 0

    def commit(self) -> None:
        """Finish the file and move it into place (or remove a stale one when there were no rows)."""
        self._flush()
        if self._writer is None:
            _remove_stale(self.path)
            return
        self._writer.close()
        self._target.commit()
