"""Benchmark loaders: HumanEval, HumanEval+, MBPP, MBPP+, MBPP-sanitized, or any JSONL in those formats.

A line's format is told by its keys: `canonical_solution` + `test` (human-eval), `test_list` (MBPP, full or
sanitized), `base_input` (evalplus: HumanEval+ or MBPP+). A malformed line is recorded with its file and line
number and skipped, so one bad line never stops an evaluation.
"""

from __future__ import annotations

import ast
import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from opencoder.errors import OpencoderError
from opencoder.io.benchmark_files import BUNDLED, MBPP_FEWSHOT_IDS, MBPP_TEST_RANGE, bundled_path

Family = Literal["humaneval", "mbpp"]


@dataclass(frozen=True)
class Task:
    """One problem. `canonical` is the reference: a body to append to `prompt` (HumanEval) or a whole program."""

    task_id: str
    prompt: str
    canonical: str
    entry_point: str | None = None
    test: str = ""  # HumanEval: code defining check(candidate)
    tests: tuple[str, ...] = ()  # MBPP: assertion lines
    setup: str = ""  # MBPP: test_setup_code / test_imports
    base_inputs: list[Any] | None = None  # evalplus: argument lists
    plus_inputs: list[Any] | None = None
    atol: float = 0.0
    language: str = "python"  # MultiPL-E tasks: the sandbox language; `test` is then the translated suite
    stop: tuple[str, ...] = ()  # MultiPL-E tasks: the language's stop sequences

    @property
    def evalplus(self) -> bool:
        return self.base_inputs is not None


@dataclass
class Benchmark:
    name: str
    family: Family
    tasks: list[Task]
    fewshot: list[Task] = field(default_factory=list)
    invalid_lines: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)  # MultiPL-E: task id -> why it was not translated

    @property
    def language(self) -> str:
        return self.tasks[0].language if self.tasks else "python"

    @property
    def plus(self) -> bool:
        return any(t.plus_inputs is not None for t in self.tasks)

    def by_id(self) -> dict[str, Task]:
        return {t.task_id: t for t in self.tasks}


NAMES = ("humaneval", "humaneval+", "mbpp", "mbpp+", "mbpp_sanitized", "jsonl")


def load_benchmark(name: str, data: Path | None = None) -> Benchmark:
    """Load a benchmark by name, from `data` if given, else from the copy bundled with the package."""
    if name.lower().startswith("multipl"):
        return _multipl(name.lower(), data)
    name = name.lower().replace("plus", "+").replace("-", "_")
    if name not in NAMES:
        raise OpencoderError(f"unknown benchmark {name!r}; choose one of {', '.join(NAMES)}")
    if data is None:
        if name not in BUNDLED:
            raise OpencoderError(f"benchmark {name!r} is not bundled: give its JSONL file with --data")
        path = bundled_path(name)
    else:
        path = Path(data)
        if not path.is_file():
            raise OpencoderError(f"benchmark data {path} does not exist")
    tasks, invalid = read_tasks(path)
    if not tasks:
        raise OpencoderError(f"{path}: no valid task in the file ({len(invalid)} invalid lines)")
    family: Family = "mbpp" if tasks[0].tests or tasks[0].task_id.startswith("Mbpp/") else "humaneval"
    fewshot: list[Task] = []
    if family == "mbpp":
        fewshot = _mbpp_fewshot()
        if name in ("mbpp", "mbpp_sanitized"):
            tasks = [t for t in tasks if not t.task_id.isdigit() or int(t.task_id) in MBPP_TEST_RANGE]
    return Benchmark(name, family, tasks, fewshot, invalid)


def _multipl(name: str, data: Path | None) -> Benchmark:
    """multipl-humaneval-<lang> / multipl-mbpp-<lang>: translated from the Python originals (multiple.py)."""
    from opencoder.eval import multiple
    from opencoder.eval.multiple_languages import SHORT, TRANSLATORS

    match = re.fullmatch(r"multipl[-_]e?[-_]?(humaneval|mbpp)[-_](\w+)", name)
    languages = {short: lang for lang, short in SHORT.items()} | {lang: lang for lang in SHORT}
    if match is None or match.group(2) not in languages:
        choices = ", ".join(f"multipl-{b}-{s}" for b in ("humaneval", "mbpp") for s in SHORT.values())
        raise OpencoderError(f"unknown benchmark {name!r}; MultiPL-E benchmarks are {choices}")
    source, lang = match.group(1), languages[match.group(2)]
    translator = TRANSLATORS[lang]()
    tasks, dropped = [], {}
    for problem in _python_problems(source, data, dropped):
        try:
            prompt, suite = translator.translate(problem)
        except multiple.Untranslatable as err:
            dropped[problem.task_id] = str(err)
            continue
        entry_point = translator.function_name(problem.name)
        tasks.append(Task(problem.task_id, prompt, "", entry_point, suite, language=lang, stop=translator.stop))
    short = SHORT[lang]
    return Benchmark(f"multipl-{source}-{short}", "humaneval", tasks, dropped=dropped)


def _python_problems(source: str, data: Path | None, dropped: dict[str, str]) -> list[Any]:
    """The Python originals in MultiPL-E's shape; the others go to `dropped` with their reason."""
    from opencoder.eval import multiple

    problems = []
    if source == "humaneval":
        tasks, _ = read_tasks(Path(data) if data else bundled_path("humaneval"))
        for t in tasks:
            try:
                problems.append(multiple.humaneval_problem(t.task_id, t.prompt, t.test, t.entry_point or ""))
            except (multiple.Untranslatable, SyntaxError) as err:
                dropped[t.task_id] = str(err)
        return problems
    path = Path(data) if data else bundled_path("mbpp_sanitized")
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            task_id = f"mbpp/{record['task_id']}"
            try:
                imports = record.get("test_imports") or []
                problems.append(
                    multiple.mbpp_problem(task_id, record["prompt"], record["code"], record["test_list"], imports)
                )
            except (multiple.Untranslatable, SyntaxError) as err:
                dropped[task_id] = str(err)
    return problems


def _mbpp_fewshot() -> list[Task]:
    tasks, _ = read_tasks(bundled_path("mbpp"))
    wanted = {str(i) for i in MBPP_FEWSHOT_IDS}
    return [t for t in tasks if t.task_id in wanted]


def read_tasks(path: Path) -> tuple[list[Task], list[str]]:
    """Parse every line; return the tasks and 'file:line: reason' for each line that is not one."""
    opener = gzip.open if path.suffix == ".gz" else open
    tasks: list[Task] = []
    invalid: list[str] = []
    seen: set[str] = set()
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                task = parse_task(json.loads(line))
                if task.task_id in seen:
                    raise ValueError(f"duplicate task_id {task.task_id!r}")
            except (ValueError, TypeError, KeyError, SyntaxError) as err:
                invalid.append(f"{path}:{number}: {type(err).__name__}: {err}"[:300])
                continue
            seen.add(task.task_id)
            tasks.append(task)
    return tasks, invalid


def _as_list(value: Any) -> list[Any]:
    """MBPP files store lists either as JSON lists or as their Python repr."""
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.strip() else []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _text(record: dict[str, Any], *keys: str) -> str:
    for key in keys:
        if key in record:
            value = record[key]
            if not isinstance(value, str):
                raise TypeError(f"{key!r} must be a string")
            return value
    raise KeyError(f"missing key {' or '.join(repr(k) for k in keys)}")


def parse_task(record: Any) -> Task:
    if not isinstance(record, dict):
        raise TypeError("a benchmark line must be a JSON object")
    task_id = str(record["task_id"])
    if "base_input" in record:
        return _parse_evalplus(task_id, record)
    if "test_list" in record:
        tests = tuple(_as_list(record["test_list"]))
        setup = record.get("test_setup_code") or "\n".join(_as_list(record.get("test_imports", [])))
        return Task(task_id, _text(record, "text", "prompt"), _text(record, "code"), tests=tests, setup=setup)
    return Task(
        task_id,
        _text(record, "prompt"),
        _text(record, "canonical_solution"),
        entry_point=_text(record, "entry_point"),
        test=_text(record, "test"),
    )


def _parse_evalplus(task_id: str, record: dict[str, Any]) -> Task:
    base = _as_list(record["base_input"])
    plus = _as_list(record.get("plus_input", []))
    if not all(isinstance(args, list) for args in base + plus):
        raise TypeError("each evalplus input must be a list of arguments")
    return Task(
        task_id,
        _text(record, "prompt"),
        _text(record, "canonical_solution", "code"),
        entry_point=_text(record, "entry_point"),
        test=record.get("test") or record.get("assertion") or "",
        base_inputs=base,
        plus_inputs=plus,
        atol=float(record.get("atol") or 0.0),
    )
