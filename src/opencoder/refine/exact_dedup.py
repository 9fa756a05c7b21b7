"""Exact dedup (SPEC §1.3): SHA-256 of the text; per group keep the highest stars, then the latest commit
time, then the smallest id (missing stars or times rank lowest). A global stage: map hashes each document,
the engine buckets the hashes by their first 8 bytes, and reduce resolves each bucket on its own (all copies
of a text share a bucket), so its output is the decisions and no step ever sees them all."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import DECISIONS_SCHEMA, StageContext, one_array

REASON = "exact_duplicate"


class ExactDedupParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partitions: int = Field(16, ge=1, description="hash buckets; memory of one reduce ~ corpus / partitions")


def sha256_digests(texts: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """SHA-256 of each string's UTF-8 bytes, as an (n, 32) uint8 array; hashes the arrow buffer in place."""
    arr = one_array(texts).cast(pa.large_binary())
    n = len(arr)
    if n == 0:
        return np.empty((0, 32), dtype=np.uint8)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1].tolist()
    data = memoryview(arr.buffers()[2] or b"")
    sha = hashlib.sha256
    digests = b"".join([sha(data[offsets[i] : offsets[i + 1]]).digest() for i in range(n)])
    return np.frombuffer(digests, dtype=np.uint8).reshape(n, 32)


def keep_order(table: pa.Table) -> pa.Array:
    """Row order that puts, within each ``sha256`` group, the copy to keep first (stars, time desc; id asc).
    Nulls sort last in either direction, so a missing star count or time ranks lowest."""
    return pc.sort_indices(
        table,
        sort_keys=[
            ("sha256", "ascending"),
            ("stars", "descending"),
            ("commit_time", "descending"),
            ("id", "ascending"),
        ],
    )


class ExactDedup:
    name = "exact_dedup"

    def __init__(self, params: ExactDedupParams) -> None:
        self.n_partitions = params.partitions

    def map(self, batch: pa.Table) -> pa.Table:
        digests = sha256_digests(batch.column("text"))
        key = digests[:, :8].copy().view(">u8").ravel().astype(np.uint64)
        return pa.table(
            {
                "id": batch.column("id"),
                "sha256": pa.FixedSizeBinaryArray.from_buffers(
                    pa.binary(32), len(batch), [None, pa.py_buffer(digests.tobytes())]
                ),
                "stars": batch.column("stars"),
                "commit_time": batch.column("commit_time"),
                "partition_key": pa.array(key, pa.uint64()),
            }
        )

    def reduce(self, part: pa.Table) -> pa.Table:
        if part.num_rows == 0:
            return DECISIONS_SCHEMA.empty_table()
        ordered = part.take(keep_order(part))
        sha = one_array(ordered.column("sha256"))
        digests = np.frombuffer(sha.buffers()[1], dtype=np.uint8)[sha.offset * 32 : (sha.offset + len(sha)) * 32]
        digests = digests.reshape(-1, 32)
        first = np.ones(len(sha), dtype=bool)
        first[1:] = (digests[1:] != digests[:-1]).any(axis=1)
        leader = np.maximum.accumulate(np.where(first, np.arange(len(sha)), 0))
        dup = np.flatnonzero(~first)
        ids = one_array(ordered.column("id"))
        return pa.table(
            {
                "id": ids.take(pa.array(dup)),
                "duplicate_of": ids.take(pa.array(leader[dup])),
                "reason": pa.array([REASON] * len(dup), pa.string()),
            },
            schema=DECISIONS_SCHEMA,
        )


@register_stage("exact_dedup", params=ExactDedupParams)
def build_exact_dedup(params: ExactDedupParams, ctx: StageContext) -> ExactDedup:
    return ExactDedup(params)
