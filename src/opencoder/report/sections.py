"""The report's sections. Each is a function ``RunView -> Section | None`` (None: nothing to show here).

``SECTIONS`` lists them in page order. A stage adds what it knows (fuzzy dedup's cluster sizes) without its package
importing the report: its section function lives in a report module (``report/fuzzy.py``) or any module of a
package above the engine, and one line in the engine's ``REPORT_SECTIONS`` names it; those sections come after the
removal reasons.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from opencoder.engine.registry import REPORT_SECTIONS
from opencoder.report.html import Raw, Section, bar, esc, human_bytes, line_chart, num, table
from opencoder.report.recall import recall_section
from opencoder.report.run import RunView, SizeCount
from opencoder.report.signal_section import signal_section
from opencoder.report.synth import synth_section

SectionFn = Callable[[RunView], Section | None]

TOP_LANGUAGES = 30
MAX_CURVE_POINTS = 400


def overview(run: RunView) -> Section:
    """Where the run came from: its inputs, recipe, package versions and timings."""
    m = run.manifest
    parts = []
    inputs = m.get("inputs") or []
    if inputs:
        parts.append(f"<h3>Inputs ({len(inputs)})</h3>" + _records_table(inputs))
    if m.get("timings"):
        parts.append("<h3>Timings</h3>" + _key_values(m["timings"]))
    if m.get("versions"):
        parts.append("<h3>Versions</h3>" + _key_values(m["versions"]))
    if m.get("recipe") is not None:
        recipe = json.dumps(m["recipe"], indent=2, sort_keys=True, default=str)
        parts.append(f"<details><summary>Recipe</summary><pre>{esc(recipe)}</pre></details>")
    return Section("Run", "".join(parts) or "<p>The manifest records no inputs, timings or recipe.</p>")


def funnel(run: RunView) -> Section | None:
    """Documents in, kept and removed per stage, in pipeline order, with a check that in = kept + removed."""
    stages = run.manifest.get("stages") or []
    if not stages:
        return None
    first = max(int(stages[0].get("in", 0)), 1)
    rows = []
    for s in stages:
        n_in, kept, removed = (int(s.get(k, 0)) for k in ("in", "kept", "removed"))
        check = "" if n_in == kept + removed else '<span class="bad">in ≠ kept + removed</span>'
        counters = ", ".join(f"{k}: {num(v)}" for k, v in sorted((s.get("counters") or {}).items()))
        rows.append(
            [
                s.get("name", "?"),
                n_in,
                kept,
                removed,
                Raw(bar(kept / first) + bar(removed / first, removed=True) + check),
                _pct(removed, n_in),
                counters,
            ]
        )
    header = [
        "stage",
        "in",
        "kept",
        "removed",
        "kept / removed (share of the input)",
        "removed %",
        "counters",
    ]
    return Section(
        "Funnel",
        table(header, [_fmt(r) for r in rows], numeric=(False, True, True, True, False, True, False)),
    )


def languages(run: RunView) -> Section | None:
    """Files and bytes per language before (all documents read) and after (kept) the run."""
    kept = run.kept_langs
    before: dict[str, SizeCount] = {lang: SizeCount(c.docs, c.bytes) for lang, c in run.removed.langs.items()}
    for lang, c in kept.items():
        before.setdefault(lang, SizeCount()).add(c.docs, c.bytes)
    if not before:
        return None
    order = sorted(before, key=lambda lang: (-before[lang].bytes, lang))
    rows = []
    for lang in order[:TOP_LANGUAGES]:
        b, a = before[lang], kept.get(lang, SizeCount())
        rows.append(
            [
                lang,
                num(b.docs),
                human_bytes(b.bytes),
                num(a.docs),
                human_bytes(a.bytes),
                _pct(a.bytes, b.bytes),
            ]
        )
    rest = order[TOP_LANGUAGES:]
    if rest:
        b = _total(before[lang] for lang in rest)
        a = _total(kept.get(lang, SizeCount()) for lang in rest)
        rows.append(
            [
                f"{len(rest)} more",
                num(b.docs),
                human_bytes(b.bytes),
                num(a.docs),
                human_bytes(a.bytes),
                _pct(a.bytes, b.bytes),
            ]
        )
    tb, ta = _total(before.values()), _total(kept.values())
    rows.append(
        [
            "all",
            num(tb.docs),
            human_bytes(tb.bytes),
            num(ta.docs),
            human_bytes(ta.bytes),
            _pct(ta.bytes, tb.bytes),
        ]
    )
    header = ["language", "files before", "bytes before", "files after", "bytes after", "bytes kept %"]
    note = "<p class='meta'>Bytes are the documents' original sizes; (none): removed before language ID.</p>"
    return Section("Languages", note + table(header, rows, numeric=(False, True, True, True, True, True)))


def removal_reasons(run: RunView) -> Section | None:
    """Removed documents and bytes per (stage, reason), largest first."""
    reasons = run.removed.reasons
    if not reasons:
        return None
    total = max(sum(c.docs for c in reasons.values()), 1)
    order = sorted(reasons, key=lambda k: (-reasons[k].docs, k))
    rows = [
        [
            stage,
            reason,
            num(reasons[k].docs),
            human_bytes(reasons[k].bytes),
            Raw(bar(reasons[k].docs / total, True)),
        ]
        for k in order
        for stage, reason in [k]
    ]
    header = ["stage", "reason", "documents", "bytes", "share of removed"]
    return Section("Removal reasons", table(header, rows, numeric=(False, False, True, True, False)))


def rule_hits(run: RunView) -> Section | None:
    """How often each filter rule was among the rules that removed a document."""
    rules = run.removed.rules
    if not rules:
        return None
    rows = [[rule, num(n)] for rule, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))]
    note = "<p class='meta'>A document can hit several rules; each hit counts.</p>"
    return Section("Filter rule hits", note + table(["rule", "removed documents hitting it"], rows, (False, True)))


def removed_samples(run: RunView) -> Section | None:
    """The first few removed documents of each reason, with the start of their text."""
    samples = run.removed.samples
    if not samples:
        return None
    parts = []
    for (stage, reason), picked in sorted(samples.items()):
        parts.append(f"<h3>{esc(stage)} · {esc(reason)}</h3>")
        for sample in picked:
            meta = " · ".join(f"{k}: {_short(v)}" for k, v in sample.meta.items() if v not in (None, [], ""))
            parts.append(f"<p class='meta'>{esc(meta)}</p>")
            if sample.text is not None:
                cut = f"\n… (cut at {num(run.sample_chars)} characters)" if sample.truncated else ""
                parts.append(f"<pre>{esc(sample.text)}{esc(cut)}</pre>")
    return Section("Removed samples", "".join(parts))


def training_curves(run: RunView) -> Section | None:
    """Line charts of every numeric metric in ``metrics.jsonl`` files (training logs), against the step."""
    parts = []
    for path in run.find("metrics.jsonl"):
        records = _jsonl_records(path)
        keys = sorted({k for r in records for k, v in r.items() if _is_number(v) and k != "step"})
        charts = []
        for key in keys:
            points = [(r.get("step", i), r[key]) for i, r in enumerate(records) if _is_number(r.get(key))]
            points = points[:: max(1, len(points) // MAX_CURVE_POINTS)]
            if len(points) >= 2:
                charts.append(line_chart(key, [float(x) for x, _ in points], [float(y) for _, y in points]))
        if charts:
            parts.append(f"<h3>{esc(path.relative_to(run.run_dir))}</h3>{''.join(charts)}")
    return Section("Training curves", "".join(parts)) if parts else None


def eval_results(run: RunView) -> Section | None:
    """The numbers in ``results.json`` files (evaluation scores), one row per key path."""
    parts = []
    for path in run.find("results.json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            parts.append(f"<p class='bad'>{esc(path)}: cannot read: {esc(err)}</p>")
            continue
        rows = [[key, num(value)] for key, value in _numeric_leaves(data)]
        if rows:
            title = esc(path.relative_to(run.run_dir))
            parts.append(f"<h3>{title}</h3>" + table(["metric", "value"], rows, (False, True)))
    return Section("Evaluation results", "".join(parts)) if parts else None


# The report, in order. Append a later stage's section function here (one line).
def stage_sections() -> list[SectionFn]:
    """The section functions stages registered in ``REPORT_SECTIONS`` ("module:function"), imported."""
    fns = []
    for target in REPORT_SECTIONS.values():
        module, _, name = target.partition(":")
        fns.append(getattr(importlib.import_module(module), name))
    return fns


SECTIONS: list[SectionFn] = [
    overview,
    funnel,
    languages,
    removal_reasons,
    *stage_sections(),
    rule_hits,
    signal_section,
    removed_samples,
    recall_section,
    synth_section,
    training_curves,
    eval_results,
]


def _fmt(row: list[Any]) -> list[Any]:
    return [num(c) if isinstance(c, int) else c for c in row]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else ""


def _total(counts: Any) -> SizeCount:
    out = SizeCount()
    for c in counts:
        out.add(c.docs, c.bytes)
    return out


def _short(value: Any, limit: int = 160) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _jsonl_records(path: Path) -> list[dict[str, Any]]:
    """The object lines of a JSONL file; a torn last line (a run still writing) is skipped."""
    records = []
    with path.open("rb") as fh:
        for line in fh:
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def _numeric_leaves(data: Any, prefix: str = "") -> list[tuple[str, float]]:
    """(dotted key path, number) for every number in nested objects; lists (per-sample data) are skipped."""
    if _is_number(data):
        return [(prefix or "value", data)]
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _numeric_leaves(v, f"{prefix}.{k}" if prefix else str(k))]
    return []


def _records_table(records: list[Any]) -> str:
    """A list of flat records (dicts) as a table with the union of their keys; anything else as one column."""
    if not all(isinstance(r, dict) for r in records):
        return table(["input"], [[r] for r in records])
    keys = list(dict.fromkeys(k for r in records for k in r))
    return table(keys, [[_short(r.get(k, "")) for k in keys] for r in records])


def _key_values(data: Any) -> str:
    if not isinstance(data, dict):
        return f"<pre>{esc(json.dumps(data, indent=2, default=str))}</pre>"
    return table(
        ["key", "value"],
        [[k, _short(json.dumps(v, default=str) if isinstance(v, dict) else v)] for k, v in data.items()],
    )
