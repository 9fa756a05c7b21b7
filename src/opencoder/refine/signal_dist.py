"""Distributions of the filter's signals in a finished run: what a user needs to tune a rule.

For every filter config (language) and every active rule of that config: a histogram of the rule's signal over
the documents that reached the filter, split into those the filter kept and those it removed (by any rule), and
the documents nearest the rule's threshold on each side (the side where the rule's condition holds, and the
other).

Memory is bounded by one task's files plus a fixed amount per (config, rule): the run is read task by task
(``signals/<task>.parquet`` joined by id with the same task's ``kept/`` and ``removed/`` rows, which carry the
language and the verdict), twice. The first pass keeps a bottom-k sample of each signal (by a hash of the document
id, so it is a uniform, deterministic sample) to place the bins; the second counts every document into them and
keeps the nearest documents in small sorted lists.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from opencoder.refine.filter import Rule, RuleSet, select_config

BINS = 40
SAMPLE = 4096  # values per (config, rule) that place the bins
NEAREST = 3  # documents shown on each side of a threshold
TAIL = 0.005  # bins span the sample's 0.5 % .. 99.5 % quantiles; values beyond land in the edge bins


def thresholds(rule: Rule) -> list[float]:
    """The values where a rule's condition flips: one, or two for ``outside``."""
    if rule.outside is not None:
        return [float(rule.outside[0]), float(rule.outside[1])]
    return [float(next(v for v in (rule.gt, rule.ge, rule.lt, rule.le, rule.eq) if v is not None))]


def describe(rule: Rule) -> str:
    """A rule as a user writes it: ``gt 0.2``, ``outside [2, 10]``, with its drop probability if any."""
    op = next(name for name in ("gt", "ge", "lt", "le", "eq", "outside") if getattr(rule, name) is not None)
    value = getattr(rule, op)
    text = f"{op} [{value[0]:g}, {value[1]:g}]" if op == "outside" else f"{op} {value:g}"
    return text if rule.drop_probability == 1.0 else f"{text} (drop p = {rule.drop_probability:g})"


@dataclass(order=True)
class Near:
    """A document near a threshold (ordered by distance, then id, for a stable choice)."""

    distance: float
    id: str
    value: float = field(compare=False)
    path: str | None = field(compare=False)
    removed: bool = field(compare=False)


@dataclass
class Distribution:
    """One rule's signal over one config's documents."""

    config: str
    signal: str
    rule: Rule
    edges: np.ndarray | None = None
    kept: np.ndarray | None = None  # documents per bin that the filter kept
    removed: np.ndarray | None = None  # ... and removed
    meets: int = 0  # documents whose value meets the rule's condition
    missing: int = 0  # documents without a value for this signal
    clipped: int = 0  # documents outside the bins' span, counted in the edge bins
    log: bool = False  # geometric bins
    near_hit: list[Near] = field(default_factory=list)  # nearest on the side where the condition holds
    near_pass: list[Near] = field(default_factory=list)  # nearest on the other side
    _prio: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    _sample: np.ndarray = field(default_factory=lambda: np.empty(0))

    def sample(self, prio: np.ndarray, values: np.ndarray) -> None:
        """Keep the SAMPLE values with the smallest id hashes seen so far."""
        self._prio = np.concatenate([self._prio, prio])
        self._sample = np.concatenate([self._sample, values])
        if len(self._prio) > SAMPLE:
            keep = np.argpartition(self._prio, SAMPLE)[:SAMPLE]
            self._prio, self._sample = self._prio[keep], self._sample[keep]

    def place_bins(self) -> None:
        """Bin edges from the sample: its 0.5 %..99.5 % span, widened to a threshold at most one span away (a
        farther one is off the axis); one bin per value for integers of a small range; geometric bins for
        non-negative values spanning more than three decades (counts such as lines or characters)."""
        values = self._sample
        lo, hi = (float(v) for v in np.quantile(values, [TAIL, 1 - TAIL])) if len(values) else (0.0, 1.0)
        span = (hi - lo) or 1.0
        for cut in thresholds(self.rule):
            if lo - span <= cut < lo:
                lo = cut
            elif hi < cut <= hi + span:
                hi = cut
        positive = values[values > 0]
        floor = float(positive.min()) if len(positive) else 1.0
        if len(values) and np.all(values == np.round(values)) and hi - lo <= BINS:
            self.edges = np.arange(np.floor(lo) - 0.5, np.ceil(hi) + 1.0)
        elif lo >= 0 and hi > 1000 * max(lo, floor):
            self.log = True
            start = max(lo, floor)
            self.edges = np.geomspace(start, hi, BINS + 1)
            if lo < start:
                self.edges = np.concatenate([[lo], np.geomspace(start, hi, BINS)])
        else:
            if hi == lo:
                lo, hi = lo - 0.5, hi + 0.5
            self.edges = np.linspace(lo, hi, BINS + 1)
        self.kept = np.zeros(len(self.edges) - 1, np.int64)
        self.removed = np.zeros(len(self.edges) - 1, np.int64)
        self._prio, self._sample = np.empty(0, np.uint64), np.empty(0)

    def count(self, values: np.ndarray, removed: np.ndarray, ids: list[str], paths: list[str | None]) -> None:
        """Add documents (values without NaN) to the bins and the nearest lists."""
        assert self.edges is not None and self.kept is not None and self.removed is not None
        lo, hi = self.edges[0], self.edges[-1]
        self.clipped += int(np.count_nonzero((values < lo) | (values > hi)))
        at = np.clip(np.searchsorted(self.edges, values, side="right") - 1, 0, len(self.edges) - 2)
        self.kept += np.bincount(at[~removed], minlength=len(self.kept))
        self.removed += np.bincount(at[removed], minlength=len(self.removed))
        hit = self.rule.meets(values)
        self.meets += int(np.count_nonzero(hit))
        distance = np.min(np.abs(values[:, None] - np.array(thresholds(self.rule))[None, :]), axis=1)
        for side, rows in ((self.near_hit, np.flatnonzero(hit)), (self.near_pass, np.flatnonzero(~hit))):
            if len(rows) > NEAREST:
                rows = rows[np.argpartition(distance[rows], NEAREST)[:NEAREST]]
            for i in rows.tolist():
                side.append(Near(float(distance[i]), ids[i], float(values[i]), paths[i], bool(removed[i])))
            side[:] = heapq.nsmallest(NEAREST, side)


@dataclass
class ConfigDist:
    """All distributions of one config, with its document counts."""

    config: str
    docs: int = 0
    removed: int = 0
    rules: dict[str, Distribution] = field(default_factory=dict)


def _task_docs(run_dir: Path, task: str, signals: list[str]) -> pa.Table | None:
    """One task's documents that have stored signals: id, path, config, removed (by the filter), the signals."""
    spath = run_dir / "signals" / f"{task}.parquet"
    present = set(pq.ParquetFile(spath).schema_arrow.names)
    table = pq.read_table(spath, columns=["id", "nl_lang", *[s for s in signals if s in present]])
    parts = []
    for path in [run_dir / "kept" / f"{task}.parquet", *sorted((run_dir / "removed").glob(f"{task}-s*.parquet"))]:
        if path.is_file():
            names = set(pq.ParquetFile(path).schema_arrow.names)
            part = pq.read_table(
                path, columns=["id", "path", "lang", "doc_type", *(["stage"] if "stage" in names else [])]
            )
            stage = part.column("stage") if "stage" in names else pa.nulls(part.num_rows, pa.string())
            parts.append(
                pa.table(
                    {
                        "id": part.column("id").cast(pa.string()),
                        "path": part.column("path").cast(pa.string()),
                        "lang": part.column("lang").cast(pa.string()),
                        "doc_type": part.column("doc_type").cast(pa.string()),
                        "by_filter": pc.fill_null(pc.equal(stage.cast(pa.string()), "filter"), False),
                    }
                )
            )
    if not parts:
        return None
    docs = pa.concat_tables(parts)
    at = pc.index_in(table.column("id"), value_set=docs.column("id"))
    found = pc.is_valid(at)
    table, at = table.filter(found), at.filter(found)
    for name in ("path", "lang", "doc_type", "by_filter"):
        table = table.append_column(name, docs.column(name).take(at))
    return table


def _configs(table: pa.Table) -> np.ndarray:
    keys = zip(*(table.column(c).to_pylist() for c in ("doc_type", "lang", "nl_lang")), strict=True)
    return np.array([select_config(*key) for key in keys], dtype=object)


def _groups(run_dir: Path, ruleset: RuleSet) -> Iterator[tuple[str, pa.Table]]:
    """(config, its documents of one task) for every task, in task order."""
    signals = sorted({s for rules in ruleset.values() for s, r in rules.items() if r is not None})
    for spath in sorted((run_dir / "signals").glob("*.parquet")):
        table = _task_docs(run_dir, spath.stem, signals)
        if table is None or table.num_rows == 0:
            continue
        configs = _configs(table)
        for config in sorted({c for c in configs if c is not None}):
            yield config, table.filter(pa.array(configs == config))


def signal_distributions(run_dir: str | Path, ruleset: RuleSet) -> list[ConfigDist]:
    """Every config's distributions (configs with documents only), largest config first."""
    run_dir = Path(run_dir)
    out: dict[str, ConfigDist] = {}
    for config, docs in _groups(run_dir, ruleset):  # pass 1: counts and samples
        cd = out.setdefault(config, ConfigDist(config))
        cd.docs += docs.num_rows
        cd.removed += int(pc.sum(docs.column("by_filter").cast(pa.int64())).as_py() or 0)
        prio = np.fromiter(
            (xxhash.xxh64_intdigest(i.encode()) for i in docs.column("id").to_pylist()), np.uint64, docs.num_rows
        )
        for signal, rule in ruleset[config].items():
            if rule is None or signal not in docs.column_names:
                continue
            dist = cd.rules.setdefault(signal, Distribution(config, signal, rule))
            values = docs.column(signal).to_numpy(zero_copy_only=False).astype(np.float64)
            ok = ~np.isnan(values)
            dist.missing += int(np.count_nonzero(~ok))
            dist.sample(prio[ok], values[ok])
    for cd in out.values():
        for dist in cd.rules.values():
            dist.place_bins()
    for config, docs in _groups(run_dir, ruleset):  # pass 2: bins and nearest documents
        ids, paths = docs.column("id").to_pylist(), docs.column("path").to_pylist()
        removed = docs.column("by_filter").to_numpy(zero_copy_only=False)
        for signal, dist in out[config].rules.items():
            values = docs.column(signal).to_numpy(zero_copy_only=False).astype(np.float64)
            ok = np.flatnonzero(~np.isnan(values))
            dist.count(values[ok], removed[ok], [ids[i] for i in ok], [paths[i] for i in ok])
    return sorted(out.values(), key=lambda cd: (-cd.docs, cd.config))
