"""Read completions written by other harnesses: JSONL lines {"task_id", "completion"} (human-eval) or
{"task_id", "solution"} (evalplus). A malformed line is recorded with its file and line number and skipped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from opencoder.errors import OpencoderError
from opencoder.eval.benchmarks import Benchmark
from opencoder.eval.scoring import Sample


def read_samples(path: Path, benchmark: Benchmark) -> tuple[list[Sample], list[str]]:
    """Samples in file order, numbered per task; `completion` is appended to a HumanEval prompt, `solution` is whole."""
    if not path.is_file():
        raise OpencoderError(f"samples file {path} does not exist")
    prompts = {t.task_id: t.prompt for t in benchmark.tasks} if benchmark.family == "humaneval" else {}
    samples: list[Sample] = []
    invalid: list[str] = []
    per_task: dict[str, int] = {}
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or "task_id" not in record:
                    raise ValueError("expected an object with a 'task_id'")
                task_id = str(record["task_id"])
                if isinstance(record.get("solution"), str):
                    code = completion = record["solution"]
                elif isinstance(record.get("completion"), str):
                    completion = record["completion"]
                    code = prompts.get(task_id, "") + completion
                else:
                    raise ValueError("expected a string 'completion' or 'solution'")
            except ValueError as err:
                invalid.append(f"{path}:{number}: {err}"[:300])
                continue
            index = per_task.get(task_id, 0)
            per_task[task_id] = index + 1
            samples.append(Sample(task_id, index, code, completion))
    if not samples:
        raise OpencoderError(f"{path}: no valid sample ({len(invalid)} invalid lines)")
    return samples, invalid
