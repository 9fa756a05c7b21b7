"""A stage that knows nothing of code, registered from outside the package the way a plug-in would be: the recipe
names this module (``module: plain_stages``), so every process that builds the stage imports it."""

from __future__ import annotations

import time

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed


class WordsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_words: int = 3
    sleep_s: float = 0.0  # per batch: makes a run slow enough to be killed in the middle


class Words:
    """Counts the words of each text (a new ``n_words`` column) and removes texts with fewer than ``min_words``."""

    name = "words"

    def __init__(self, params: WordsParams) -> None:
        self.params = params

    def process(self, batch: pa.Table) -> StageResult:
        time.sleep(self.params.sleep_s)
        n_words = pc.list_value_length(pc.utf8_split_whitespace(batch.column("text")))
        short = pc.less(n_words, self.params.min_words)
        kept = batch.append_column("n_words", n_words).filter(pc.invert(short))
        removed = make_removed(batch.filter(short), self.name, "too_few_words")
        return StageResult(kept, removed, {"words": pc.sum(n_words).as_py() or 0})


@register_stage("words", params=WordsParams)
def build_words(params: WordsParams, ctx: StageContext) -> Words:
    return Words(params)
