"""Benchmark files: the bundled ones, formats told apart by their keys, malformed lines recorded and skipped."""

from __future__ import annotations

import json

import pytest

from opencoder.errors import OpencoderError
from opencoder.eval.benchmarks import load_benchmark


def test_bundled_benchmarks_load_with_their_sizes():
    sizes = {"humaneval": 164, "humaneval+": 164, "mbpp": 500, "mbpp_sanitized": 257}
    for name, size in sizes.items():
        benchmark = load_benchmark(name)
        assert benchmark.invalid_lines == []
        assert len(benchmark.tasks) == size
    sanitized = load_benchmark("mbpp-sanitized")
    assert all(10 <= int(t.task_id) < 510 for t in sanitized.tasks)
    assert sanitized.family == "mbpp" and sanitized.tasks[0].tests


def test_a_user_file_with_malformed_lines(tmp_path):
    good = {"task_id": "T/0", "prompt": "def f():\n", "canonical_solution": "    return 1\n",
            "entry_point": "f", "test": "def check(c):\n    assert c() == 1\n"}  # fmt: skip
    path = tmp_path / "bench.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps({"task_id": "T/1", "prompt": 3}),
                "[1, 2]",
                json.dumps(good),
            ]
        )
        + "\n"
    )
    benchmark = load_benchmark("jsonl", path)
    assert [t.task_id for t in benchmark.tasks] == ["T/0"]
    assert [line.split(":")[1] for line in benchmark.invalid_lines] == ["2", "3", "4", "5"]
    assert "duplicate task_id" in benchmark.invalid_lines[-1]


def test_evalplus_mbpp_format_needs_a_path(tmp_path):
    with pytest.raises(OpencoderError, match="--data"):
        load_benchmark("mbpp+")
    record = {
        "task_id": "Mbpp/2",
        "prompt": '"""\nWrite a function.\n"""\n',
        "entry_point": "f",
        "canonical_solution": "def f(a, b):\n    return a + b\n",
        "base_input": [[1, 2]],
        "plus_input": [[3, 4], [0.5, 0.25]],
        "atol": 0,
        "assertion": "assert f(1, 2) == 3\n",
    }
    path = tmp_path / "MbppPlus.jsonl"
    path.write_text(json.dumps(record) + "\n")
    benchmark = load_benchmark("mbpp+", path)
    assert benchmark.family == "mbpp" and benchmark.plus
    assert benchmark.tasks[0].plus_inputs == [[3, 4], [0.5, 0.25]]
