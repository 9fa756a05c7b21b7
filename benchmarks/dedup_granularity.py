"""Table 9 (SPEC §7.1) on this machine's own code: Python retained after dedup at five granularities.

Usage: python benchmarks/dedup_granularity.py [--mb 64] [--chunk-tokens 4096] [--num-perm 2048] [--workers 1]

1. ``opencoder refine`` with preprocess + langid over a sample of the machine's code (io/corpus.py; its packages
   are the repositories), keeping the Python files;
2. dedup (exact, then MinHash LSH at the paper's settings, both keeping the most starred / latest / smallest id):
   - file: ``exact_dedup`` + ``fuzzy_dedup``;
   - repository: ``repo_exact_dedup`` + ``repo_fuzzy_dedup`` (a repository = its files in path order);
   - chunk: the repositories' files concatenated (repository by repository, path order), cut into
     ``--chunk-tokens`` token chunks, chunks deduplicated (refine/chunks.py);
   - file + chunk and repository + chunk: the same chunking of the file- or repository-level result;
   and file-level dedup applied to the repository-level result (the paper: it still removes 68.4 %).
3. prints rows and tokens retained at each level next to the paper's figures.

The dedup stages run through the refine engine on the Python files as a Parquet input. Tokens are counted with
refine/chunks.py's regex (identifiers, numbers, single symbols), a stand-in for the paper's tokenizer.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opencoder.engine.recipe import parse_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.io.corpus import default_inputs, discover_candidates, sample_corpus
from opencoder.io.readers import InputSpec
from opencoder.refine.chunks import chunk_stream, count_tokens, dedup_chunks
from opencoder.refine.fuzzy_dedup import FuzzyDedupParams

PAPER = {  # level: (rows retained of total, tokens retained, share of all tokens)
    "file": ("30,488,834 of 485,817,123 files", "32.74 B", "2.4 %"),
    "repository": ("7,480,488 of 11,037,352 repositories", "99.47 B", "7.5 %"),
    "chunk": ("79,272,460 of 333,007,812 chunks", "324.70 B", "23.9 %"),
    "file + chunk": ("7,993,164 of 333,007,812 chunks", "32.70 B", "2.4 %"),
    "repository + chunk": ("17,675,781 of 333,007,812 chunks", "72.40 B", "5.3 %"),
}
DOC_COLUMNS = ["id", "text", "path", "repo", "stars", "commit_time"]


def _kept(run_dir: Path) -> pa.Table:
    return pq.read_table(run_dir / "kept", columns=[*DOC_COLUMNS, "lang"])


def _refine(inputs: list, out: Path, stages: list[dict], workers: int) -> pa.Table:
    recipe = parse_recipe({"seed": 42, "stages": stages}, "dedup_granularity")
    run_recipe(inputs, out, recipe, RunOptions(workers=workers))
    return _kept(out)


def _tokens(table: pa.Table) -> int:
    return sum(count_tokens(t) for t in table.column("text").to_pylist())


def _stream(table: pa.Table) -> list[str]:
    """The files, repository by repository and in path order within one: the stream that chunks cut."""
    ordered = table.take(pc.sort_indices(table, [("repo", "ascending"), ("path", "ascending"), ("id", "ascending")]))
    return ordered.column("text").to_pylist()


def _chunk_level(table: pa.Table, size: int, params: FuzzyDedupParams) -> tuple[int, int, int]:
    """(chunks, chunks kept, tokens kept) after chunk dedup of ``table``'s stream."""
    chunks = chunk_stream(_stream(table), size)
    keep = dedup_chunks(chunks, params, seed=42)
    kept_tokens = sum(count_tokens(c) for c, k in zip(chunks, keep, strict=True) if k)
    return len(chunks), int(keep.sum()), kept_tokens


def _inputs(args: argparse.Namespace) -> list[InputSpec]:
    if args.roots is None:
        return default_inputs(int(args.mb * 1e6))
    wanted = args.roots.split(",")
    found = [c for c in discover_candidates() if c.label in wanted]
    if len(found) != len(wanted):
        raise SystemExit(f"roots not found on this machine: {set(wanted) - {c.label for c in found}}")
    return [r.input_spec() for r in sample_corpus(found, None)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=64, help="megabytes of the machine's code to sample")
    ap.add_argument(
        "--roots",
        default=None,
        help="comma-separated corpus roots (labels, e.g. python-stdlib,system-python3.11) read whole instead of a "
        "--mb sample: a sample takes files by path hash, so it cuts repositories into pieces",
    )
    ap.add_argument("--chunk-tokens", type=int, default=4096)
    ap.add_argument("--num-perm", type=int, default=2048)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    fuzzy = FuzzyDedupParams(num_perm=args.num_perm, bands=16, rows=args.num_perm // 16)
    fuzzy_params = fuzzy.model_dump(exclude={"verify_threshold"})
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="granularity-") as tmp:
        work = Path(tmp)
        everything = _refine(
            _inputs(args),
            work / "read",
            [{"name": "preprocess"}, {"name": "langid"}],
            args.workers,
        )
        python = everything.filter(pc.equal(everything.column("lang"), "python")).select(DOC_COLUMNS)
        pq.write_table(python, work / "python.parquet")
        source = [InputSpec(str(work / "python.parquet"))]
        file_level = _refine(
            source,
            work / "file",
            [{"name": "exact_dedup"}, {"name": "fuzzy_dedup", "params": fuzzy_params}],
            args.workers,
        )
        repo_stages = [{"name": "repo_exact_dedup"}, {"name": "repo_fuzzy_dedup", "params": fuzzy_params}]
        repo_level = _refine(source, work / "repo", repo_stages, args.workers)
        file_stages = [{"name": "exact_dedup"}, {"name": "fuzzy_dedup", "params": fuzzy_params}]
        repo_then_file = _refine(source, work / "repo_file", repo_stages + file_stages, args.workers)

        total_tokens = _tokens(python)
        n_repos = pc.count_distinct(python.column("repo")).as_py()
        rows = {
            "file": (f"{file_level.num_rows:,} of {python.num_rows:,} files", _tokens(file_level)),
            "repository": (
                f"{pc.count_distinct(repo_level.column('repo')).as_py():,} of {n_repos:,} repositories",
                _tokens(repo_level),
            ),
        }
        for name, table in (("chunk", python), ("file + chunk", file_level), ("repository + chunk", repo_level)):
            n, kept, tokens = _chunk_level(table, args.chunk_tokens, fuzzy)
            rows[name] = (f"{kept:,} of {n:,} chunks", tokens)
        repo_tokens = rows["repository"][1]
        still = 1 - _tokens(repo_then_file) / repo_tokens if repo_tokens else 0.0

    print(
        f"Python: {python.num_rows:,} files in {n_repos:,} repositories, {total_tokens:,} tokens "
        f"({args.roots or f'a {args.mb:g} MB sample'} of this machine's code); chunks of {args.chunk_tokens} tokens; "
        f"MinHash {args.num_perm} perms, 16 bands"
    )
    header = f"{'level':20} {'rows retained':40} {'tokens retained':>16} {'share':>7}   paper: rows / tokens / share"
    print(header)
    for name, (rows_text, tokens) in rows.items():
        paper = PAPER[name]
        share = 100 * tokens / total_tokens if total_tokens else 0.0
        print(f"{name:20} {rows_text:40} {tokens:16,} {share:6.1f}%   {paper[0]} / {paper[1]} / {paper[2]}")
    print(
        f"file-level dedup after repository level removes {100 * still:.1f} % of the repository-level tokens "
        "(paper: 68.4 %)"
    )
    print(f"wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
