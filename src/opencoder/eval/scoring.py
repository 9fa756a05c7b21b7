"""Score samples: build each sample's test program, run them all in the sandbox pool, count, compute pass@k.

For evalplus benchmarks the canonical solutions first run in the sandbox to produce the expected outputs; each
sample then runs on the base inputs, and, on a plus benchmark, on the plus inputs if it passed the base ones.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from opencoder.eval import programs
from opencoder.eval.benchmarks import Benchmark, Task
from opencoder.eval.passk import mean_pass_at_k, why_k_missing
from opencoder.sandbox import Outcome, Program, Result, Sandbox, run_many

log = logging.getLogger(__name__)

# evalplus's rule: each input may take this many times the canonical solution's time on it, and at least
# EVALPLUS_MIN_INPUT_S; the program as a whole gets the sum of its inputs' limits plus the base timeout.
EVALPLUS_TIME_FACTOR = 4.0
EVALPLUS_MIN_INPUT_S = 1.0
# The canonical solutions are trusted to end; some take seconds on the plus inputs, and write large outputs.
GROUNDTRUTH_TIMEOUT_S = 120.0
GROUNDTRUTH_FILE_MB = 512


@dataclass
class Sample:
    """One completion. `code` is the program tested: the whole solution, with the prompt where it belongs."""

    task_id: str
    completion_id: int
    code: str
    completion: str = ""
    outcome: str = ""
    reason: str = ""
    plus_outcome: str | None = None
    plus_reason: str | None = None

    @property
    def passed_base(self) -> bool:
        return self.outcome == Outcome.PASSED.value

    @property
    def passed(self) -> bool:
        return self.passed_base and self.plus_outcome in (None, Outcome.PASSED.value)


@dataclass
class Scores:
    benchmark: str
    pass_at_k: dict[str, float]
    per_task: list[dict[str, Any]]
    samples: list[Sample]
    pass_at_k_base: dict[str, float] | None = None
    invalid_lines: list[str] = field(default_factory=list)
    missing_tasks: list[str] = field(default_factory=list)
    unknown_tasks: dict[str, int] = field(default_factory=dict)  # task id not in the benchmark -> its samples
    k_missing: dict[str, str] = field(default_factory=dict)  # pass@k asked for but not computed -> why
    seconds: float = 0.0
    programs_run: int = 0
    isolated: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"benchmark": self.benchmark, "pass@k": self.pass_at_k, "pass@k_missing": self.k_missing}
        if self.pass_at_k_base is not None:
            out["pass@k_base"] = self.pass_at_k_base
        out["per_task"] = self.per_task
        out["n_tasks"] = len(self.per_task)
        out["n_samples"] = len(self.samples)
        out["missing_tasks"] = self.missing_tasks
        out["unknown_tasks"] = self.unknown_tasks
        out["invalid_lines"] = self.invalid_lines
        out["sandbox"] = {
            "isolated": self.isolated,
            "programs": self.programs_run,
            "seconds": round(self.seconds, 3),
            "programs_per_s": round(self.programs_run / self.seconds, 2) if self.seconds else None,
        }
        return out

    def sample_rows(self) -> Iterable[dict[str, Any]]:
        for s in self.samples:
            row = asdict(s)
            row["passed"] = s.passed
            yield row


Progress = Callable[[int, Result], None]


class Scorer:
    """Holds the sandbox and the expected outputs of evalplus tasks, computed once per task."""

    def __init__(
        self,
        benchmark: Benchmark,
        sandbox: Sandbox,
        workers: int | None = None,
        plus: bool | None = None,
        imports: bool | None = None,
    ):
        """plus=False scores an evalplus benchmark on its base inputs only (much faster). imports: prepend
        OpenCodeEval's import preamble; by default on, except on evalplus benchmarks (EvalPlus has none)."""
        self.benchmark = benchmark
        self.imports = not any(t.evalplus for t in benchmark.tasks) if imports is None else imports
        self.plus = benchmark.plus if plus is None else plus and benchmark.plus
        self.sandbox = sandbox
        self.workers = workers
        self.tasks = benchmark.by_id()
        self._expected: dict[str, dict[str, bytes] | str] = {}
        self.programs_run = 0

    def _run(self, progs: Sequence[Program], on_result: Progress | None) -> list[Result]:
        self.programs_run += len(progs)
        return run_many(self.sandbox, progs, self.workers, on_result)

    def _splits(self, task: Task) -> dict[str, list]:
        splits = {"base": task.base_inputs or []}
        if self.plus:
            splits["plus"] = task.plus_inputs or []
        return splits

    def groundtruth(self, task_ids: Iterable[str], on_result: Progress | None = None) -> None:
        """Run canonical solutions of evalplus tasks not yet done; a failing one is recorded as that task's error."""
        todo = [self.tasks[t] for t in task_ids if t not in self._expected and self.tasks[t].evalplus]
        limits = replace(self.sandbox.limits, timeout=GROUNDTRUTH_TIMEOUT_S, file_size_mb=GROUNDTRUTH_FILE_MB)
        progs = [programs.groundtruth_program(t, self._reference(t), self._splits(t), limits) for t in todo]
        for task, result in zip(todo, self._run(progs, on_result), strict=True):
            wanted = [f(split) for split in self._splits(task) for f in (programs.expected_file, programs.times_file)]
            if result.passed and all(name in result.files for name in wanted):
                self._expected[task.task_id] = result.files
            else:
                self._expected[task.task_id] = (
                    f"canonical solution did not run: {result.outcome.value}: {result.reason}"
                )
                log.warning("%s: %s", task.task_id, self._expected[task.task_id])

    def _reference(self, task: Task) -> str:
        return task.canonical if self.benchmark.family == "mbpp" else task.prompt + task.canonical

    def _program(self, sample: Sample, split: str) -> Program | str:
        task = self.tasks[sample.task_id]
        if task.language != "python":
            return programs.multiple_program(task, sample.code)
        if not task.evalplus:
            if self.benchmark.family == "mbpp":
                return programs.mbpp_program(task, sample.code, self.imports)
            return programs.humaneval_program(task, sample.code, self.imports)
        expected = self._expected[task.task_id]
        if isinstance(expected, str):
            return expected
        files = expected
        times = json.loads(files[programs.times_file(split)])
        input_limits = [max(EVALPLUS_MIN_INPUT_S, EVALPLUS_TIME_FACTOR * t) for t in times]
        limits = replace(self.sandbox.limits, timeout=self.sandbox.limits.timeout + sum(input_limits))
        inputs = programs.inputs_bytes(self._splits(task)[split])
        outputs = files[programs.expected_file(split)]
        return programs.evalplus_program(task, sample.code, inputs, outputs, input_limits, limits, self.imports)

    def _run_split(self, samples: list[Sample], split: str, on_result: Progress | None) -> None:
        built = [(s, self._program(s, split)) for s in samples]
        runnable = [(s, p) for s, p in built if isinstance(p, Program)]
        results = self._run([p for _, p in runnable], on_result)
        outcomes = {id(s): (r.outcome.value, r.reason) for (s, _), r in zip(runnable, results, strict=True)}
        for sample, prog in built:
            outcome, reason = outcomes.get(id(sample), (Outcome.CRASHED.value, str(prog)))
            if split == "plus":
                sample.plus_outcome, sample.plus_reason = outcome, reason
            else:
                sample.outcome, sample.reason = outcome, reason

    def score(self, samples: list[Sample], ks: Sequence[int] = (1,), on_result: Progress | None = None) -> Scores:
        start = time.monotonic()
        known = [s for s in samples if s.task_id in self.tasks]
        for s in samples:
            if s.task_id not in self.tasks:
                s.outcome, s.reason = Outcome.CRASHED.value, f"unknown task_id {s.task_id!r}"
        self.groundtruth(dict.fromkeys(s.task_id for s in known), on_result)
        self._run_split(known, "base", on_result)
        if self.plus:
            self._run_split([s for s in known if s.passed_base], "plus", on_result)
            for s in known:
                if not s.passed_base:
                    s.plus_outcome, s.plus_reason = s.outcome, "failed on the base inputs"
        return self._summarise(samples, ks, time.monotonic() - start)

    def _summarise(self, samples: list[Sample], ks: Sequence[int], seconds: float) -> Scores:
        by_task: dict[str, list[Sample]] = {}
        unknown: dict[str, int] = {}
        for s in samples:
            if s.task_id in self.tasks:
                by_task.setdefault(s.task_id, []).append(s)
            else:
                unknown[s.task_id] = unknown.get(s.task_id, 0) + 1
        per_task = []
        for task_id, group in by_task.items():
            row: dict[str, Any] = {
                "task_id": task_id,
                "n": len(group),
                "correct": sum(s.passed for s in group),
            }
            if self.plus:
                row["correct_base"] = sum(s.passed_base for s in group)
            row["outcomes"] = [s.plus_outcome if s.passed_base and s.plus_outcome else s.outcome for s in group]
            row["reasons"] = sorted({s.plus_reason if s.passed_base and s.plus_reason else s.reason for s in group})
            per_task.append(row)
        counts = [(row["n"], row["correct"]) for row in per_task]
        base = [(row["n"], row["correct_base"]) for row in per_task] if self.plus else None
        missing = [t for t in self.tasks if t not in by_task]
        if missing:
            log.warning("%d of %d tasks have no sample; pass@k is over the others", len(missing), len(self.tasks))
        if unknown:
            log.warning("%d samples name %d task ids not in %s (first: %r); they are not scored",
                        sum(unknown.values()), len(unknown), self.benchmark.name, next(iter(unknown)))  # fmt: skip
        k_missing = why_k_missing(counts, ks)
        for name, why in k_missing.items():
            log.warning("%s not computed: %s", name, why)
        return Scores(
            benchmark=self.benchmark.name,
            pass_at_k=mean_pass_at_k(counts, ks),
            per_task=per_task,
            samples=samples,
            pass_at_k_base=mean_pass_at_k(base, ks) if base is not None else None,
            invalid_lines=list(self.benchmark.invalid_lines),
            missing_tasks=missing,
            unknown_tasks=unknown,
            k_missing=k_missing,
            seconds=seconds,
            programs_run=self.programs_run,
            isolated=self.sandbox.isolated,
        )
