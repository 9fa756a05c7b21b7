"""Preprocessing (SPEC §1.2) as a stage: drop files over 8 MB and binary files, decode bytes to text.

The decisions are ``io/decode.py``'s, where reading and decoding meet; this stage names them ``preprocess`` in a
recipe and tells the engine the reader's size cap (``max_bytes``: larger files are not read at all)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult
from opencoder.io.decode import DecodeParams, decode


class Preprocess:
    """Turns the readers' raw ``content`` bytes into ``text``; every drop is recorded with its reason."""

    name = "preprocess"

    def __init__(self, params: DecodeParams) -> None:
        self.params = params
        self.max_bytes = params.max_bytes  # the engine's DecodingStage: the reader's cap

    def process(self, batch: pa.Table) -> StageResult:
        return self.process_masked(batch, None).filtered()

    def process_masked(self, batch: pa.Table, live: np.ndarray | None) -> StageResult:
        out = decode(batch, live, self.params, self.name)
        counters = {"decoded_fallback": out.fallback} if out.fallback else {}
        return StageResult(out.batch, out.removed, counters, keep=out.keep)


@register_stage("preprocess", params=DecodeParams)
def build_preprocess(params: DecodeParams, ctx: StageContext) -> Preprocess:
    return Preprocess(params)
