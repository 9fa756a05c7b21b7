"""How diverse a set of documents is, the way the paper compares star-filtered data with the original (SPEC §7.3):
embeddings of a sample, projected on their two principal components, and the spread of each set.

The paper's embedding model is not stated; the stand-in here needs no model: each document is a bag of code tokens
(engine/minhash.py's ``code`` tokens: identifiers, numbers, single symbols) hashed into ``DIMS`` buckets, weighted
by log term frequency times inverse document frequency over all sets together, and L2-normalised. The spread of a
set is the mean squared distance of its embeddings to their centroid (the trace of their covariance): 0 for
identical documents, at most 1 for unit vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import xxhash

from opencoder.engine import minhash

DIMS = 4096


def sample_ids(ids: Sequence[str], n: int, seed: int) -> list[int]:
    """Positions of the ``n`` ids with the smallest hash: a uniform, deterministic sample."""
    order = sorted(range(len(ids)), key=lambda i: xxhash.xxh64_intdigest(ids[i].encode(), seed))
    return sorted(order[:n])


def embed(texts: Sequence[str], dims: int = DIMS) -> np.ndarray:
    """One unit-length row per text: hashed code-token counts, log tf x idf over ``texts``."""
    hashes, offsets = minhash.token_hashes(pa.array(list(texts), pa.large_string()), "code")
    owner = np.repeat(np.arange(len(texts)), np.diff(offsets))
    counts = np.zeros((len(texts), dims), dtype=np.float64)
    np.add.at(counts, (owner, (hashes % np.uint64(dims)).astype(np.int64)), 1.0)
    df = np.count_nonzero(counts, axis=0)
    weights = np.log1p(counts) * np.log((1 + len(texts)) / (1 + df))
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return weights / np.where(norms == 0, 1.0, norms)


def spread(rows: np.ndarray) -> float:
    """Mean squared distance of the rows to their centroid."""
    if len(rows) == 0:
        return 0.0
    return float(np.mean(np.sum((rows - rows.mean(axis=0)) ** 2, axis=1)))


def pca_2d(rows: np.ndarray) -> tuple[np.ndarray, float]:
    """The rows projected on their first two principal components, and the share of variance those explain."""
    centred = rows - rows.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    total = float(np.sum(singular**2)) or 1.0
    k = min(2, vt.shape[0])
    coords = centred @ vt[:k].T
    if k < 2:
        coords = np.hstack([coords, np.zeros((len(rows), 2 - k))])
    return coords, float(np.sum(singular[:k] ** 2)) / total
