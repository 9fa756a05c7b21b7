"""Benchmark decontamination of synthesized samples (SPEC §4.4): every sample that survived dedup goes through the
engine's ``decontam`` stage (looked up by name, so synth does not import refine), and what it removes is rejected
at the ``decontaminated`` step with its reason. SFT samples also get the stage's entry-point rule (SPEC §4.4: drop
an SFT sample naming a HumanEval or MBPP entry point)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from opencoder.engine.registry import stage_entry
from opencoder.engine.stage import RowStage, StageContext
from opencoder.io.schema import DOC_SCHEMA

log = logging.getLogger(__name__)

STAGE = "decontam"


class Decontaminator:
    def __init__(self, run_dir: Path, sft: bool, seed: int = 0):
        entry = stage_entry(STAGE)
        wanted = {"entry_point": {"enabled": True}} if sft else {}
        self.stage: RowStage = entry.build(
            entry.params.model_validate(wanted), StageContext(seed=seed, run_dir=run_dir)
        )
        self.note = f"the '{STAGE}' stage, default parameters{' with the entry-point rule' if wanted else ''}"

    def check(self, texts: Sequence[str]) -> list[str | None]:
        """Per text, None if it is clean, else why the stage removed it."""
        if not texts:
            return [None] * len(texts)
        rows = [{"id": str(i), "text": t, "lang": "python", "doc_type": "code"} for i, t in enumerate(texts)]
        result = self.stage.process(pa.Table.from_pylist(rows, schema=DOC_SCHEMA)).filtered()
        removed = result.removed.to_pylist()
        why = {r["id"]: " ".join(filter(None, [r["reason"], r.get("detail")])) for r in removed}
        return [why.get(str(i)) for i in range(len(texts))]
