"""Looking up a global stage's decisions for a batch, in time proportional to the batch, not the decisions.

A partition-local stage (exact dedup) hands each task only the decisions about its own documents: a few, looked
up per batch with an arrow hash join (``TaskDecisions``). A finalizing stage (fuzzy dedup) leaves one table for
the whole corpus, and hashing it again for every batch would make applying it quadratic, so it is indexed once
per process (``DecisionIndex``): the 64-bit xxh3 of each id, sorted (8 bytes per decision); a batch is found
by binary search, and every hit is confirmed on the id itself.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from opencoder.engine.stage import one_array


def id_hashes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """xxh3-64 of each id's UTF-8 bytes."""
    h = xxhash.xxh3_64_intdigest
    return np.fromiter((h(i.encode()) for i in ids.to_pylist()), dtype=np.uint64, count=len(ids))


class DecisionIndex:
    """Finds which ids of a batch have a decision (id, duplicate_of, reason) and which row holds it."""

    def __init__(self, decisions: pa.Table) -> None:
        self.decisions = decisions
        self.ids = one_array(decisions.column("id"))
        keys = id_hashes(self.ids)
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]

    def rows(self, ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """For each id, the row of its decision, or -1."""
        out = np.full(len(ids), -1, dtype=np.int64)
        if len(self.keys) == 0 or len(ids) == 0:
            return out
        ids = one_array(ids)
        h = id_hashes(ids)
        pos = np.minimum(np.searchsorted(self.keys, h), len(self.keys) - 1)
        hit = np.flatnonzero(self.keys[pos] == h)
        if len(hit) == 0:
            return out
        rows = self.order[pos[hit]]
        same = pc.equal(self.ids.take(pa.array(rows)), ids.take(pa.array(hit))).to_numpy(zero_copy_only=False)
        out[hit[same]] = rows[same]
        for i in hit[~same]:  # a 64-bit hash collision: look through the run of equal keys
            out[i] = self._scan(int(pos[i]), ids[int(i)].as_py())
        return out

    def _scan(self, start: int, key_id: str) -> int:
        key = self.keys[start]
        j = start
        while j < len(self.keys) and self.keys[j] == key:
            if self.ids[int(self.order[j])].as_py() == key_id:
                return int(self.order[j])
            j += 1
        return -1


class TaskDecisions:
    """The decisions about one task's documents, with the same ``rows`` lookup as ``DecisionIndex``."""

    def __init__(self, decisions: pa.Table) -> None:
        self.decisions = decisions
        self.ids = one_array(decisions.column("id"))

    def rows(self, ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """For each id, the row of its decision, or -1."""
        found = pc.fill_null(pc.index_in(ids, value_set=self.ids), -1)
        return np.asarray(found.to_numpy(), dtype=np.int64)
