"""The ``decontam`` row stage (SPEC §4): remove documents that hold benchmark tasks.

The matching is ``detect.Detector``'s; this module adapts it to the engine. Every removed row says in
``reason`` which method matched (``benchmark_ngram``, ``benchmark_entry_point``, ``benchmark_fuzzy``) and in
``detail`` (JSON) the benchmark, task and evidence; the same facts go to RUN_DIR/decontam/<task>.parquet, which
the report's contamination section reads.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pyarrow as pa

from opencoder.engine.recipe import Recipe, StageSpec, shipped_recipe
from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed
from opencoder.errors import OpencoderError
from opencoder.refine.decontam.detect import DecontamParams, Detector

DEFAULT_RECIPE = shipped_recipe("decontam.yaml")
NAME = "decontam"
OUTPUT = "decontam"
MATCHES_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string()),
        pa.field("source", pa.string()),
        pa.field("path", pa.string()),
        pa.field("benchmark", pa.string()),
        pa.field("task_id", pa.string()),
        pa.field("method", pa.string()),
        pa.field("match", pa.string()),  # the n-gram, the entry point, or the matched solution's first line
        pa.field("similarity", pa.float64()),  # fuzzy only
    ]
)


@lru_cache(maxsize=2)
def detector(params_json: str, seed: int) -> Detector:
    """One detector per process and parameter set: the benchmark indexes are built once."""
    return Detector(DecontamParams.model_validate_json(params_json), seed)


class DecontamStage:
    name = NAME

    def __init__(self, params: DecontamParams, seed: int) -> None:
        self.detector = detector(params.model_dump_json(), seed)

    def process(self, batch: pa.Table) -> StageResult:
        found = self.detector.find(batch.column("text"))
        drop = np.zeros(batch.num_rows, dtype=bool)
        drop[found.doc] = True
        items = [self.detector.items[i] for i in found.item.tolist()]
        gone = batch.filter(drop)
        details = [
            json.dumps(
                {"benchmark": it.benchmark, "task_id": it.task_id, "method": m, "match": s, "similarity": sim},
                ensure_ascii=False,
            )
            for it, m, s, sim in zip(items, found.method, found.match, found.similarity, strict=True)
        ]
        removed = make_removed(gone, NAME, [f"benchmark_{m}" for m in found.method], detail=details)
        matches = pa.Table.from_arrays(
            [
                gone.column("id"),
                gone.column("source") if "source" in gone.column_names else pa.nulls(len(items), pa.string()),
                gone.column("path") if "path" in gone.column_names else pa.nulls(len(items), pa.string()),
                pa.array([it.benchmark for it in items], pa.string()),
                pa.array([it.task_id for it in items], pa.string()),
                pa.array(found.method, pa.string()),
                pa.array(found.match, pa.string()),
                pa.array(found.similarity, pa.float64()),
            ],
            schema=MATCHES_SCHEMA,
        )
        counters = {f"{m}_matches": found.method.count(m) for m in ("ngram", "entry_point", "fuzzy")}
        return StageResult(batch.filter(~drop), removed, counters, {OUTPUT: matches} if len(items) else {})


@register_stage(NAME, DecontamParams)
def build(params: DecontamParams, ctx: StageContext) -> DecontamStage:
    return DecontamStage(params, ctx.seed)


def decontam_recipe(
    recipe: Recipe,
    source: str,
    *,
    benchmarks: list[str] | None = None,
    benchmark_files: list[str] | None = None,
    sft: bool | None = None,
) -> Recipe:
    """What ``opencoder decontam`` runs: the recipe's seed, columns and engine with only its decontam stage,
    the command line's benchmarks and SFT switch laid over that stage's params."""
    specs = [s for s in recipe.stages if s.name == NAME]
    if not specs:
        raise OpencoderError(f"{source}: has no {NAME} stage to take the decontamination parameters from")
    params = dict(specs[0].params)
    if benchmarks is not None:
        params["benchmarks"] = benchmarks
    if benchmark_files:
        params["benchmark_files"] = [*params.get("benchmark_files", []), *benchmark_files]
    if sft is not None:
        params["entry_point"] = {**params.get("entry_point", {}), "enabled": sft}
    spec = StageSpec(name=NAME, params=DecontamParams.model_validate(params).model_dump())
    return recipe.model_copy(update={"stages": [spec]})
