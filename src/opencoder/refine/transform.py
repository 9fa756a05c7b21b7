"""The ``transform`` row stage (SPEC §1.4): strip copyright headers and redact PII before filtering.

The rewritten text replaces ``text``; ``original_sha256`` keeps the SHA-256 of the text as it came in (kept from
an earlier run when the column is already there), so every rewritten document can be traced to its original.
Documents are never dropped, except one whose text becomes blank (reason ``empty_after_transform``).
Each PII step runs only on the texts its cheap vectorised pre-check (RE2 via pyarrow) matches.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from opencoder.engine.stage import StageContext, StageResult, make_removed
from opencoder.refine.pii import ANY_GATE, GATES, Rewriter, strip_copyright_header
from opencoder.refine.registry import register_stage

EMPTY_REASON = "empty_after_transform"


class TransformParams(BaseModel):
    """Which rewrites to apply."""

    model_config = ConfigDict(extra="forbid")

    copyright: bool = True  # remove leading comment blocks holding copyright / licence notices
    pii: bool = True  # replace e-mail addresses, public IP addresses, passwords and keys with placeholders


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class TransformStage:
    """Rewrites each document's text; see the module docstring."""

    name = "transform"

    def __init__(self, params: TransformParams | None = None) -> None:
        self.params = params or TransformParams()

    def process(self, batch: pa.Table) -> StageResult:
        texts = batch.column("text").to_pylist()
        langs = batch.column("lang").to_pylist() if "lang" in batch.column_names else [None] * len(texts)
        steps = self._steps(batch)
        rewriter = Rewriter()
        counters: Counter = Counter()
        new_texts: list[str | None] = []
        for text, lang, doc_steps in zip(texts, langs, steps, strict=True):
            new = text
            if new and self.params.copyright:
                new, blocks = strip_copyright_header(new, (lang or "").lower())
                counters["copyright_headers"] += blocks
            if new and doc_steps:
                new = rewriter.redact(new, doc_steps, (lang or "").lower())
            counters["docs_rewritten"] += new != text
            new_texts.append(new)
        counters.update(rewriter.counts)

        hashes = self._original_hashes(batch, texts)
        kept = batch.set_column(batch.column_names.index("text"), batch.schema.field("text"), _array(new_texts, batch))
        column = pa.array(hashes, pa.string())
        if "original_sha256" in kept.column_names:
            kept = kept.set_column(kept.column_names.index("original_sha256"), "original_sha256", column)
        else:
            kept = kept.append_column("original_sha256", column)

        emptied = pa.array(
            [bool(old and old.strip()) and not (new and new.strip()) for old, new in zip(texts, new_texts, strict=True)]
        )
        removed = make_removed(batch.filter(emptied), self.name, EMPTY_REASON)
        counters[EMPTY_REASON] = removed.num_rows
        return StageResult(kept=kept.filter(pc.invert(emptied)), removed=removed, counters=dict(counters))

    def _steps(self, batch: pa.Table) -> list[list[str]]:
        """Per text, the PII steps whose RE2 pre-check matches: one vectorised pass of all gates at once over the
        column, then one pass per step over the few texts that matched any."""
        steps: list[list[str]] = [[] for _ in range(batch.num_rows)]
        if not self.params.pii:
            return steps
        column = batch.column("text")
        rows = _true_rows(pc.match_substring_regex(column, ANY_GATE))
        candidates = column.take(pa.array(rows, pa.int64()))
        for step, gate in GATES.items():
            for i in _true_rows(pc.match_substring_regex(candidates, gate)):
                steps[rows[i]].append(step)
        return steps

    @staticmethod
    def _original_hashes(batch: pa.Table, texts: list[str | None]) -> list[str | None]:
        earlier = batch.column("original_sha256").to_pylist() if "original_sha256" in batch.column_names else None
        hashes = [None if t is None else sha256_hex(t) for t in texts]
        return hashes if earlier is None else [e or h for e, h in zip(earlier, hashes, strict=True)]


def _true_rows(mask: pa.ChunkedArray) -> list[int]:
    """Indexes of the true values of a boolean column (nulls count as false)."""
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False).nonzero()[0].tolist()


def _array(values: list[str | None], batch: pa.Table) -> pa.Array:
    return pa.array(values, batch.schema.field("text").type)


@register_stage("transform", params=TransformParams)
def build_transform(params: TransformParams, ctx: StageContext) -> TransformStage:
    return TransformStage(params)
