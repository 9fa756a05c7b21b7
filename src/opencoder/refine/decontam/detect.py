"""Which documents of a batch hold benchmark tasks, by the methods a recipe switches on: arrays in, matches out.

Methods are tried in this order, and a document is reported by the first that matches: ``ngram`` (a shared word
n-gram with a task's prompt, solution or tests), ``entry_point`` (a task's function name used as ``name(``; meant
for SFT data, off by default) and ``fuzzy`` (MinHash similarity to a solution, rename-tolerant).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, model_validator

from opencoder.engine import minhash
from opencoder.engine.stage import one_array
from opencoder.refine.decontam import fuzzy, ngrams
from opencoder.refine.decontam.sources import DEFAULT_BENCHMARKS, FIELDS, BenchItem, load_items


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NgramParams(Strict):
    """SPEC §4: a shared 10-gram with the evaluation data removes a sample."""

    enabled: bool = True
    n: int = Field(10, ge=2, description="tokens per n-gram")
    unit: Literal["words", "code"] = Field("words", description="words: whitespace-separated; code: code tokens")
    fields: list[Literal["prompt", "solution", "tests"]] = Field(default_factory=lambda: list(FIELDS))
    max_tasks: int = Field(3, ge=1, description="drop n-grams found in more distinct tasks than this")
    min_distinct_tokens: int = Field(6, ge=1, description="drop n-grams with fewer distinct tokens")
    min_rare_tokens: int = Field(1, ge=0, description="drop n-grams with fewer distinct uncommon tokens")


class EntryPointParams(Strict):
    """SPEC §4: an SFT sample containing a benchmark's entry point is removed. Off by default: real code calls
    functions named ``add`` or ``is_prime`` all the time."""

    enabled: bool = False


class FuzzyParams(Strict):
    enabled: bool = True
    threshold: float = Field(0.7, gt=0, le=1, description="Jaccard similarity at which a document matches")
    shingle_size: int = Field(5, ge=1, description="code tokens per shingle")
    num_perm: int = Field(64, ge=1)
    bands: int = Field(16, ge=1)
    rows: int = Field(4, ge=1)
    normalize_identifiers: bool = Field(True, description="identifiers and literals become one placeholder")
    verify: bool = Field(True, description="confirm candidates with the exact Jaccard of the shingle sets")
    min_shingles: int = Field(20, ge=1, description="solutions with fewer distinct shingles are not indexed")
    max_doc_bytes: int = Field(16384, ge=1, description="larger documents are left to the n-gram method")

    @model_validator(mode="after")
    def _bands_fit(self) -> FuzzyParams:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands} x {self.rows}) exceeds num_perm ({self.num_perm})")
        return self


class DecontamParams(Strict):
    benchmarks: list[str] = Field(default_factory=lambda: list(DEFAULT_BENCHMARKS))
    benchmark_files: list[str] = Field(default_factory=list, description="JSONL files in a benchmark format")
    ngram: NgramParams = Field(default_factory=NgramParams)
    entry_point: EntryPointParams = Field(default_factory=EntryPointParams)
    fuzzy: FuzzyParams = Field(default_factory=FuzzyParams)


class Hit(NamedTuple):
    item: int  # index into ``Detector.items``
    method: str
    match: str  # the n-gram, ``name(``, or the first line of the matched solution
    similarity: float | None  # fuzzy only


@dataclass
class Matches:
    """The contaminated documents of a batch: row numbers, and per row the task, method and evidence."""

    doc: np.ndarray  # int64 row numbers, ascending
    item: np.ndarray  # int64 index into ``Detector.items``
    method: list[str]
    match: list[str]
    similarity: list[float | None]


class Detector:
    """The benchmark indexes of one parameter set, built once; ``find`` scans batches against them."""

    def __init__(self, params: DecontamParams, seed: int) -> None:
        self.params = p = params
        self.items: list[BenchItem] = load_items(p.benchmarks, p.benchmark_files)
        self.ngrams = None
        if p.ngram.enabled:
            self.ngrams = ngrams.build_ngram_index(
                self.items,
                p.ngram.fields,
                n=p.ngram.n,
                unit=p.ngram.unit,
                max_tasks=p.ngram.max_tasks,
                min_distinct=p.ngram.min_distinct_tokens,
                min_rare=p.ngram.min_rare_tokens,
            )
        self.entry_points = ngrams.entry_point_keys(self.items) if p.entry_point.enabled else None
        self.fuzzy = None
        if p.fuzzy.enabled:
            f = p.fuzzy
            settings = fuzzy.FuzzySettings(
                threshold=f.threshold,
                shingle_size=f.shingle_size,
                num_perm=f.num_perm,
                bands=f.bands,
                rows=f.rows,
                normalize=f.normalize_identifiers,
                verify=f.verify,
                min_shingles=f.min_shingles,
                seed=seed,
            )
            self.fuzzy = fuzzy.build_fuzzy_index(self.items, settings)

    def find(self, texts: pa.Array | pa.ChunkedArray) -> Matches:
        """Scan ``texts`` (nulls read as empty) chunk by chunk; the first matching method names each document."""
        texts = pc.fill_null(one_array(texts).cast(pa.large_string()), "")
        hits: dict[int, Hit] = {}
        base = 0
        for chunk in minhash.chunks(texts):
            hits.update((base + row, hit) for row, hit in self._find_chunk(chunk).items())
            base += len(chunk)
        order = sorted(hits)
        return Matches(
            np.array(order, dtype=np.int64),
            np.array([hits[d].item for d in order], dtype=np.int64),
            [hits[d].method for d in order],
            [hits[d].match for d in order],
            [hits[d].similarity for d in order],
        )

    def _find_chunk(self, chunk: pa.Array) -> dict[int, Hit]:
        hit: dict[int, Hit] = {}
        if self.ngrams is not None:
            ng = self.ngrams
            docs, keys, _ = ng.keys.first_hits(*minhash.shingle_ids(chunk, ng.unit, ng.n))
            for d, k in zip(docs.tolist(), keys.tolist(), strict=True):
                hit[d] = Hit(int(ng.item[k]), "ngram", ng.text(self.items, k), None)
        if self.entry_points is not None:
            keys, owners = self.entry_points
            docs, found, _ = keys.first_hits(*minhash.shingle_ids(chunk, "code", 2))
            for d, k in zip(docs.tolist(), found.tolist(), strict=True):
                item = int(owners[k])
                hit.setdefault(d, Hit(item, "entry_point", f"{self.items[item].entry_point}(", None))
        if self.fuzzy is not None:
            sizes = pc.binary_length(chunk).to_numpy(zero_copy_only=False)
            rows = np.flatnonzero(sizes <= self.params.fuzzy.max_doc_bytes)
            rows = rows[~np.isin(rows, np.fromiter(hit, np.int64, len(hit)))]
            docs, items, sims = fuzzy.match(self.fuzzy, chunk.take(pa.array(rows)))
            for d, item, sim in zip(rows[docs].tolist(), items.tolist(), sims.tolist(), strict=True):
                first_line = self.items[item].solution.strip().split("\n", 1)[0]
                hit[d] = Hit(item, "fuzzy", first_line[:200], round(sim, 4))
        return hit
