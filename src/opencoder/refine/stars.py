"""The ``stars`` row stage (SPEC §7.3): keep only documents of repositories with at least ``min_stars`` stars.

The paper trained one 1.5B model on the original data and one on repositories with >= 5 stars only: the filtered
model had a lower training loss but scored worse on HumanEval and MBPP, its data being less diverse, so RefineCode
does not filter by stars. This stage is that ablation's other arm; the default recipe ships it switched off.
A document without a star count (a directory tree, a dataset without the column) counts as ``missing_stars``:
removed unless ``keep_missing``. Removed rows carry reason ``below_min_stars`` (detail: the count) or
``missing_stars``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed, one_array


class StarsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_stars: int = Field(5, ge=0, description="keep documents of repositories with at least this many stars")
    keep_missing: bool = Field(False, description="keep documents whose star count is unknown")


class StarsFilter:
    name = "stars"

    def __init__(self, params: StarsParams) -> None:
        self.params = params

    def process(self, batch: pa.Table) -> StageResult:
        return self.process_masked(batch, None).filtered()

    def process_masked(self, batch: pa.Table, live: np.ndarray | None) -> StageResult:
        stars = one_array(batch.column("stars")).cast(pa.int64())
        missing = pc.is_null(stars).to_numpy(zero_copy_only=False)
        below = pc.fill_null(pc.less(stars, self.params.min_stars), False).to_numpy(zero_copy_only=False)
        drop = below | (missing & (not self.params.keep_missing))
        if live is not None:
            drop &= live
        keep = ~drop if live is None else live & ~drop
        gone = np.flatnonzero(drop)
        reasons = np.where(missing[gone], "missing_stars", "below_min_stars").tolist()
        counts = stars.take(pa.array(gone)).to_pylist()
        detail = [None if c is None else f"{c} stars < {self.params.min_stars}" for c in counts]
        removed = make_removed(batch.take(pa.array(gone)), self.name, reasons, detail=detail)
        return StageResult(batch, removed, keep=keep)


@register_stage("stars", params=StarsParams)
def build_stars(params: StarsParams, ctx: StageContext) -> StarsFilter:
    return StarsFilter(params)
