"""Near-dedup of synthesized samples: a sample whose word 5-gram set has a true Jaccard similarity of at least
`threshold` with a sample kept before it is dropped. It reuses refine's shingling (the paper's 5-grams); the
comparison is exact and pairwise, which suits the thousands of samples of one run. For millions, run the kept
samples through `opencoder dedup` (MinHash LSH)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from opencoder.engine.minhash import jaccard, shingle_sets

SHINGLE_UNIT = "words"
SHINGLE_SIZE = 5


class NearDedup:
    def __init__(self, threshold: float = 0.8):
        self.threshold = threshold
        self._sets: list[tuple[str, np.ndarray]] = []

    def add(self, key: str, text: str) -> str | None:
        """Keep `text` under `key` and return None, or return the key of a kept near-duplicate."""
        (shingles,) = shingle_sets(pa.array([text], pa.large_string()), SHINGLE_UNIT, SHINGLE_SIZE)
        for other, theirs in self._sets:
            if jaccard(shingles, theirs) >= self.threshold:
                return other
        self._sets.append((key, shingles))
        return None
