"""Read what a run left on disk, for the report: the manifest and columnar summaries of its Parquet files.

Parquet is scanned one row group at a time and only the columns a summary needs are read, so a report on a
terabyte run needs memory for one row group, not for the run. Document text is read only for the few removed
samples shown, from the row groups that hold them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opencoder.errors import OpencoderError

NO_LANG = "(none)"  # documents removed before language identification carry no language


@dataclass
class SizeCount:
    """Documents and bytes of a group."""

    docs: int = 0
    bytes: int = 0

    def add(self, docs: int, nbytes: int) -> None:
        self.docs += docs
        self.bytes += nbytes


@dataclass(frozen=True)
class Sample:
    """One removed document shown in the report: its metadata and the start of its text."""

    meta: dict[str, Any]
    text: str | None
    truncated: bool


@dataclass
class RemovedSummary:
    """Everything the report needs from ``removed/``, gathered in one scan without reading text."""

    reasons: dict[tuple[str, str], SizeCount] = field(default_factory=lambda: defaultdict(SizeCount))
    langs: dict[str, SizeCount] = field(default_factory=lambda: defaultdict(SizeCount))
    rules: Counter[str] = field(default_factory=Counter)
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)


SAMPLE_META = ("id", "path", "repo", "lang", "size", "source", "duplicate_of", "rules", "detail")


class RunView:
    """A run directory as the report sections see it; each summary is computed once, on first use."""

    def __init__(self, run_dir: Path, samples_per_reason: int = 3, sample_chars: int = 1200) -> None:
        self.run_dir = Path(run_dir)
        if not self.run_dir.is_dir():
            raise OpencoderError(f"{self.run_dir}: not a run directory (it does not exist)")
        manifest_path = self.run_dir / "manifest.json"
        if not manifest_path.is_file():
            raise OpencoderError(f"{manifest_path}: missing; is this the --out of a finished `opencoder refine`?")
        try:
            self.manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as err:
            raise OpencoderError(f"{manifest_path}: cannot read the manifest: {err}") from None
        self.samples_per_reason = samples_per_reason
        self.sample_chars = sample_chars

    def parquet_files(self, folder: str) -> list[Path]:
        """The Parquet files of a run sub-folder (``kept``, ``removed``, ``signals``...), in name order."""
        return sorted((self.run_dir / folder).glob("*.parquet"))

    @cached_property
    def kept_langs(self) -> dict[str, SizeCount]:
        """Kept documents and bytes per language."""
        langs: dict[str, SizeCount] = defaultdict(SizeCount)
        for part in self._row_groups("kept", ("lang", "size")):
            _add_sizes(langs, part, ("lang",), lambda key: key[0] or NO_LANG)
        return dict(langs)

    @cached_property
    def removed(self) -> RemovedSummary:
        """Counts per (stage, reason), per language and per filter rule; the first samples of each reason."""
        summary = RemovedSummary()
        wanted: dict[tuple[Path, int], list[tuple[int, tuple[str, str]]]] = defaultdict(list)
        for path in self.parquet_files("removed"):
            pf = _open(path)
            names = set(pf.schema_arrow.names)
            columns = [c for c in ("stage", "reason", "lang", "size", *SAMPLE_META) if c in names]
            for rg in range(pf.num_row_groups):
                part = pf.read_row_group(rg, columns=list(dict.fromkeys(columns)))
                _add_sizes(summary.reasons, part, ("stage", "reason"), lambda key: (key[0], key[1]))
                _add_sizes(summary.langs, part, ("lang",), lambda key: key[0] or NO_LANG)
                if "rules" in names:
                    flat = pc.list_flatten(part.column("rules"))
                    summary.rules.update({v["values"].as_py(): v["counts"].as_py() for v in flat.value_counts()})
                self._pick_samples(summary, part, path, rg, wanted)
        self._read_sample_text(summary, wanted)
        return summary

    def _pick_samples(
        self,
        summary: RemovedSummary,
        part: pa.Table,
        path: Path,
        rg: int,
        wanted: dict[tuple[Path, int], list[tuple[int, tuple[str, str]]]],
    ) -> None:
        """Note the first rows of each reason that still lacks samples (their text is read later)."""
        indexed = part.select(["stage", "reason"]).append_column("row", pa.array(range(part.num_rows), pa.int64()))
        for group in indexed.group_by(["stage", "reason"], use_threads=False).aggregate([("row", "list")]).to_pylist():
            key = (group["stage"], group["reason"])
            have = summary.samples.setdefault(key, [])
            for row in group["row_list"][: self.samples_per_reason - len(have)]:
                meta = {c: part.column(c)[row].as_py() for c in SAMPLE_META if c in part.column_names}
                have.append(Sample(meta, None, False))
                wanted[(path, rg)].append((row, key))

    def _read_sample_text(
        self, summary: RemovedSummary, wanted: dict[tuple[Path, int], list[tuple[int, tuple[str, str]]]]
    ) -> None:
        """Fill in the head of each sample's text, reading just the text column of the row groups needed."""
        texts: dict[tuple[str, str], list[tuple[str | None, bool]]] = defaultdict(list)
        for (path, rg), rows in wanted.items():
            pf = _open(path)
            if "text" not in pf.schema_arrow.names:
                continue
            column = pf.read_row_group(rg, columns=["text"]).column("text")
            picked = column.take(pa.array([row for row, _ in rows], pa.int64()))
            lengths = pc.utf8_length(picked).to_pylist()
            heads = pc.utf8_slice_codeunits(picked, 0, self.sample_chars).to_pylist()
            for (_, key), head, length in zip(rows, heads, lengths, strict=True):
                texts[key].append((head, length is not None and length > self.sample_chars))
        for key, samples in summary.samples.items():
            for i, (head, cut) in enumerate(texts.get(key, [])):
                samples[i] = Sample(samples[i].meta, head, cut)

    def _row_groups(self, folder: str, columns: tuple[str, ...]) -> Iterator[pa.Table]:
        """Each row group of a folder's Parquet files, with those of ``columns`` that the files have."""
        for path in self.parquet_files(folder):
            pf = _open(path)
            present = [c for c in columns if c in pf.schema_arrow.names]
            for rg in range(pf.num_row_groups):
                yield pf.read_row_group(rg, columns=present)

    def find(self, name: str) -> list[Path]:
        """Files called ``name`` anywhere under the run directory (``metrics.jsonl``, ``results.json``)."""
        return sorted(p for p in self.run_dir.rglob(name) if p.is_file())


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as err:
        raise OpencoderError(f"{path}: cannot read Parquet: {err}") from None


def _add_sizes(into: dict[Any, SizeCount], part: pa.Table, keys: tuple[str, ...], name: Any) -> None:
    """Add a row group's documents and bytes per key to ``into``; missing key columns count as nulls."""
    for key in keys:
        if key not in part.column_names:
            part = part.append_column(key, pa.nulls(part.num_rows, pa.string()))
    if "size" not in part.column_names:
        part = part.append_column("size", pa.nulls(part.num_rows, pa.int64()))
    grouped = part.group_by(list(keys), use_threads=False).aggregate([("size", "sum"), ([], "count_all")])
    for row in grouped.to_pylist():
        into[name(tuple(row[k] for k in keys))].add(row["count_all"], row["size_sum"] or 0)
