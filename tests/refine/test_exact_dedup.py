"""Exact dedup: SHA-256 groups; keep highest stars, then latest commit, then smallest id (nulls lowest)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pyarrow as pa

from opencoder.refine.exact_dedup import ExactDedup, ExactDedupParams, sha256_digests


def _t(year):
    return None if year is None else datetime(year, 1, 1, tzinfo=timezone.utc)


def _decide(rows):
    stage = ExactDedup(ExactDedupParams(partitions=1))
    batch = pa.table(
        {
            "id": [r[0] for r in rows],
            "text": pa.array([r[1] for r in rows], pa.large_string()),
            "stars": pa.array([r[2] for r in rows], pa.int64()),
            "commit_time": pa.array([_t(r[3]) for r in rows], pa.timestamp("us", "UTC")),
        }
    )
    out = stage.reduce(stage.map(batch))
    return {r["id"]: r["duplicate_of"] for r in out.to_pylist()}


def test_digests_are_sha256_of_utf8():
    texts = ["", "x", "é" * 1000]
    got = sha256_digests(pa.array(texts, pa.large_string()).slice(0))
    assert [bytes(d) for d in got] == [hashlib.sha256(t.encode()).digest() for t in texts]


def test_highest_stars_wins():
    assert _decide([("a", "x", 1, 2023), ("b", "x", 9, 2001), ("c", "y", 0, None)]) == {"a": "b"}


def test_latest_commit_breaks_a_star_tie():
    assert _decide([("a", "x", 5, 2001), ("b", "x", 5, 2023), ("c", "x", 5, None)]) == {"a": "b", "c": "b"}


def test_smallest_id_breaks_a_full_tie_and_nulls_rank_lowest():
    assert _decide([("b", "x", None, None), ("a", "x", None, None)]) == {"b": "a"}
    assert _decide([("a", "x", None, None), ("b", "x", 0, None)]) == {"a": "b"}


def test_partitions_split_by_hash_prefix_and_reduce_is_per_partition():
    stage = ExactDedup(ExactDedupParams(partitions=4))
    batch = pa.table(
        {
            "id": [str(i) for i in range(40)],
            "text": pa.array([str(i % 10) for i in range(40)]),
            "stars": pa.nulls(40, pa.int64()),
            "commit_time": pa.nulls(40, pa.timestamp("us", "UTC")),
        }
    )
    mapped = stage.map(batch)
    bucket = mapped.column("partition_key").to_numpy() % 4
    parts = [mapped.filter(pa.array(bucket == p)) for p in range(4)]
    assert sum(p.num_rows > 0 for p in parts) > 1
    decisions = pa.concat_tables([stage.reduce(p) for p in parts]).to_pylist()
    assert len(decisions) == 30
    smallest = {g: min(str(i) for i in range(g, 40, 10)) for g in range(10)}  # ids compare as strings
    assert all(d["duplicate_of"] == smallest[int(d["id"]) % 10] for d in decisions)
