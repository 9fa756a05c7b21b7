"""Write an evaluation's outputs: results.json, the scored samples as JSONL, and a short markdown report."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from opencoder.eval.scoring import Scores

_REPORT_FAILURES = 30


def write_results(scores: Scores, out: Path, extra: dict | None = None) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"results": out / "results.json", "samples": out / "samples.jsonl", "report": out / "report.md"}
    data = scores.to_json()
    if extra:
        data.update(extra)
    paths["results"].write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    with open(paths["samples"], "w", encoding="utf-8") as f:
        for row in scores.sample_rows():
            f.write(json.dumps(row) + "\n")
    paths["report"].write_text(render_report(scores, extra or {}), encoding="utf-8")
    return paths


def render_report(scores: Scores, extra: dict) -> str:
    lines = [f"# {scores.benchmark}: evaluation report", ""]
    for key, value in extra.items():
        lines.append(f"- {key}: `{str(value)[:300]}`")
    sandbox = scores.to_json()["sandbox"]
    isolation = "bubblewrap" if scores.isolated else "no isolation"
    lines += [
        f"- tasks: {len(scores.per_task)}, samples: {len(scores.samples)}, "
        f"missing tasks: {len(scores.missing_tasks)}, invalid lines: {len(scores.invalid_lines)}, "
        f"samples of unknown task ids: {sum(scores.unknown_tasks.values())}",
        f"- sandbox: {isolation}, {sandbox['programs']} programs in {sandbox['seconds']} s "
        f"({sandbox['programs_per_s']} /s)",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v:.4f} |" for k, v in scores.pass_at_k.items()]
    lines += [f"| {k} (base) | {v:.4f} |" for k, v in (scores.pass_at_k_base or {}).items()]
    lines += [f"| {k} | not computed: {why} |" for k, why in scores.k_missing.items()]
    outcomes = Counter(o for row in scores.per_task for o in row["outcomes"])
    lines += ["", "## Outcomes", "", "| outcome | samples |", "|---|---|"]
    lines += [f"| {o} | {c} |" for o, c in outcomes.most_common()]
    failed = [row for row in scores.per_task if row["correct"] < row["n"]]
    lines += ["", f"## Tasks not always solved ({len(failed)}, first {_REPORT_FAILURES})", ""]
    for row in failed[:_REPORT_FAILURES]:
        reasons = "; ".join(r for r in row["reasons"] if r != "passed")[:200]
        lines.append(f"- `{row['task_id']}` {row['correct']}/{row['n']}: {reasons}")
    if scores.unknown_tasks:
        count = len(scores.unknown_tasks)
        lines += ["", f"## Task ids not in {scores.benchmark}, not scored ({count}, first {_REPORT_FAILURES})", ""]
        lines += ["| task_id | samples |", "|---|---|"]
        lines += [f"| `{t}` | {n} |" for t, n in list(scores.unknown_tasks.items())[:_REPORT_FAILURES]]
    if scores.invalid_lines:
        lines += ["", "## Invalid input lines", ""] + [f"- {line}" for line in scores.invalid_lines[:50]]
    return "\n".join(lines) + "\n"
