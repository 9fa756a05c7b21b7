"""How well fuzzy dedup finds near-duplicates, measured against true Jaccard similarity on real code.

Run: ``python benchmarks/fuzzy_quality.py [--mb 30] [--out DIR]`` (default DIR: ``opencoder-fuzzy-quality`` in the
system's temporary folder, outside the checkout).

The corpus is this machine's own code (benchmarks/fuzzy_corpus.py): every pyenv Python's standard library gives
groups of near-identical modules across versions. Pairs evaluated, each with its true Jaccard similarity of
shingle sets (the same shingles the stage hashes):
- every pair the stage reports (two documents sharing an LSH bucket), for precision;
- every pair within a same-path group (one module across Python versions): similarities from 0 to 1;
- every pair with true Jaccard >= 0.5 that a loose, independent textbook MinHash (64 permutations, numpy,
  16 bands x 4 rows; misses a pair at J = 0.9 with probability 4e-8) proposes: the ground truth for recall;
- a random sample of pairs: what unrelated files look like.
It prints recall of pairs above the LSH threshold, precision of reported pairs, and writes an SVG plot of the
measured detection rate per similarity bin against the theoretical S-curve 1 - (1 - s^r)^b.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from fuzzy_corpus import build_corpus

from opencoder.engine import minhash
from opencoder.engine.stage import StageContext
from opencoder.refine.fuzzy_dedup import FuzzyDedupParams, build_fuzzy_dedup

Pair = tuple[int, int]


def bucket_pairs(keys: np.ndarray, doc: np.ndarray) -> set[Pair]:
    """All pairs of documents that share a key (``keys[i]`` belongs to document ``doc[i]``)."""
    order = np.lexsort((doc, keys))
    keys, doc = keys[order], doc[order]
    bounds = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
    pairs: set[Pair] = set()
    for start, end in itertools.pairwise(bounds):
        if end - start > 1:
            members = np.unique(doc[start:end])
            pairs.update(itertools.combinations(members.tolist(), 2))
    return pairs


def reported_pairs(table: pa.Table, params: FuzzyDedupParams, run_dir: Path) -> set[Pair]:
    """Pairs of documents the stage's LSH makes candidates (its map rows, grouped by band key)."""
    stage = build_fuzzy_dedup(params, StageContext(seed=42, run_dir=run_dir))
    index = {doc_id: i for i, doc_id in enumerate(table.column("id").to_pylist())}
    keys, docs = [], []
    for batch in table.to_batches(max_chunksize=512):
        rows = stage.map(pa.Table.from_batches([batch]))
        keys.append(rows.column("partition_key").to_numpy())
        docs.append(np.array([index[i] for i in rows.column("id").to_pylist()]))
    return bucket_pairs(np.concatenate(keys), np.concatenate(docs))


def textbook_candidates(sets: list[np.ndarray], perms: int = 64, bands: int = 16) -> set[Pair]:
    """Candidate pairs from a plain numpy MinHash (multiply-shift, independent of rensa), loose LSH."""
    rng = np.random.default_rng(2024)
    a = rng.integers(1, 2**63, perms, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, perms, dtype=np.uint64)
    sigs = np.array([(s[:, None] * a + b).min(axis=0) if len(s) else np.full(perms, 2**64 - 1) for s in sets])
    rows = perms // bands
    keys = minhash.mix64((sigs.reshape(len(sets), bands, rows) * a[:rows]).sum(axis=2, dtype=np.uint64))
    keys ^= np.arange(bands, dtype=np.uint64)
    has = np.array([len(s) > 0 for s in sets])
    doc = np.repeat(np.arange(len(sets)), bands).reshape(len(sets), bands)
    return bucket_pairs(keys[has].ravel(), doc[has].ravel())


def theoretical(s: np.ndarray, bands: int, rows: int) -> np.ndarray:
    return 1 - (1 - s**rows) ** bands


def svg_plot(points: list[tuple[float, float, int]], bands: int, rows: int, path: Path) -> None:
    """Measured detection rate per similarity bin (dots, sized by pair count) over the theoretical S-curve."""
    w, h, m = 640, 420, 50
    lo = 0.80

    def xy(s: float, p: float) -> tuple[float, float]:
        return m + (s - lo) / (1 - lo) * (w - 2 * m), h - m - p * (h - 2 * m)

    curve = " ".join(
        "{:.1f},{:.1f}".format(*xy(s, p)) for s in np.linspace(lo, 1, 400) for p in [theoretical(s, bands, rows)]
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">LSH {bands} bands x {rows} rows: '
        "detection rate vs true Jaccard</text>",
    ]
    for t in np.linspace(lo, 1, 5):
        x, y0 = xy(t, 0)
        parts.append(f'<line x1="{x:.1f}" y1="{y0:.1f}" x2="{x:.1f}" y2="{m}" stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{y0 + 16:.1f}" text-anchor="middle">{t:.2f}</text>')
    for p in np.linspace(0, 1, 6):
        x0, y = xy(lo, p)
        parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{w - m}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{p:.1f}</text>')
    parts.append(f'<polyline points="{curve}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    for s, rate, n in points:
        x, y = xy(s, rate)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2 + min(6, np.log10(n + 1) * 2):.1f}" fill="#d62728"/>')
    parts.append(f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">true Jaccard similarity of 5-gram sets</text>')
    parts.append(
        f'<text x="{m + 8}" y="{m + 14}" fill="#1f77b4">theory 1-(1-s^{rows})^{bands}</text>'
        f'<text x="{m + 8}" y="{m + 30}" fill="#d62728">measured (dot size ~ log pairs)</text></svg>'
    )
    path.write_text("\n".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=30, help="corpus size in MB")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "opencoder-fuzzy-quality")
    parser.add_argument("--unit", default="words", choices=minhash.SHINGLE_UNITS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    params = FuzzyDedupParams(unit=args.unit)
    table = build_corpus(int(args.mb * 1e6), args.out / "fuzzy_corpus.parquet")
    print(f"corpus: {table.num_rows} files, {pc.sum(table.column('size')).as_py() / 1e6:.1f} MB")

    t0 = time.perf_counter()
    reported = reported_pairs(table, params, args.out / "fuzzy_quality_run")
    sets = minhash.shingle_sets(table.column("text"), params.unit, params.shingle_size)
    paths = table.column("path").to_pylist()
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        groups.setdefault(p, []).append(i)
    same_path = {pair for members in groups.values() for pair in itertools.combinations(members, 2)}
    loose = textbook_candidates(sets)
    rng = np.random.default_rng(7)
    random_pairs = {tuple(sorted(rng.choice(len(sets), 2, replace=False).tolist())) for _ in range(5000)}
    evaluated = reported | same_path | loose | random_pairs
    sim = {pair: minhash.jaccard(sets[pair[0]], sets[pair[1]]) for pair in evaluated}
    print(f"pairs evaluated: {len(evaluated)} ({time.perf_counter() - t0:.1f} s)")

    threshold = params.threshold()
    above = {p for p, s in sim.items() if s >= threshold}
    found = above & reported
    recall = len(found) / len(above) if above else float("nan")
    precision = {t: sum(sim[p] >= t for p in reported) / len(reported) for t in (threshold, 0.95, 0.9, 0.8)}
    reported_sims = np.array([sim[p] for p in reported])
    random_sims = np.array([sim[p] for p in random_pairs])
    bins = np.r_[np.linspace(0.8, 0.98, 10), 0.99, 0.995, 1.0 + 1e-9]
    points = []
    print(f"\nLSH {params.bands} x {params.rows}, threshold (1/b)^(1/r) = {threshold:.4f}")
    print(f"{'true Jaccard':>16} {'pairs':>7} {'detected':>9} {'rate':>6} {'theory':>7}")
    sims = np.array([sim[p] for p in evaluated])
    hit = np.array([p in reported for p in evaluated])
    for lo, hi in itertools.pairwise(bins):
        sel = (sims >= lo) & (sims < hi)
        if sel.sum():
            mid = float(sims[sel].mean())
            rate = float(hit[sel].mean())
            expected = float(
                theoretical(sims[sel], params.bands, params.rows).mean()
            )  # the curve averaged over the bin
            points.append((mid, rate, int(sel.sum())))
            print(f"[{lo:.3f}, {min(hi, 1):.3f}) {sel.sum():7d} {hit[sel].sum():9d} {rate:6.3f} {expected:7.3f}")
    summary = {
        "files": table.num_rows,
        "mb": round(pc.sum(table.column("size")).as_py() / 1e6, 1),
        "unit": params.unit,
        "pairs_evaluated": len(evaluated),
        "pairs_above_threshold": len(above),
        "recall_above_threshold": round(recall, 4),
        "reported_pairs": len(reported),
        "precision_at": {f"{t:.3f}": round(v, 4) for t, v in precision.items()},
        "min_true_jaccard_of_reported": round(float(reported_sims.min()), 4) if len(reported) else None,
        "max_true_jaccard_of_random_pairs": round(float(random_sims.max()), 4),
        "detection_by_bin": points,
    }
    print(f"\nrecall of pairs with true J >= {threshold:.3f}: {len(found)}/{len(above)} = {recall:.4f}")
    for t, v in precision.items():
        print(f"precision of reported pairs (true J >= {t:.3f}): {v:.4f}")
    print(
        f"lowest true J of a reported pair: {summary['min_true_jaccard_of_reported']}; "
        f"highest true J of {len(random_pairs)} random pairs (exact copies included): "
        f"{summary['max_true_jaccard_of_random_pairs']}"
    )
    svg_plot(points, params.bands, params.rows, args.out / "fuzzy_s_curve.svg")
    (args.out / "fuzzy_quality.json").write_text(json.dumps(summary, indent=2))
    print(f"wrote {args.out / 'fuzzy_s_curve.svg'} and {args.out / 'fuzzy_quality.json'}")


if __name__ == "__main__":
    main()
