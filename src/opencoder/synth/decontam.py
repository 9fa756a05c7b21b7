"""The hook to benchmark decontamination (SPEC §4.4): when the refine engine has a stage named ``decontam``
(being built beside this), every sample that survived dedup goes through it and what it removes is rejected at
the ``decontaminated`` step with its reason. Without that stage the step passes everything and the run's
statistics say decontamination was not run. SFT samples also get the stage's entry-point rule where it has one
(SPEC §4.4: drop an SFT sample naming a HumanEval or MBPP entry point)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from opencoder.engine.stage import RowStage, StageContext
from opencoder.io.schema import DOC_SCHEMA
from opencoder.refine.registry import STAGE_MODULES, stage_entry

log = logging.getLogger(__name__)

STAGE = "decontam"


class Decontaminator:
    def __init__(self, run_dir: Path, sft: bool, seed: int = 0):
        self.stage: RowStage | None = None
        if STAGE not in STAGE_MODULES:
            self.note = f"not run: this installation has no '{STAGE}' stage"
            return
        entry = stage_entry(STAGE)
        wanted = {"entry_point": {"enabled": True}} if sft and "entry_point" in entry.params.model_fields else {}
        stage = entry.build(entry.params.model_validate(wanted), StageContext(seed=seed, run_dir=run_dir))
        if not isinstance(stage, RowStage):
            self.note = f"not run: the '{STAGE}' stage is not a per-document stage"
            return
        self.stage = stage
        self.note = f"the '{STAGE}' stage, default parameters{' with the entry-point rule' if wanted else ''}"

    def check(self, texts: Sequence[str]) -> list[str | None]:
        """Per text, None if it is clean, else why the stage removed it."""
        if self.stage is None or not texts:
            return [None] * len(texts)
        rows = [{"id": str(i), "text": t, "lang": "python", "doc_type": "code"} for i, t in enumerate(texts)]
        result = self.stage.process(pa.Table.from_pylist(rows, schema=DOC_SCHEMA)).filtered()
        removed = result.removed.to_pylist()
        why = {r["id"]: " ".join(filter(None, [r["reason"], r.get("detail")])) for r in removed}
        return [why.get(str(i)) for i in range(len(texts))]
