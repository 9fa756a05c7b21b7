"""Chunk-level dedup on planted streams of real standard-library code."""

from __future__ import annotations

import sysconfig
from pathlib import Path

from opencoder.refine.chunks import chunk_stream, count_tokens, dedup_chunks, exact_keep, fuzzy_keep
from opencoder.refine.fuzzy_dedup import FuzzyDedupParams

STDLIB = Path(sysconfig.get_paths()["stdlib"])
TEXTWRAP, SHLEX, HEAPQ = ((STDLIB / n).read_text("utf-8") for n in ("textwrap.py", "shlex.py", "heapq.py"))


def test_chunks_hold_size_tokens_and_join_back_to_the_stream():
    chunks = chunk_stream([TEXTWRAP, SHLEX], 500)
    assert "".join(chunks) == TEXTWRAP + "\n" + SHLEX
    sizes = [count_tokens(c) for c in chunks]
    assert all(s == 500 for s in sizes[:-1]) and 0 < sizes[-1] <= 500
    assert sum(sizes) == count_tokens(TEXTWRAP) + count_tokens(SHLEX)


def test_exact_keeps_the_first_of_identical_chunks():
    chunks = ["a = 1", "b = 2", "a = 1", "c", "b = 2"]
    assert exact_keep(chunks).tolist() == [True, True, False, True, False]


def test_fuzzy_joins_a_near_copy_and_keeps_distinct_code():
    near = SHLEX.replace("lexer", "tokenizer", 2)
    keep = fuzzy_keep([SHLEX, TEXTWRAP, near, HEAPQ], FuzzyDedupParams(), seed=3)
    assert keep.tolist() == [True, True, False, True]


def test_an_aligned_copy_in_the_stream_goes_and_a_shifted_one_stays():
    tokens = count_tokens(HEAPQ)
    aligned = chunk_stream([HEAPQ, HEAPQ], tokens // 2 if tokens % 2 == 0 else tokens)
    keep = dedup_chunks(aligned, FuzzyDedupParams(), seed=1)
    half = len(aligned) // 2
    assert keep[:half].all() and not keep[half:].any()  # the copy's chunks equal the first's (up to a newline)
    # cut at a size that does not divide the file, the copy's chunks straddle different windows: their Jaccard
    # similarity with any first-copy chunk is far below the LSH threshold, so chunk-level dedup keeps them
    shifted = chunk_stream([HEAPQ, HEAPQ], int(tokens * 0.4))  # copy 2 starts 0.2 of a file off the cuts
    assert dedup_chunks(shifted, FuzzyDedupParams(), seed=1).all()
