"""The shapes every refine stage implements, and the helper that builds removed rows.

A row stage decides per document; a global stage (dedup) needs to see all documents and runs as
map -> partition -> reduce (-> finalize), after which the engine applies its decisions shard by shard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from opencoder.io.schema import REMOVED_SCHEMA

Compat = Literal["fixed", "opc"]


@dataclass
class StageResult:
    """What a row stage returns for one batch: ``len(batch) == len(kept) + len(removed)``.

    From ``process_masked`` (``MaskedRowStage``) ``kept`` may instead still hold every row of the batch, with
    ``keep`` marking the ones that stay; ``keep`` is None when ``kept`` holds exactly those rows."""

    kept: pa.Table
    removed: pa.Table
    counters: dict[str, int] = field(default_factory=dict)  # summed into stats and the manifest
    outputs: dict[str, pa.Table] = field(default_factory=dict)  # written to RUN_DIR/<key>/<task>.parquet
    keep: np.ndarray | None = None  # bool per row of ``kept``; None: all of them

    def kept_rows(self) -> int:
        return self.kept.num_rows if self.keep is None else int(np.count_nonzero(self.keep))

    def filtered(self) -> StageResult:
        """The same result with ``kept`` holding only the rows kept."""
        if self.keep is None:
            return self
        return StageResult(self.kept.filter(self.keep), self.removed, self.counters, self.outputs)


@dataclass(frozen=True)
class StageContext:
    """What a stage builder may know about the run."""

    seed: int
    run_dir: Path
    compat: Compat = "fixed"


@runtime_checkable
class RowStage(Protocol):
    """Per-document decisions on a batch (preprocess, langid, transform, signals, filter, sample)."""

    name: str

    def process(self, batch: pa.Table) -> StageResult: ...


@runtime_checkable
class MaskedRowStage(RowStage, Protocol):
    """A row stage that can leave the rows it drops in the batch. ``process_masked(batch, live)`` decides only
    about the rows where ``live`` is True (None: every row) and may return all rows of ``batch`` in ``kept`` with
    ``keep`` = the rows still live after it. The engine then drops rows once per batch, after a run of such
    stages, instead of once per stage: each drop copies every kept text."""

    def process_masked(self, batch: pa.Table, live: np.ndarray | None) -> StageResult: ...


@runtime_checkable
class GlobalStage(Protocol):
    """A decision that needs all documents (dedup): map -> partition -> reduce, optionally -> finalize.

    ``map`` returns one row per document with a uint64 ``partition_key`` column; the engine buckets the rows
    by ``partition_key % n_partitions`` and calls ``reduce`` once per bucket. When everything that decides a
    document's fate lands in its bucket (exact dedup: equal hashes share a bucket), ``reduce`` returns the
    decisions (``id``, ``duplicate_of``, ``reason``) itself, and the engine hands each task only the
    decisions about its own documents: no process ever holds the whole decision table.
    """

    name: str
    n_partitions: int

    def map(self, batch: pa.Table) -> pa.Table: ...

    def reduce(self, part: pa.Table) -> pa.Table: ...


@runtime_checkable
class FinalizingStage(GlobalStage, Protocol):
    """A global stage whose decisions need all buckets together (fuzzy dedup: a cluster spans buckets):
    ``finalize`` is called once on all reduce outputs and returns the decisions (``id``, ``duplicate_of``,
    ``reason``), which every task then looks up."""

    def finalize(self, reduced: Iterable[pa.Table], run_dir: Path) -> pa.Table: ...


DECISIONS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
    ]
)


def one_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as one array: a single chunk as it is (``combine_chunks`` copies even that), else concatenated."""
    if isinstance(column, pa.Array):
        return column
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def validity_bitmap(valid: np.ndarray, offset: int = 0) -> pa.Buffer | None:
    """The Arrow validity bitmap of the bool mask ``valid``, for an array that starts ``offset`` values into its
    buffers; None (Arrow's "no nulls") when every value is valid."""
    if valid.all():
        return None
    if offset:
        valid = np.concatenate([np.zeros(offset, dtype=bool), valid])
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _column(value: object, n: int, type_: pa.DataType) -> pa.Array:
    """A column of ``n`` values from a scalar (repeated), a sequence or an arrow array."""
    if value is None or isinstance(value, str):
        return pa.nulls(n, type_) if value is None else pa.array([value] * n, type_)
    if isinstance(value, pa.ChunkedArray):
        value = one_array(value)
    arr = value if isinstance(value, pa.Array) else pa.array(value, type_)
    if len(arr) != n:
        raise ValueError(f"removed-row column has {len(arr)} values for {n} rows")
    return arr.cast(type_)


def make_removed(
    rows: pa.Table,
    stage: str,
    reason: str | Sequence[str] | pa.Array,
    *,
    duplicate_of: str | Sequence[str | None] | pa.Array | None = None,
    rules: Sequence[list[str] | None] | pa.Array | None = None,
    detail: str | Sequence[str | None] | pa.Array | None = None,
) -> pa.Table:
    """Conform ``rows`` to REMOVED_SCHEMA, adding why they went; missing document columns become nulls."""
    n = rows.num_rows
    extra = {
        "stage": _column(stage, n, pa.string()),
        "reason": _column(reason, n, pa.string()),
        "duplicate_of": _column(duplicate_of, n, pa.string()),
        "rules": pa.nulls(n, pa.list_(pa.string())) if rules is None else _column(rules, n, pa.list_(pa.string())),
        "detail": _column(detail, n, pa.string()),
    }
    names = set(rows.column_names)
    columns = []
    for fld in REMOVED_SCHEMA:
        if fld.name in extra:
            columns.append(extra[fld.name])
        elif fld.name in names:
            columns.append(rows.column(fld.name).cast(fld.type))
        else:
            columns.append(pa.nulls(n, fld.type))
    return pa.Table.from_arrays(columns, schema=REMOVED_SCHEMA)


def empty_removed() -> pa.Table:
    """A removed table with no rows."""
    return REMOVED_SCHEMA.empty_table()
