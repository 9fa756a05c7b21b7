"""The ``text_files`` row stage (SPEC §2 item 7): keep the code-related ones among a repository's text files.

RefineCode recalled 178 GB of README, markdown and documentation files from GitHub with a classifier plus
file-name heuristics. After ``langid`` has typed each file, this stage looks only at ``doc_type == "text"``: a file
is kept when its name looks like documentation (README, CONTRIBUTING, .md, .rst, a file under docs/ ...) and the
recall classifier (a model and segmenter from ``opencoder recall``) scores it at least ``threshold``; other text
files are removed (``text_not_code_related``). Code and data files pass untouched. The score of every text file
goes to RUN_DIR/text_scores/<task>.parquet, so the threshold can change without rescoring.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed
from opencoder.recall import classifier
from opencoder.recall.segment import segment
from opencoder.recall.stage import loaded

NAME = "text_files"
REASON = "text_not_code_related"
DOC_NAMES = re.compile(r"^(readme|contributing|changelog|changes|history|install|usage|faq|tutorial|guide)(\..*)?$")
DOC_SUFFIXES = {".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".txt", ".org", ".textile"}
SCORES_SCHEMA = pa.schema([pa.field("id", pa.string()), pa.field("path", pa.string()), pa.field("score", pa.float32())])
DOC_DIRS = {"doc", "docs", "documentation", "manual", "guide", "wiki", "examples", "tutorial"}


def looks_like_documentation(path: str | None) -> bool:
    """File-name heuristic: a README-like name, a documentation suffix, or a file under a docs-like folder."""
    if not path:
        return False
    p = PurePosixPath(path.lower())
    return bool(DOC_NAMES.match(p.name)) or p.suffix in DOC_SUFFIXES or any(part in DOC_DIRS for part in p.parts[:-1])


class TextFilesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="a fastText model from opencoder recall (ROUND/model.bin)")
    segmenter: str = Field(description="its BPE segmenter (OUT/segmenter.json)")
    threshold: float = Field(0.5, gt=0, lt=1)


class TextFilesStage:
    name = NAME

    def __init__(self, params: TextFilesParams) -> None:
        self.params = params
        self.model, self.segmenter = loaded(params.model, params.segmenter, "")

    def process(self, batch: pa.Table) -> StageResult:
        is_text = pc.fill_null(pc.equal(batch.column("doc_type"), "text"), False).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(is_text)
        texts = batch.column("text").take(pa.array(rows)).to_pylist()
        score = classifier.scores(self.model, segment(self.segmenter, texts))
        paths = batch.column("path").take(pa.array(rows)).to_pylist()
        named = np.array([looks_like_documentation(p) for p in paths], dtype=bool)
        drop = np.zeros(batch.num_rows, dtype=bool)
        drop[rows[~(named & (score >= self.params.threshold))]] = True
        removed = make_removed(batch.filter(drop), NAME, REASON)
        scores = pa.Table.from_arrays(
            [batch.column("id").take(pa.array(rows)), pa.array(paths, pa.string()), pa.array(score, pa.float32())],
            schema=SCORES_SCHEMA,
        )
        counters = {"text_files": len(rows), "text_files_kept": len(rows) - int(drop.sum())}
        return StageResult(batch.filter(~drop), removed, counters, {"text_scores": scores})


@register_stage(NAME, TextFilesParams)
def build(params: TextFilesParams, ctx: StageContext) -> TextFilesStage:
    return TextFilesStage(params)
