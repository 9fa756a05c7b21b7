"""Fuzzy matching of documents against benchmark solutions: MinHash LSH at a low Jaccard threshold.

Exact n-grams miss a solution whose variables were renamed or whose lines were reflowed. Here documents and
solutions (without their docstrings) are cut into ``code`` tokens, so spacing does not matter, and with
``normalize_identifiers`` every token that is not a Python keyword, a builtin name or punctuation becomes one
placeholder, so renaming does not matter either. Shingles of those tokens go through the project's MinHash kernel
(``minhash.digest``) and LSH bands; a document sharing a band with a solution is a candidate, kept as a match when
the signatures' estimate of Jaccard similarity (and, with ``verify``, the exact Jaccard of the shingle sets)
reaches ``threshold``.

Normalised code is generic: a plain double loop over a list scores 0.56 against HumanEval/40's triple loop, hence
the default threshold of 0.7. Jaccard compares whole documents, so this finds documents that are mostly a
benchmark solution (SFT answers, snippets, small files), not a solution buried in a large file: the n-gram method
covers those. Solutions with fewer than ``min_shingles`` distinct shingles (one-liners) are left out.
"""

from __future__ import annotations

import builtins
import keyword
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from opencoder.engine import minhash
from opencoder.refine.decontam.ngrams import KeySet
from opencoder.refine.decontam.sources import BenchItem

PLACEHOLDER = np.uint64(0x9E3779B97F4A7C15)  # the hash every renamed-away token gets
_DOCSTRING = re.compile(r'("""|\'\'\')[\s\S]*?\1')


def code_of(solution: str) -> str:
    """A solution without its triple-quoted strings: HumanEval's problem statement and examples are prose that a
    copied solution often leaves behind, and would dilute the similarity of the code itself."""
    return _DOCSTRING.sub("", solution)


@lru_cache(maxsize=1)
def kept_tokens() -> KeySet:
    """The hashes of the tokens normalisation keeps: keywords, builtin names, punctuation."""
    words = keyword.kwlist + [n for n in dir(builtins) if not n.startswith("_")] + ["self"]
    text = " ".join(words) + " " + " ".join(string.punctuation)
    hashes, _ = minhash.token_hashes(pa.array([text], pa.large_string()), "code")
    return KeySet(np.unique(hashes), bits=16)


def shingles(texts: pa.Array, size: int, normalize: bool) -> tuple[np.ndarray, np.ndarray]:
    """Flat shingle ids over ``code`` tokens (identifiers, literals and prose replaced when ``normalize``)."""
    hashes, tok_off = minhash.token_hashes(texts, "code")
    if normalize:
        hashes = np.where(kept_tokens().contains(hashes), hashes, PLACEHOLDER)
    return minhash.combine_shingles(hashes, tok_off, size)


@dataclass(frozen=True)
class FuzzySettings:
    threshold: float
    shingle_size: int
    num_perm: int
    bands: int
    rows: int
    normalize: bool
    verify: bool
    min_shingles: int
    seed: int


@dataclass(frozen=True)
class FuzzyIndex:
    settings: FuzzySettings
    item: np.ndarray  # int64: the item of each indexed solution
    sigs: np.ndarray  # uint32 (solutions x num_perm)
    sets: list[np.ndarray]  # each solution's sorted unique shingle ids, for ``verify``
    band_keys: np.ndarray  # uint64, sorted
    band_owner: np.ndarray  # int64: the solution (row of ``sigs``) of each band key


def build_fuzzy_index(items: Sequence[BenchItem], settings: FuzzySettings) -> FuzzyIndex:
    """Signatures and LSH band keys of every item's solution that has enough distinct shingles."""
    s = settings
    solutions = pa.array([code_of(it.solution) for it in items], pa.large_string())
    ids, off = shingles(solutions, s.shingle_size, s.normalize)
    sets = [np.unique(ids[off[i] : off[i + 1]]) for i in range(len(items))]
    chosen = np.array([i for i, st in enumerate(sets) if len(st) >= s.min_shingles], dtype=np.int64)
    sigs, _ = minhash.digest(ids, off, num_perm=s.num_perm, seed=s.seed)
    sigs = sigs[chosen]
    keys = minhash.band_keys(sigs, bands=s.bands, rows=s.rows, seed=s.seed).ravel()
    owner = np.repeat(np.arange(len(chosen)), s.bands)
    order = np.argsort(keys, kind="stable")
    return FuzzyIndex(s, chosen, sigs, [sets[i] for i in chosen], keys[order], owner[order])


def match(index: FuzzyIndex, texts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Documents of ``texts`` that match a solution: their numbers, the matched item, and the similarity (the
    exact Jaccard when ``verify``, else the MinHash estimate); the most similar solution per document."""
    s = index.settings
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))
    if len(index.item) == 0 or len(texts) == 0:
        return none
    ids, off = shingles(texts, s.shingle_size, s.normalize)
    sigs, has = minhash.digest(ids, off, num_perm=s.num_perm, seed=s.seed)
    flat = minhash.band_keys(sigs, bands=s.bands, rows=s.rows, seed=s.seed).ravel()
    lo = np.searchsorted(index.band_keys, flat, side="left")
    hi = np.searchsorted(index.band_keys, flat, side="right")
    n_hits = np.where(np.repeat(has, s.bands), hi - lo, 0)
    if not n_hits.any():
        return none
    doc = np.repeat(np.arange(len(flat)) // s.bands, n_hits)
    within = np.arange(n_hits.sum()) - np.repeat(np.cumsum(n_hits) - n_hits, n_hits)
    sol = index.band_owner[np.repeat(lo, n_hits) + within]
    pairs = np.unique(np.stack([doc, sol], axis=1), axis=0)
    doc, sol = pairs[:, 0], pairs[:, 1]
    sim = (sigs[doc] == index.sigs[sol]).mean(axis=1)
    if s.verify:
        sim = np.array(
            [minhash.jaccard(np.unique(ids[off[d] : off[d + 1]]), index.sets[j]) for d, j in zip(doc, sol, strict=True)]
        )
    ok = sim >= s.threshold
    doc, sol, sim = doc[ok], sol[ok], sim[ok]
    best = np.lexsort((sol, -sim, doc))  # per document: highest similarity, then the first solution
    doc, sol, sim = doc[best], sol[best], sim[best]
    first = np.unique(doc, return_index=True)[1]
    return doc[first], index.item[sol[first]], sim[first]
