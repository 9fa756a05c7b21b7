"""The report's synthesis section: for every ``synth.json`` under a run (one per synthesized set), the yield of
each step with its top rejection reasons, the throughput, and the first samples kept."""

from __future__ import annotations

import json
from pathlib import Path

from opencoder.report.html import Section, esc, num, table
from opencoder.report.run import RunView

SAMPLES_SHOWN = 2
SAMPLE_CHARS = 1500


def _first_samples(path: Path, count: int) -> list[dict]:
    samples = []
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if len(samples) >= count:
                    break
                try:
                    samples.append(json.loads(line))
                except ValueError:  # a torn last line of a run still writing
                    break
    return samples


def _render_sample(sample: dict) -> str:
    turns = sample.get("messages") or [{"role": "document", "content": sample.get("text", "")}]
    parts = [f"<p class='meta'>seed {esc(sample.get('seed_id'))} · validation "
             f"{esc((sample.get('validation') or {}).get('outcome', 'none'))}</p>"]  # fmt: skip
    for turn in turns:
        text = turn["content"]
        cut = "\n…" if len(text) > SAMPLE_CHARS else ""
        parts.append(f"<p class='meta'>{esc(turn['role'])}</p><pre>{esc(text[:SAMPLE_CHARS])}{cut}</pre>")
    return "".join(parts)


def synth_section(run: RunView) -> Section | None:
    parts = []
    for path in run.find("synth.json"):
        try:
            stats = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            parts.append(f"<p class='bad'>{esc(path)}: cannot read: {esc(err)}</p>")
            continue
        where = esc(path.parent.relative_to(run.run_dir) if path.parent != run.run_dir else path.parent.name)
        rows = [[s["step"], num(s["in"]), num(s["passed"]), num(s["rejected"]),
                 "; ".join(f"{r} ({n})" for r, n in s["reasons"].items())] for s in stats["steps"]]  # fmt: skip
        generator = stats.get("generator") or {}
        parts.append(
            f"<h3>{where}: {esc(stats['recipe'])} ({esc(stats['kind'])})</h3>"
            f"<p>{num(stats['kept'])} of {num(stats['seeds'])} seeds kept; {num(stats.get('samples_per_hour'))} "
            f"samples/hour over {num(stats.get('wall_s'))} s; teacher {esc(generator.get('model') or 'none')} "
            f"({esc(generator.get('backend') or 'no LLM')}); decontamination: {esc(stats.get('decontamination'))}</p>"
            + table(["step", "in", "passed", "rejected", "top reasons"], rows, (False, True, True, True, False))
        )
        parts += [_render_sample(s) for s in _first_samples(path.parent / "samples.jsonl", SAMPLES_SHOWN)]
    return Section("Synthetic data", "".join(parts)) if parts else None
