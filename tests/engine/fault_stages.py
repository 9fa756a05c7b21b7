"""A pass-through stage that lets a test fault a run at a known point: the first task to reach it on the chosen
node announces its process id in ``marker_dir/held`` and waits there to be killed; every later task (the retry of
that one included) passes straight through. The recipe names this module (``module: fault_stages``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed

NODE_ENV = "OC_TEST_NODE"  # set on a test cluster's second node
HOLD_S = 600


class FaultParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marker_dir: str
    node: str | None = None  # hold only on the node whose OC_TEST_NODE is this; None: on any


class Fault:
    name = "fault"

    def __init__(self, params: FaultParams) -> None:
        self.params = params

    def process(self, batch: pa.Table) -> StageResult:
        if self.params.node in (None, os.environ.get(NODE_ENV)):
            self._hold_once()
        return StageResult(batch, make_removed(batch.slice(0, 0), self.name, "none"))

    def _hold_once(self) -> None:
        try:
            fd = os.open(Path(self.params.marker_dir) / "held", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        time.sleep(HOLD_S)


@register_stage("fault", params=FaultParams)
def build(params: FaultParams, ctx: StageContext) -> Fault:
    return Fault(params)
