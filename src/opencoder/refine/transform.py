"""The ``transform`` row stage (SPEC §1.4): strip copyright headers and redact PII before filtering.

The rewritten text replaces ``text``; ``original_sha256`` keeps the SHA-256 of the text as it came in (kept from
an earlier run when the column is already there), so every rewritten document can be traced to its original.
Documents are never dropped, except one whose text becomes blank (reason ``empty_after_transform``).
Each PII step runs only on the lines its cheap vectorised pre-check (RE2 via pyarrow) matches.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed
from opencoder.refine.pii import (
    ANY_GATE,
    GATES,
    LINE_GATE,
    LINE_STEPS,
    WHOLE_TEXT_STEPS,
    Rewriter,
    strip_copyright_header,
)

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
        langs = [(lang or "").lower() for lang in langs]
        counters: Counter = Counter()
        new_texts = list(texts)
        if self.params.copyright:
            for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
                if text:
                    new_texts[i], blocks = strip_copyright_header(text, lang)
                    counters["copyright_headers"] += blocks
        if self.params.pii:
            rewriter = Rewriter()
            _redact(batch.column("text"), new_texts, langs, rewriter)
            counters.update(rewriter.counts)
        counters["docs_rewritten"] = sum(new != old for new, old in zip(new_texts, texts, strict=True))

        hashes = self._original_hashes(batch, texts)
        kept = batch.set_column(batch.column_names.index("text"), batch.schema.field("text"), _array(new_texts, batch))
        column = pa.array(hashes, pa.string())
        if "original_sha256" in kept.column_names:
            kept = kept.set_column(kept.column_names.index("original_sha256"), "original_sha256", column)
        else:
            kept = kept.append_column("original_sha256", column)

        pairs = zip(texts, new_texts, strict=True)
        blank = [bool(old and old.strip()) and not (new and new.strip()) for old, new in pairs]
        emptied = pa.array(blank, pa.bool_())  # typed: an empty batch (rows all dropped upstream) gives no type
        removed = make_removed(batch.filter(emptied), self.name, EMPTY_REASON)
        counters[EMPTY_REASON] = removed.num_rows
        return StageResult(kept=kept.filter(pc.invert(emptied)), removed=removed, counters=dict(counters))

    @staticmethod
    def _original_hashes(batch: pa.Table, texts: list[str | None]) -> list[str | None]:
        earlier = batch.column("original_sha256").to_pylist() if "original_sha256" in batch.column_names else None
        hashes = [None if t is None else sha256_hex(t) for t in texts]
        return hashes if earlier is None else [e or h for e, h in zip(earlier, hashes, strict=True)]


def _redact(original: pa.ChunkedArray, texts: list[str | None], langs: list[str], rewriter: Rewriter) -> None:
    """Redact PII in ``texts`` (the column ``original`` after copyright removal, which only ever removes matches),
    in place. One RE2 pass of all the gates over the column finds the few texts that may hold any; their private
    key blocks go first, then their lines are split out in one vectorised step, the line gates pick the few lines
    that may hold anything else, and the Python patterns run on those lines only, with the steps their gates let
    through. Every gate accepts a superset of what its step replaces, so the result is ``rewriter.redact`` of
    each whole text."""
    rows = _true_rows(pc.match_substring_regex(original, ANY_GATE))
    if not rows:
        return
    for step in WHOLE_TEXT_STEPS:
        for i in _true_rows(pc.match_substring_regex(original.take(rows), GATES[step])):
            texts[rows[i]] = rewriter.redact(texts[rows[i]], (step,), langs[rows[i]])
    lines = pc.split_pattern(pa.array([texts[row] for row in rows], pa.large_string()), "\n")
    flat = lines.flatten()
    hits = np.asarray(_true_rows(pc.match_substring_regex(flat, LINE_GATE)), np.int64)
    owners = pc.list_parent_indices(lines).to_numpy()[hits]
    line_numbers = hits - lines.offsets.to_numpy()[owners]
    hit_lines = flat.take(pa.array(hits))
    steps: list[list[str]] = [[] for _ in range(len(hits))]
    for step in LINE_STEPS:
        for j in _true_rows(pc.match_substring_regex(hit_lines, GATES[step])):
            steps[j].append(step)
    parts: dict[int, list[str]] = {}  # the lines of each text with a hit, by its index in rows
    for owner, number, line_steps in zip(owners.tolist(), line_numbers.tolist(), steps, strict=True):
        row = rows[owner]
        if owner not in parts:
            parts[owner] = texts[row].split("\n")
        parts[owner][number] = rewriter.redact(parts[owner][number], line_steps, langs[row])
    for owner, text_lines in parts.items():
        texts[rows[owner]] = "\n".join(text_lines)


def _true_rows(mask: pa.ChunkedArray) -> list[int]:
    """Indexes of the true values of a boolean column (nulls count as false)."""
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False).nonzero()[0].tolist()


def _array(values: list[str | None], batch: pa.Table) -> pa.Array:
    return pa.array(values, batch.schema.field("text").type)


@register_stage("transform", params=TransformParams)
def build_transform(params: TransformParams, ctx: StageContext) -> TransformStage:
    return TransformStage(params)
