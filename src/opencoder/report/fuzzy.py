"""The fuzzy dedup part of the HTML report: how big the near-duplicate clusters are, and a few side by side.

Reads RUN_DIR/clusters.parquet (id, cluster = the kept id) and, for the shown clusters only, the two documents'
text from kept/ and removed/, filtered by id so a large run is not read whole.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from opencoder.report.html import Section, esc, num, table
from opencoder.report.run import RunView

SIZE_BINS = (2, 3, 4, 6, 11, 101)  # cluster sizes 2, 3, 4-5, 6-10, 11-100, 101+
SHOWN_CLUSTERS = 3
DIFF_CHARS = 20_000  # longer texts are cut before diffing: the report stays small
DIFF_STYLE = (
    "<style>table.diff{font-family:monospace;font-size:.85em}.diff_add{background:#cfc}"
    ".diff_chg{background:#ffa}.diff_sub{background:#fcc}.diff_next{display:none}</style>"
)


def _texts(run_dir: Path, ids: list[str]) -> dict[str, str]:
    """Text of the given ids, from the run's kept and removed Parquet files."""
    found: dict[str, str] = {}
    for folder in ("kept", "removed"):
        files = sorted((run_dir / folder).glob("*.parquet"))
        if files:
            part = ds.dataset(files, format="parquet").to_table(columns=["id", "text"], filter=pc.field("id").isin(ids))
            found.update(zip(part.column("id").to_pylist(), part.column("text").to_pylist(), strict=True))
    return found


def _size_table(sizes: np.ndarray) -> str:
    rows = []
    for lo, hi in zip(SIZE_BINS, (*SIZE_BINS[1:], None), strict=True):
        sel = sizes >= lo if hi is None else (sizes >= lo) & (sizes < hi)
        label = f"{lo}+" if hi is None else (str(lo) if hi == lo + 1 else f"{lo}-{hi - 1}")
        rows.append([label, num(int(sel.sum())), num(int(sizes[sel].sum())), num(int((sizes[sel] - 1).sum()))])
    return table(["cluster size", "clusters", "documents", "removed"], rows, (False, True, True, True))


def fuzzy_section(run: RunView) -> Section | None:
    """Cluster-size distribution and the largest clusters' kept document beside one removed member."""
    path = run.run_dir / "clusters.parquet"
    if not path.is_file():
        return None
    clusters = pq.read_table(path)
    if clusters.num_rows == 0:
        return Section("Fuzzy dedup clusters", "<p>No near-duplicate clusters.</p>")
    counts = (
        clusters.group_by("cluster")
        .aggregate([("id", "count")])
        .sort_by([("id_count", "descending"), ("cluster", "ascending")])
    )
    sizes = counts.column("id_count").to_numpy()
    parts = [
        f"<p>{num(len(sizes))} clusters hold {num(int(sizes.sum()))} documents; each keeps one "
        f"(highest stars, then latest commit, then smallest id) and removes {num(int((sizes - 1).sum()))}.</p>",
        _size_table(sizes),
        DIFF_STYLE,
    ]
    shown = counts.column("cluster").to_pylist()[:SHOWN_CLUSTERS]
    pairs = []
    for kept in shown:
        members = clusters.filter(pc.equal(clusters.column("cluster"), kept)).column("id").to_pylist()
        pairs.append((kept, next(m for m in members if m != kept), len(members)))
    texts = _texts(run.run_dir, [i for kept, other, _ in pairs for i in (kept, other)])
    for kept, other, size in pairs:
        parts.append(f"<h3>Cluster of {num(size)}: kept {esc(kept)} beside removed {esc(other)}</h3>")
        a, b = texts.get(kept), texts.get(other)
        if a is None or b is None:
            parts.append("<p class='meta'>(text not found in kept/ or removed/)</p>")
            continue
        diff = difflib.HtmlDiff(wrapcolumn=70).make_table(
            a[:DIFF_CHARS].splitlines(),
            b[:DIFF_CHARS].splitlines(),
            f"kept {kept}",
            f"removed {other}",
            context=True,
            numlines=2,
        )
        parts.append(f"<div style='overflow-x:auto'>{diff}</div>")
    return Section("Fuzzy dedup clusters", "".join(parts))
