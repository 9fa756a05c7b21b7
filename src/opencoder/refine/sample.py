"""The ``sample`` row stage (SPEC §1.6): down-sample chosen languages to a keep-fraction, deterministically.

RefineCode shrank Java from 449 GB to 200 GB and HTML from 474 GB to 64 GB; everything else keeps its natural
share. A document of a sampled language is kept when a hash of (recipe seed, document id) falls below the
language's keep-fraction, so a rerun, a resumed run or a run on another machine keeps exactly the same documents.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import xxhash
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed

REASON = "downsampled"
PAPER_KEEP = {"java": 200 / 449, "html": 64 / 474}


class SampleParams(BaseModel):
    """Keep-fraction per language (lower-case RefineCode language name); languages not listed are untouched."""

    model_config = ConfigDict(extra="forbid")

    keep: dict[str, float] = Field(default_factory=lambda: dict(PAPER_KEEP))

    def model_post_init(self, _context: object) -> None:
        for lang, fraction in self.keep.items():
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(f"sample.keep.{lang}: keep-fraction must be within [0, 1], got {fraction}")


def unit_hash(seed: int, doc_id: str) -> float:
    """A number in [0, 1) that depends only on the seed and the id."""
    return xxhash.xxh64_intdigest(doc_id.encode("utf-8", "surrogatepass"), seed=seed % 2**64) / 2**64


class SampleStage:
    """Drops documents of the configured languages with probability 1 - keep-fraction."""

    name = "sample"

    def __init__(self, params: SampleParams | None = None, seed: int = 0) -> None:
        self.params = params or SampleParams()
        self.seed = seed
        self.keep = {lang.lower(): fraction for lang, fraction in self.params.keep.items()}

    def process(self, batch: pa.Table) -> StageResult:
        langs = pc.utf8_lower(batch.column("lang")).to_pylist()
        ids = batch.column("id").to_pylist()
        drop = [
            lang in self.keep and unit_hash(self.seed, doc_id) >= self.keep[lang]
            for lang, doc_id in zip(langs, ids, strict=True)
        ]
        mask = pa.array(drop, pa.bool_())
        removed = make_removed(batch.filter(mask), self.name, REASON)
        counters = {
            f"downsampled_{lang}": sum(d and lg == lang for d, lg in zip(drop, langs, strict=True))
            for lang in self.keep
        }
        return StageResult(kept=batch.filter(pc.invert(mask)), removed=removed, counters=counters)


@register_stage("sample", params=SampleParams)
def build_sample(params: SampleParams, ctx: StageContext) -> SampleStage:
    return SampleStage(params, seed=ctx.seed)
