"""Repository-level dedup (SPEC §7.1, Table 9): a repository is the concatenation of its files in path order, and
a duplicate repository goes whole.

The paper compares this with file-level dedup and keeps file level; this is the other arm of that ablation: the
stages ``repo_exact_dedup`` and ``repo_fuzzy_dedup`` (the latter with ``fuzzy_dedup``'s parameters), usable alone
or before the file-level stages (repository + file). Each is a finalizing global stage:

- map: one row per file with its ``repo`` (a file without one is a repository of its own), path, id, stars, commit
  time and its fingerprint: the SHA-256 of its text (exact) or its MinHash signature (fuzzy);
  ``partition_key`` = a hash of the repository, so all files of a repository meet in one reduce;
- reduce: one row per repository. Exact: the SHA-256 over its files' (path-ordered) digests: equal exactly when
  the repositories' file contents are equal, in order. Fuzzy: the element-wise minimum of its files' signatures,
  which is the MinHash of the union of their shingle sets (the concatenation's shingles, less the few that span
  two files), cut into LSH band keys;
- finalize: repositories with the same digest (exact) or sharing a band key (fuzzy, joined transitively) form a
  group; the group keeps the repository with the most stars, then the latest commit, then the smallest name,
  and every file of the others is removed (reason ``repo_exact_duplicate`` / ``repo_near_duplicate``,
  ``duplicate_of`` = the kept repository's name).

Memory: a reduce holds the files of its partition's repositories; finalize holds one row per repository (with the
list of its file ids).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opencoder.engine import minhash
from opencoder.engine.registry import register_stage
from opencoder.engine.stage import DECISIONS_SCHEMA, StageContext
from opencoder.errors import OpencoderError
from opencoder.refine.exact_dedup import ExactDedupParams, sha256_digests
from opencoder.refine.fuzzy_dedup import FuzzyDedupParams, connected_components

EXACT_REASON = "repo_exact_duplicate"
FUZZY_REASON = "repo_near_duplicate"
REPOS_SCHEMA = pa.schema(
    [
        pa.field("repo", pa.string()),
        pa.field("stars", pa.int64()),
        pa.field("commit_time", pa.timestamp("us", tz="UTC")),
        pa.field("keys", pa.list_(pa.uint64())),  # exact: the 256-bit digest as 4 x 64 bits; fuzzy: the band keys
        pa.field("ids", pa.list_(pa.string())),
    ]
)


def repo_keys(batch: pa.Table) -> pa.Array:
    """Each file's repository; a file without one is its own (its id)."""
    if "repo" not in batch.column_names:
        return batch.column("id").cast(pa.string())
    return pc.coalesce(batch.column("repo").cast(pa.string()), batch.column("id").cast(pa.string()))


def _partition(repos: pa.Array | pa.ChunkedArray) -> pa.Array:
    keys = [int.from_bytes(hashlib.blake2b(r.encode(), digest_size=8).digest(), "big") for r in repos.to_pylist()]
    return pa.array(keys, pa.uint64())


def _file_rows(batch: pa.Table, fingerprint: pa.Array) -> pa.Table:
    repos = repo_keys(batch)
    return pa.table(
        {
            "partition_key": _partition(repos),
            "repo": repos,
            "path": batch.column("path").cast(pa.string()),
            "id": batch.column("id").cast(pa.string()),
            "stars": batch.column("stars").cast(pa.int64()),
            "commit_time": batch.column("commit_time").cast(REPOS_SCHEMA.field("commit_time").type),
            "fingerprint": fingerprint,
        }
    )


def _per_repo(part: pa.Table) -> list[tuple[str, pa.Table]]:
    """The partition's files grouped by repository, each in path (then id) order."""
    if part.num_rows == 0:
        return []
    ordered = part.take(pc.sort_indices(part, [("repo", "ascending"), ("path", "ascending"), ("id", "ascending")]))
    repos = ordered.column("repo").to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, repos[1:] != repos[:-1]])
    ends = np.r_[starts[1:], len(repos)]
    return [(repos[s], ordered.slice(s, e - s)) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def _repo_row(repo: str, files: pa.Table, keys: list[int]) -> dict:
    return {
        "repo": repo,
        "stars": pc.max(files.column("stars")).as_py(),
        "commit_time": pc.max(files.column("commit_time")).as_py(),
        "keys": keys,
        "ids": files.column("id").to_pylist(),
    }


def _decide(repos: pa.Table, u: np.ndarray, v: np.ndarray, reason: str) -> pa.Table:
    """Per group of linked repositories keep the best one; decisions for every file of the others."""
    component = connected_components(u, v, repos.num_rows)
    nodes = repos.append_column("component", pa.array(component))
    ordered = nodes.take(
        pc.sort_indices(
            nodes,
            [("component", "ascending"), ("stars", "descending"), ("commit_time", "descending"), ("repo", "ascending")],
        )
    )
    comp = ordered.column("component").to_numpy()
    first = np.r_[True, comp[1:] != comp[:-1]]
    leader = np.maximum.accumulate(np.where(first, np.arange(len(comp)), 0))
    gone = np.flatnonzero(~first)
    names = ordered.column("repo")
    ids = ordered.column("ids").take(pa.array(gone))
    counts = pc.list_value_length(ids).to_numpy()
    return pa.table(
        {
            "id": pc.list_flatten(ids),
            "duplicate_of": names.take(pa.array(np.repeat(leader[gone], counts))),
            "reason": pa.array([reason] * int(counts.sum()), pa.string()),
        },
        schema=DECISIONS_SCHEMA,
    )


def _links_by_key(repos: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Edges joining each repository to the first repository sharing any of its keys."""
    counts = pc.list_value_length(repos.column("keys")).to_numpy()
    owner = np.repeat(np.arange(repos.num_rows), counts)
    keys = pc.list_flatten(repos.column("keys")).to_numpy()
    order = np.lexsort((owner, keys))
    keys, owner = keys[order], owner[order]
    first = np.r_[True, keys[1:] != keys[:-1]]
    anchor = owner[np.maximum.accumulate(np.where(first, np.arange(len(keys)), 0))]
    link = anchor != owner
    return owner[link], anchor[link]


class RepoExactDedup:
    """Exact dedup of whole repositories."""

    name = "repo_exact_dedup"

    def __init__(self, partitions: int) -> None:
        self.n_partitions = partitions

    def map(self, batch: pa.Table) -> pa.Table:
        digests = sha256_digests(batch.column("text"))
        fingerprint = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(32), len(batch), [None, pa.py_buffer(digests.tobytes())]
        )
        return _file_rows(batch, fingerprint)

    def reduce(self, part: pa.Table) -> pa.Table:
        rows = []
        for repo, files in _per_repo(part):
            digest = hashlib.sha256(b"".join(files.column("fingerprint").to_pylist())).digest()
            rows.append(_repo_row(repo, files, [int.from_bytes(digest[i : i + 8], "big") for i in range(0, 32, 8)]))
        return pa.Table.from_pylist(rows, schema=REPOS_SCHEMA)

    def finalize(self, reduced: Iterable[pa.Table], run_dir: Path) -> pa.Table:
        repos = pa.concat_tables([t.cast(REPOS_SCHEMA) for t in reduced] or [REPOS_SCHEMA.empty_table()])
        digests = [tuple(k) for k in repos.column("keys").to_pylist()]  # the whole 256-bit digest, 4 x 64
        index: dict[tuple, int] = {}
        anchor = np.array([index.setdefault(d, i) for i, d in enumerate(digests)], dtype=np.int64)
        link = np.flatnonzero(anchor != np.arange(len(anchor)))
        return _decide(repos, link, anchor[link], EXACT_REASON)


class RepoFuzzyDedup:
    """MinHash LSH dedup of whole repositories (fuzzy_dedup's shingle, permutation and band settings)."""

    name = "repo_fuzzy_dedup"

    def __init__(self, params: FuzzyDedupParams, seed: int) -> None:
        self.params = params
        self.seed = seed
        self.n_partitions = params.partitions

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        sigs, _ = minhash.signatures(
            batch.column("text"), unit=p.unit, shingle_size=p.shingle_size, num_perm=p.num_perm, seed=self.seed
        )
        # a file without shingles has an all-0xFFFFFFFF row: the identity of the element-wise minimum
        flat = pa.array(sigs.ravel(), pa.uint32())
        return _file_rows(batch, pa.FixedSizeListArray.from_arrays(flat, p.num_perm))

    def reduce(self, part: pa.Table) -> pa.Table:
        p = self.params
        rows = []
        for repo, files in _per_repo(part):
            flat = pc.list_flatten(files.column("fingerprint")).to_numpy()
            sig = flat.reshape(files.num_rows, p.num_perm).min(axis=0)
            if np.all(sig == np.iinfo(np.uint32).max):
                keys: list[int] = []  # no file with a shingle: never a candidate
            else:
                keys = minhash.band_keys(sig[None, :], bands=p.bands, rows=p.rows, seed=self.seed)[0].tolist()
            rows.append(_repo_row(repo, files, keys))
        return pa.Table.from_pylist(rows, schema=REPOS_SCHEMA)

    def finalize(self, reduced: Iterable[pa.Table], run_dir: Path) -> pa.Table:
        repos = pa.concat_tables([t.cast(REPOS_SCHEMA) for t in reduced] or [REPOS_SCHEMA.empty_table()])
        u, v = _links_by_key(repos)
        return _decide(repos, u, v, FUZZY_REASON)


@register_stage("repo_exact_dedup", params=ExactDedupParams)
def build_repo_exact_dedup(params: ExactDedupParams, ctx: StageContext) -> RepoExactDedup:
    return RepoExactDedup(params.partitions)


@register_stage("repo_fuzzy_dedup", params=FuzzyDedupParams)
def build_repo_fuzzy_dedup(params: FuzzyDedupParams, ctx: StageContext) -> RepoFuzzyDedup:
    if params.verify_threshold is not None:
        raise OpencoderError("repo_fuzzy_dedup: verify_threshold is not supported (no shingle sets per repository)")
    return RepoFuzzyDedup(params, params.seed if params.seed is not None else ctx.seed)
