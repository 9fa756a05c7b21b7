"""The ``recall_score`` row stage: P(code) of every document, kept as a column, so a threshold can change later
without rescoring. Nothing is removed; RUN_DIR/scores/<task>.parquet holds ``id``, ``url`` and ``score``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, empty_removed
from opencoder.recall import classifier
from opencoder.recall.segment import load_segmenter, segment

NAME = "recall_score"
OUTPUT = "scores"
SCORES_SCHEMA = pa.schema([pa.field("id", pa.string()), pa.field("url", pa.string()), pa.field("score", pa.float32())])


class RecallScoreParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str  # a fastText model file
    segmenter: str  # the BPE segmenter JSON it was trained with
    model_digest: str = ""  # the model file's hash: part of the run's identity, so a retrained model is not skipped


@lru_cache(maxsize=2)
def loaded(model: str, segmenter: str, digest: str) -> tuple[object, object]:
    """Model and segmenter, loaded once per process (``digest`` tells a retrained model at the same path apart)."""
    return classifier.load(Path(model)), load_segmenter(Path(segmenter))


class RecallScoreStage:
    name = NAME

    def __init__(self, params: RecallScoreParams) -> None:
        self.model, self.segmenter = loaded(params.model, params.segmenter, params.model_digest)

    def process(self, batch: pa.Table) -> StageResult:
        texts = batch.column("text").to_pylist()
        score = classifier.scores(self.model, segment(self.segmenter, texts))
        table = pa.Table.from_arrays(
            [batch.column("id"), batch.column("path").cast(pa.string()), pa.array(score, pa.float32())],
            schema=SCORES_SCHEMA,
        )
        return StageResult(batch, empty_removed(), {}, {OUTPUT: table})


@register_stage(NAME, RecallScoreParams)
def build(params: RecallScoreParams, ctx: StageContext) -> RecallScoreStage:
    return RecallScoreStage(params)
