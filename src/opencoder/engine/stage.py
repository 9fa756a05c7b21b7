"""The shapes every stage implements, and the helpers that build its results.

A row stage decides per document; a global stage (dedup) needs to see all documents and runs as
map -> partition -> reduce (-> finalize), after which the engine applies its decisions shard by shard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from opencoder.io.store import AnyPath
from opencoder.io.tables import empty_removed, make_removed, one_array, validity_bitmap

# The helpers a stage builds its results with (defined in io, where the readers use them too).
__all__ = [
    "DECISIONS_SCHEMA",
    "Compat",
    "DecodingStage",
    "FinalizingStage",
    "GlobalStage",
    "MaskedRowStage",
    "RowStage",
    "StageContext",
    "StageResult",
    "empty_removed",
    "make_removed",
    "one_array",
    "validity_bitmap",
]

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
    run_dir: AnyPath  # a local folder, or an ObjectPath in object storage (io/store.py)
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
class DecodingStage(RowStage, Protocol):
    """The row stage that turns the readers' raw bytes (``content``) into ``text`` (preprocess, with
    ``io/decode.py``). When a run has one, the reader hands over bytes and leaves files over ``max_bytes`` unread;
    without one, the engine decodes UTF-8 with invalid bytes replaced before the first stage."""

    max_bytes: int


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

    def finalize(self, reduced: Iterable[pa.Table], run_dir: AnyPath) -> pa.Table: ...


DECISIONS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
    ]
)
