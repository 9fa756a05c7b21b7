"""Fuzzy dedup (SPEC §1.3): file-level MinHash LSH, near-duplicate groups resolved like exact dedup.

A global stage in four steps, so memory is bounded by one partition or by the number of near-duplicates,
never by the corpus:
- map: each document's MinHash signature -> one row per LSH band (``partition_key`` = the band key). Only
  the band keys travel, not the ``num_perm``-value signatures.
- reduce (one partition): documents sharing a band key are candidates; each is linked to the smallest id
  of its bucket, which gives the same connected components as linking every pair, with one edge per
  document.
- finalize: connected components of all candidate links (vectorised union-find), optionally after dropping
  links whose true Jaccard similarity is below ``verify_threshold``; per component keep the highest stars,
  then the latest commit time, then the smallest id (missing stars or times rank lowest). Writes
  RUN_DIR/clusters.parquet (id, cluster = the kept id; the kept document first in each cluster).

Every step is a function of document content and ids only, so results do not depend on task order or
worker count.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import xxhash
from pydantic import BaseModel, ConfigDict, Field, model_validator

from opencoder.engine import minhash
from opencoder.engine.recipe import Recipe
from opencoder.engine.registry import register_stage
from opencoder.engine.stage import DECISIONS_SCHEMA, StageContext
from opencoder.errors import OpencoderError
from opencoder.io.writers import write_table_atomic

NAME = "fuzzy_dedup"
REASON = "near_duplicate"
CLUSTERS_SCHEMA = pa.schema([pa.field("id", pa.string(), nullable=False), pa.field("cluster", pa.string())])
CANDIDATES_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string()),
        pa.field("stars", pa.int64()),
        pa.field("commit_time", pa.timestamp("us", tz="UTC")),
        pa.field("anchor", pa.string()),  # the smallest id of a bucket this document shares with another
    ]
)


class FuzzyDedupParams(BaseModel):
    """The paper's defaults: 5-gram shingles, 2,048 permutations, 16 bands x 128 rows (threshold ~0.979)."""

    model_config = ConfigDict(extra="forbid")

    unit: Literal["words", "code"] = Field("words", description="shingle unit: whitespace words or code tokens")
    shingle_size: int = Field(5, ge=1, description="tokens per shingle")
    num_perm: int = Field(2048, ge=1, description="MinHash permutations")
    bands: int = Field(16, ge=1, description="LSH bands")
    rows: int = Field(128, ge=1, description="signature values per band")
    seed: int | None = Field(None, ge=0, lt=2**64, description="MinHash seed; null = the recipe's seed")
    verify_threshold: float | None = Field(
        None, gt=0, le=1, description="drop candidate links below this true Jaccard; null = no verification"
    )
    partitions: int = Field(16, ge=1, description="band-key buckets; memory of one reduce ~ 1/partitions")

    @model_validator(mode="after")
    def _bands_fit(self) -> FuzzyDedupParams:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands} x {self.rows}) exceeds num_perm ({self.num_perm})")
        return self

    def threshold(self) -> float:
        """The Jaccard similarity at which a pair becomes a candidate with probability ~1/2: (1/b)^(1/r)."""
        return (1 / self.bands) ** (1 / self.rows)


def keep_first_order(nodes: pa.Table) -> pa.Array:
    """Row order putting, within each ``component``, the document to keep first (stars, time desc; id asc).

    Nulls sort last in either direction (arrow's default), so a missing star count or time ranks lowest."""
    keys = [
        ("component", "ascending"),
        ("stars", "descending"),
        ("commit_time", "descending"),
        ("id", "ascending"),
    ]
    return pc.sort_indices(nodes, sort_keys=keys)


def connected_components(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Component label (the smallest node index) of each of ``n`` nodes joined by edges ``u[i] - v[i]``.

    Vectorised hook-and-shortcut union-find: every round hooks the larger root of each unsettled edge under
    the smaller one, then compresses paths fully; the number of rounds grows with log(component diameter).
    """
    parent = np.arange(n)
    while True:
        pu, pv = parent[u], parent[v]
        unsettled = pu != pv
        if not unsettled.any():
            return parent
        lo, hi = np.minimum(pu[unsettled], pv[unsettled]), np.maximum(pu[unsettled], pv[unsettled])
        np.minimum.at(parent, hi, lo)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


class FuzzyDedup:
    """The ``fuzzy_dedup`` global stage."""

    name = NAME

    def __init__(self, params: FuzzyDedupParams, seed: int, run_dir: Path) -> None:
        self.params = params
        self.seed = params.seed if params.seed is not None else seed
        self.n_partitions = params.partitions
        self.shingle_dir = run_dir / "work" / NAME / "shingles"  # only with verify_threshold

    def map(self, batch: pa.Table) -> pa.Table:
        p = self.params
        texts = batch.column("text")
        sigs, has_shingles = minhash.signatures(
            texts, unit=p.unit, shingle_size=p.shingle_size, num_perm=p.num_perm, seed=self.seed
        )
        docs = np.flatnonzero(has_shingles)  # documents without a shingle (empty, whitespace) are never bucketed
        keys = minhash.band_keys(sigs[docs], bands=p.bands, rows=p.rows, seed=self.seed)
        if p.verify_threshold is not None:
            self._write_shingle_sets(batch)
        take = pa.array(np.repeat(docs, p.bands))
        return pa.table(
            {
                "partition_key": pa.array(keys.ravel(), pa.uint64()),
                "id": batch.column("id").take(take),
                "stars": batch.column("stars").take(take).cast(pa.int64()),
                "commit_time": batch.column("commit_time").take(take).cast(CANDIDATES_SCHEMA.field("commit_time").type),
            }
        )

    def reduce(self, part: pa.Table) -> pa.Table:
        """Documents that share a band key with another document, each linked to its bucket's smallest id."""
        if part.num_rows == 0:
            return CANDIDATES_SCHEMA.empty_table()
        buckets = part.group_by("partition_key").aggregate([("id", "min"), ("id", "count_distinct")])
        shared = buckets.filter(pc.greater(buckets.column("id_count_distinct"), 1))
        shared = shared.select(["partition_key", "id_min"]).rename_columns(["partition_key", "anchor"])
        members = part.join(shared, "partition_key", join_type="inner")
        return members.select(CANDIDATES_SCHEMA.names).group_by(CANDIDATES_SCHEMA.names).aggregate([])

    def finalize(self, reduced: Iterable[pa.Table], run_dir: Path) -> pa.Table:
        candidates = pa.concat_tables([t.cast(CANDIDATES_SCHEMA) for t in reduced] or [CANDIDATES_SCHEMA.empty_table()])
        links = candidates.filter(pc.not_equal(candidates.column("id"), candidates.column("anchor")))
        links = links.select(["id", "anchor"]).group_by(["id", "anchor"]).aggregate([])
        if self.params.verify_threshold is not None:
            links = self._verified(links)
        nodes = candidates.group_by("id").aggregate([("stars", "max"), ("commit_time", "max")])
        nodes = nodes.rename_columns(["id", "stars", "commit_time"])
        nodes = nodes.take(pc.sort_indices(nodes, [("id", "ascending")]))
        ids = nodes.column("id")
        u = pc.index_in(links.column("id"), value_set=ids).to_numpy()
        v = pc.index_in(links.column("anchor"), value_set=ids).to_numpy()
        component = connected_components(u, v, nodes.num_rows)
        sizes = np.bincount(component, minlength=nodes.num_rows)
        nodes = nodes.append_column("component", pa.array(component)).filter(pa.array(sizes[component] > 1))
        ordered = nodes.take(keep_first_order(nodes))
        comp = ordered.column("component").to_numpy()
        first = np.ones(len(comp), dtype=bool)
        first[1:] = comp[1:] != comp[:-1]
        kept = ordered.column("id").take(pa.array(np.maximum.accumulate(np.where(first, np.arange(len(comp)), 0))))
        clusters = pa.table({"id": ordered.column("id"), "cluster": kept}, schema=CLUSTERS_SCHEMA)
        write_table_atomic(run_dir / "clusters.parquet", clusters)
        gone = pa.array(~first)
        return pa.table(
            {
                "id": clusters.column("id").filter(gone),
                "duplicate_of": clusters.column("cluster").filter(gone),
                "reason": pa.array([REASON] * int((~first).sum()), pa.string()),
            },
            schema=DECISIONS_SCHEMA,
        )

    def _write_shingle_sets(self, batch: pa.Table) -> None:
        """Each document's sorted unique shingle ids, beside the map output, for verification in finalize."""
        p = self.params
        sets = minhash.shingle_sets(batch.column("text"), p.unit, p.shingle_size)
        values = np.concatenate(sets) if sets else np.zeros(0, np.uint64)
        offsets = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in sets], out=offsets[1:])
        table = pa.table(
            {
                "id": batch.column("id"),
                "shingles": pa.LargeListArray.from_arrays(offsets, pa.array(values, pa.uint64())),
            }
        )
        digest = xxhash.xxh3_64_hexdigest("\0".join(batch.column("id").to_pylist()).encode())
        write_table_atomic(self.shingle_dir / f"{digest}.parquet", table)

    def _verified(self, links: pa.Table) -> pa.Table:
        """The links whose two documents' true Jaccard similarity reaches ``verify_threshold``."""
        needed = pc.unique(
            pa.concat_arrays([links.column("id").combine_chunks(), links.column("anchor").combine_chunks()])
        )
        if len(needed) == 0:
            return links
        found = ds.dataset(self.shingle_dir, format="parquet").to_table(filter=pc.field("id").isin(needed))
        shingles = found.column("shingles").to_numpy(zero_copy_only=False)
        sets = dict(zip(found.column("id").to_pylist(), shingles, strict=True))
        ok = [
            minhash.jaccard(sets[a], sets[b]) >= self.params.verify_threshold
            for a, b in zip(links.column("id").to_pylist(), links.column("anchor").to_pylist(), strict=True)
        ]
        return links.filter(pa.array(ok, pa.bool_()))


@register_stage(NAME, params=FuzzyDedupParams)
def build_fuzzy_dedup(params: FuzzyDedupParams, ctx: StageContext) -> FuzzyDedup:
    return FuzzyDedup(params, ctx.seed, ctx.run_dir)


def dedup_recipe(recipe: Recipe, source: str) -> Recipe:
    """What ``opencoder dedup`` runs: the recipe's seed, columns and engine with only its fuzzy_dedup stage."""
    specs = [s for s in recipe.stages if s.name == NAME]
    if not specs:
        raise OpencoderError(f"{source}: has no {NAME} stage to take the dedup parameters from")
    return recipe.model_copy(update={"stages": [specs[0].model_copy(update={"enabled": True})]})
