"""Chunk-level dedup (SPEC §7.1, Appendix B): fixed-size token chunks of a concatenated stream, deduplicated.

In the paper's Table 9 a chunk is a piece of the token stream, not of a file: 485.8 M Python files gave only 333.0 M
chunks of 4,096 tokens, so chunks span files. Here a stream is a list of texts (the files of a corpus, its
repositories one after another, each repository's files in path order) joined by newlines and cut every ``size``
tokens (``TOKEN``: an identifier or number, or any other single non-space character; a stand-in for the paper's
BPE tokenizer, which is not stated). Chunks are then deduplicated like files: exact by SHA-256, then MinHash LSH
with the file-level parameters, keeping the first chunk of each group in stream order.

Because a chunk is not a document, this runs on the packed stream (the Table 9 benchmark,
``benchmarks/dedup_granularity.py``), not as a refine stage: a stage keeps one row per document.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

from opencoder.engine import minhash
from opencoder.refine.exact_dedup import sha256_digests
from opencoder.refine.fuzzy_dedup import FuzzyDedupParams, connected_components

TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    return sum(1 for _ in TOKEN.finditer(text))


def chunk_stream(texts: Iterable[str], size: int) -> list[str]:
    """The texts joined by newlines, cut into pieces of ``size`` tokens (the last may be shorter); every cut falls
    at a token's start, so joining the chunks gives the stream back."""
    stream = "\n".join(texts)
    starts = [m.start() for m in TOKEN.finditer(stream)]
    cuts = [0, *starts[size::size], len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(cuts) if b > a]


def _first_of_groups(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Keep mask: in each connected group of ``n`` items joined by edges u-v, only the smallest index stays."""
    component = connected_components(u, v, n)
    return component == np.arange(n)


def exact_keep(chunks: Sequence[str]) -> np.ndarray:
    """Keep mask: the first chunk of each run of identical chunks."""
    digests = sha256_digests(pa.array(chunks, pa.large_string()))
    _, first = np.unique(digests, axis=0, return_index=True)
    keep = np.zeros(len(chunks), dtype=bool)
    keep[first] = True
    return keep


def fuzzy_keep(chunks: Sequence[str], params: FuzzyDedupParams, seed: int) -> np.ndarray:
    """Keep mask: MinHash LSH candidates joined transitively, the first chunk of each group kept."""
    n = len(chunks)
    if n == 0:
        return np.zeros(0, dtype=bool)
    sigs, has = minhash.signatures(
        pa.array(chunks, pa.large_string()),
        unit=params.unit,
        shingle_size=params.shingle_size,
        num_perm=params.num_perm,
        seed=seed,
    )
    docs = np.flatnonzero(has)
    keys = minhash.band_keys(sigs[docs], bands=params.bands, rows=params.rows, seed=seed)
    owner = np.repeat(docs, params.bands)
    flat = keys.ravel()
    order = np.lexsort((owner, flat))
    flat, owner = flat[order], owner[order]
    first = np.r_[True, flat[1:] != flat[:-1]] if len(flat) else np.zeros(0, dtype=bool)
    anchor = owner[np.maximum.accumulate(np.where(first, np.arange(len(flat)), 0))] if len(flat) else owner
    link = anchor != owner
    return _first_of_groups(n, owner[link], anchor[link])


def dedup_chunks(chunks: Sequence[str], params: FuzzyDedupParams | None, seed: int) -> np.ndarray:
    """Exact, then (with ``params``) fuzzy dedup of chunks in stream order; the keep mask."""
    keep = exact_keep(chunks)
    if params is not None:
        rest = np.flatnonzero(keep)
        keep[rest[~fuzzy_keep([chunks[i] for i in rest], params, seed)]] = False
    return keep
