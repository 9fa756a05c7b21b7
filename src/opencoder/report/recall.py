"""The report's recall section: for every ``recall.json`` under a run (one per ``opencoder recall`` output), each
round's recalled count, domains added and held-out precision and recall, and the last round's highest- and
lowest-scored pages, so that a user sees where the threshold cuts."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from opencoder.report.html import Section, esc, num, table
from opencoder.report.run import RunView

PAGES_SHOWN = 10  # highest and lowest scored each
SNIPPET_CHARS = 160


def _ranked_pages(run_dir: Path) -> tuple[list[list], list[list]]:
    """Rows (score, id, url, the text's start) of the highest- and lowest-scored pages of one scoring run."""
    scores = ds.dataset(run_dir / "scores", format="parquet").to_table(columns=["id", "url", "score"])
    ranked = scores.sort_by([("score", "descending"), ("id", "ascending")])
    top, bottom = ranked.slice(0, PAGES_SHOWN), ranked.slice(max(PAGES_SHOWN, ranked.num_rows - PAGES_SHOWN))
    shown = pa.concat_tables([top, bottom])
    kept = ds.dataset(run_dir / "kept", format="parquet")
    texts = kept.to_table(columns=["id", "text"], filter=pc.field("id").isin(shown.column("id")))
    start = dict(zip(texts.column("id").to_pylist(), texts.column("text").to_pylist(), strict=True))

    def rows(part: pa.Table) -> list[list]:
        snippet = {i: " ".join((t or "").split())[:SNIPPET_CHARS] for i, t in start.items()}
        return [[f"{r['score']:.3f}", r["id"], r["url"] or "", snippet.get(r["id"], "")] for r in part.to_pylist()]

    return rows(top), rows(bottom)


def recall_section(run: RunView) -> Section | None:
    parts = [recall_html(path, path.parent.relative_to(run.run_dir)) for path in run.find("recall.json")]
    return Section("Recall of code-related text", "".join(parts)) if parts else None


def recall_html(path: Path, label: Path | str) -> str:
    """One ``opencoder recall`` output (its ``recall.json`` and round folders) as HTML headed by ``label``."""
    try:
        summary = json.loads(path.read_text())
        rounds = summary["rounds"]
    except (OSError, ValueError, KeyError) as err:
        return f"<p class='bad'>{esc(path)}: cannot read: {esc(err)}</p>"
    threshold = summary.get("params", {}).get("threshold")
    rows = [[r["round"], num(r["pool"]), num(r["recalled"]), num(r["recalled_by_classifier"]),
             ", ".join(r["domains_added"]) or "-", num(r["pages_added_to_positives"]),
             f"{r['held_out']['precision']:.3f}", f"{r['held_out']['recall']:.3f}"] for r in rounds]  # fmt: skip
    parts = [
        f"<h3>{esc(str(label) or '.')}</h3><p>P(code) threshold {esc(threshold)}; held-out precision and recall are "
        "measured on a share of the seed pages each round.</p>"
        + table(["round", "pool", "recalled", "by the classifier", "domains added", "pages added to seeds",
                 "held-out precision", "held-out recall"], rows, (True, True, True, True, False, True, True, True))
    ]  # fmt: skip
    last = path.parent / f"round{rounds[-1]['round']}" / "run" if rounds else None
    if last is not None and (last / "scores").is_dir():
        top, bottom = _ranked_pages(last)
        head = ["score", "id", "url", "text"]
        parts.append(f"<h4>Round {rounds[-1]['round']}: highest scored</h4>" + table(head, top))
        parts.append(f"<h4>Round {rounds[-1]['round']}: lowest scored</h4>" + table(head, bottom))
    return "".join(parts)
