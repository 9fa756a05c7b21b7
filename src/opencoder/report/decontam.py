"""The decontamination part of the HTML report: contaminated documents per benchmark, per task and per source.

Reads RUN_DIR/decontam/*.parquet (one row per removed document: benchmark, task_id, method, match, similarity),
written by the ``decontam`` stage; the documents' text is not read.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from opencoder.report.html import Section, num, table
from opencoder.report.run import RunView

TOP_TASKS = 30
TOP_SOURCES = 20
EXAMPLES = 10


def _counts(matches: pa.Table, keys: list[str]) -> list[list[object]]:
    """Rows of ``keys`` + documents, largest first, then by key."""
    grouped = matches.group_by(keys).aggregate([("id", "count")]).to_pylist()
    grouped.sort(key=lambda r: (-r["id_count"], *[str(r[k]) for k in keys]))
    return [[*(r[k] for k in keys), num(r["id_count"])] for r in grouped]


def decontam_section(run: RunView) -> Section | None:
    """Contamination found by the decontam stage, if the run had one."""
    files = run.parquet_files("decontam")
    stages = [s for s in run.manifest.get("stages") or [] if s.get("name") == "decontam"]
    if not files and not stages:
        return None
    scanned = int(stages[0].get("in", 0)) if stages else 0
    if not files:
        return Section("Decontamination", f"<p>No contaminated document among {num(scanned)} scanned.</p>")
    matches = pa.concat_tables(pq.read_table(f) for f in files)
    parts = [
        f"<p>{num(matches.num_rows)} of {num(scanned)} documents hold benchmark text and were removed "
        "(a document counts once, for the first method and task that matched it).</p>",
        "<h3>Per benchmark and method</h3>",
        table(["benchmark", "method", "documents"], _counts(matches, ["benchmark", "method"]), (False, False, True)),
        f"<h3>Per task (top {TOP_TASKS})</h3>",
        table(
            ["benchmark", "task", "documents"],
            _counts(matches, ["benchmark", "task_id"])[:TOP_TASKS],
            (False, False, True),
        ),
        f"<h3>Per source (top {TOP_SOURCES})</h3>",
        table(["source", "documents"], _counts(matches, ["source"])[:TOP_SOURCES], (False, True)),
        "<h3>Examples</h3>",
    ]
    rows = [
        [r["id"], r["benchmark"], r["task_id"], r["method"], r["match"], num(r["similarity"])]
        for r in matches.slice(0, EXAMPLES).to_pylist()
    ]
    parts.append(table(["document", "benchmark", "task", "method", "evidence", "similarity"], rows))
    return Section("Decontamination", "".join(parts))
