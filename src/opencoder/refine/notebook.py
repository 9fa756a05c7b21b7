"""The ``notebook`` row stage (SPEC §1.4): Jupyter notebooks become structured text before langid.

It runs after preprocess (which decodes the bytes) and before langid. Documents whose path ends in ``.ipynb``
get the structured text of ``refine.ipynb.convert`` as ``text``, their kernel's language as ``lang`` and that
language's type (code, data, text) as ``doc_type``; langid keeps a ``doc_type`` an earlier stage has set, so the
converted notebook goes on as a document of its language. Every other document passes untouched.

Removed, with the reason as the row's ``reason`` and the parser's message as ``detail``: broken JSON
(``notebook_invalid_json``), JSON that is no notebook (``notebook_not_a_notebook``), no language in the metadata
(``notebook_no_language``, unless ``default_language`` is set), a language outside the RefineCode tables
(``notebook_unknown_language``), no cell with content (``notebook_empty``). Counters: notebooks converted, their
bytes before and after (the size ratio), outputs elided.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed
from opencoder.refine.ipynb import Converted, NotebookError, convert
from opencoder.refine.langid import language_tables


class NotebookParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outputs: bool = Field(True, description="keep the code cells' outputs (short and marked)")
    max_output_chars: int = Field(1000, ge=0, description="characters kept of each output; the rest is elided")
    comment_text: bool = Field(True, description="write markers, text and outputs as the language's line comments")
    default_language: str | None = Field(None, description="language of a notebook whose metadata names none")


class NotebookStage:
    """Converts ``.ipynb`` documents in place; see the module docstring."""

    name = "notebook"

    def __init__(self, params: NotebookParams) -> None:
        self.params = params
        self.types = language_tables()["language_to_type"]

    def process(self, batch: pa.Table) -> StageResult:
        return self.process_masked(batch, None).filtered()

    def process_masked(self, batch: pa.Table, live: np.ndarray | None) -> StageResult:
        keep = np.ones(batch.num_rows, dtype=bool) if live is None else live.copy()
        paths = pc.fill_null(batch.column("path").cast(pa.string()), "")
        is_nb = pc.match_substring_regex(paths, r"\.ipynb$", ignore_case=True)
        rows = np.flatnonzero(pc.fill_null(is_nb, False).to_numpy(zero_copy_only=False) & keep).tolist()
        if not rows:  # the common case: the batch passes as it is
            return StageResult(batch, make_removed(batch.slice(0, 0), self.name, []), keep=keep)
        texts = batch.column("text").to_pylist()
        langs = batch.column("lang").to_pylist()
        types = batch.column("doc_type").to_pylist()
        counters: Counter = Counter()
        gone: list[int] = []
        reasons: list[str] = []
        details: list[str] = []
        for i in rows:
            try:
                nb = self.convert(texts[i] or "")
            except NotebookError as err:
                gone.append(i)
                reasons.append(err.reason)
                details.append(err.detail)
                counters[err.reason] += 1
                continue
            counters["notebooks_converted"] += 1
            counters["notebook_bytes_raw"] += len(texts[i].encode("utf-8", "surrogatepass"))
            counters["notebook_bytes_converted"] += len(nb.text.encode("utf-8", "surrogatepass"))
            counters["notebook_outputs_elided"] += nb.elided_outputs
            counters["notebook_language_defaulted"] += nb.lang_defaulted
            texts[i], langs[i], types[i] = nb.text, nb.lang, self.types[nb.lang]
        keep[gone] = False
        removed = make_removed(batch.take(pa.array(gone, pa.int64())), self.name, reasons, detail=details)
        return StageResult(
            _set(batch, {"text": texts, "lang": langs, "doc_type": types}), removed, dict(counters), keep=keep
        )

    def convert(self, raw: str) -> Converted:
        """One notebook's conversion; NotebookError also for a language outside the RefineCode tables."""
        p = self.params
        nb = convert(
            raw,
            max_output_chars=p.max_output_chars,
            outputs=p.outputs,
            comment_text=p.comment_text,
            default_lang=p.default_language,
        )
        if nb.lang not in self.types:
            raise NotebookError("notebook_unknown_language", f"kernel language {nb.lang!r} is not in the tables")
        return nb


def _set(batch: pa.Table, columns: dict[str, list]) -> pa.Table:
    for name, values in columns.items():
        i = batch.schema.get_field_index(name)
        batch = batch.set_column(i, batch.schema.field(i), pa.array(values, batch.schema.field(i).type))
    return batch


@register_stage("notebook", params=NotebookParams)
def build_notebook(params: NotebookParams, ctx: StageContext) -> NotebookStage:
    return NotebookStage(params)
