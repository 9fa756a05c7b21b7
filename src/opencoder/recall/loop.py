"""``opencoder recall``: the paper's iterative loop (SPEC §2) over a pool of web pages.

Round r: train fastText on the seed positives (plus the pages found through domains in earlier rounds) and
negatives; score the pool with the ``recall_score`` stage through the engine (``run_recipe``); mark domains with
more than ``domain_share`` of their pages scored at or above ``threshold``, and pages matching the URL patterns;
those pages that the classifier missed join the positives of round r + 1. A tenth of the seeds (by a hash of
seed and id) is held out to measure precision and recall every round.

OUT/segmenter.json is the BPE segmenter (trained once on the seeds); OUT/round<r>/ holds model.bin, run/ (the
scoring run: scores/ with id, url, score; kept/; manifest.json), domains.parquet, recalled.parquet (id, url,
score, via = classifier | domain | pattern) and summary.json; OUT/recall.json lists the rounds' summaries and
OUT/recalled.parquet holds the last round's recalled pages with their text: what ``opencoder tokenize`` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import xxhash
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.recipe import Recipe, StageSpec, shipped_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.errors import OpencoderError
from opencoder.io.readers import InputSpec, plan_inputs, read_shard
from opencoder.io.settings import Columns, EngineSettings
from opencoder.io.writers import write_json_atomic, write_table_atomic
from opencoder.recall import classifier, domains
from opencoder.recall.segment import load_segmenter, segment, train_segmenter
from opencoder.recall.stage import NAME as SCORE_STAGE

# Seed pages shipped with the package (60 code-related, 60 other; data/README.md says where from): what the demo
# trains on when a user has no labelled pages of their own.
_DATA = Path(str(resources.files("opencoder.recall") / "data"))
SEED_POSITIVES, SEED_NEGATIVES = _DATA / "positives.jsonl.gz", _DATA / "negatives.jsonl.gz"


class RecallParams(BaseModel):
    """The loop's settings (src/opencoder/recipes/recall.yaml)."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 42
    rounds: int = Field(3, ge=1)
    threshold: float = Field(0.5, gt=0, lt=1, description="P(code) at which a page is recalled")
    domain_share: float = Field(0.1, ge=0, lt=1, description="a domain with more recalled pages is code-related")
    min_domain_pages: int = Field(3, ge=1, description="domains with fewer pages in the pool are not judged")
    url_patterns: list[str] = Field(default_factory=list, description="LIKE patterns (%) of code-related URLs")
    vocab_size: int = Field(16000, ge=100, description="BPE segmenter vocabulary")
    holdout: float = Field(0.1, ge=0, lt=1, description="share of seeds held out for precision/recall")
    fasttext: classifier.FastTextParams = Field(default_factory=classifier.FastTextParams)
    url_field: str = Field("url", description="the pool's field holding the page URL")


@dataclass
class Seeds:
    ids: list[str]
    texts: list[str]


def read_texts(paths: Sequence[Path], columns: Columns = Columns()) -> Seeds:
    """Ids and texts of seed files (Parquet/JSONL with ``text``), through the engine's readers; a bad record is an
    error naming its file and line."""
    settings = EngineSettings()
    seeds = Seeds([], [])
    plan = plan_inputs([InputSpec(str(p)) for p in paths], settings)
    for shard in plan.shards:
        for batch in read_shard(shard, columns, settings, on_error="fail"):
            seeds.ids += batch.docs.column("id").to_pylist()
            seeds.texts += [b.decode("utf-8", "surrogateescape") for b in batch.docs.column("content").to_pylist()]
    return seeds


def held_out(ids: Sequence[str], seed: int, share: float) -> np.ndarray:
    """Which seeds are held out: a hash of (seed, id) below ``share`` (the same ones every round and run)."""
    return np.array(
        [xxhash.xxh64_intdigest(i.encode("utf-8", "surrogatepass"), seed=seed) / 2**64 < share for i in ids]
    )


def precision_recall(pos: np.ndarray, neg: np.ndarray, threshold: float) -> dict[str, float | int]:
    """Held-out precision and recall at ``threshold`` from the scores of positives and negatives."""
    tp, fp = int((pos >= threshold).sum()), int((neg >= threshold).sum())
    return {
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / len(pos), 4) if len(pos) else 0.0,
        "held_out_positives": len(pos),
        "held_out_negatives": len(neg),
    }


def score_recipe(params: RecallParams, model: Path, segmenter: Path) -> Recipe:
    """The engine recipe of one scoring pass: the URL read into ``path``, one ``recall_score`` stage."""
    columns = Columns(path=params.url_field, repo=None, stars=None, commit_time=None)
    digest = xxhash.xxh64_hexdigest(model.read_bytes())
    spec = StageSpec(
        name=SCORE_STAGE,
        params={"model": str(model.resolve()), "segmenter": str(segmenter.resolve()), "model_digest": digest},
    )
    return Recipe(seed=params.seed, columns=columns, stages=[spec])


def _pool_texts(run_dir: Path, ids: list[str]) -> list[str]:
    """Text of the given pool ids, from a scoring run's kept/ (every pool document is kept)."""
    if not ids:
        return []
    table = ds.dataset(run_dir / "kept", format="parquet").to_table(
        columns=["id", "text"], filter=pc.field("id").isin(ids)
    )
    by_id = dict(zip(table.column("id").to_pylist(), table.column("text").to_pylist(), strict=True))
    return [by_id[i] or "" for i in ids]


def run_recall(
    pool: Sequence[Path],
    positives: Sequence[Path],
    negatives: Sequence[Path],
    out: Path,
    params: RecallParams,
    workers: int = 1,
) -> list[dict[str, Any]]:
    """The whole loop; returns (and writes to OUT/recall.json) one summary per round."""
    out.mkdir(parents=True, exist_ok=True)
    pos, neg = read_texts(positives), read_texts(negatives)
    if not pos.texts or not neg.texts:
        raise OpencoderError(f"recall needs seed positives and negatives (read {len(pos.texts)} and {len(neg.texts)})")
    segmenter_path = train_segmenter(pos.texts + neg.texts, params.vocab_size, out / "segmenter.json")
    tok = load_segmenter(segmenter_path)
    pos_seg, neg_seg = segment(tok, pos.texts), segment(tok, neg.texts)
    pos_out, neg_out = held_out(pos.ids, params.seed, params.holdout), held_out(neg.ids, params.seed, params.holdout)
    train_pos = [t for t, h in zip(pos_seg, pos_out, strict=True) if not h]
    train_neg = [t for t, h in zip(neg_seg, neg_out, strict=True) if not h]
    test_pos = [t for t, h in zip(pos_seg, pos_out, strict=True) if h]
    test_neg = [t for t, h in zip(neg_seg, neg_out, strict=True) if h]
    regex = domains.pattern_regex(params.url_patterns)
    added: list[str] = []  # segmented pages found through domains and patterns, all rounds so far
    marked_before: set[str] = set()
    summaries = []
    for r in range(1, params.rounds + 1):
        round_dir = out / f"round{r}"
        model_path = round_dir / "model.bin"
        model = classifier.train(train_pos + added, train_neg, params.fasttext, params.seed, model_path)
        quality = precision_recall(
            classifier.scores(model, test_pos), classifier.scores(model, test_neg), params.threshold
        )
        run_dir = round_dir / "run"
        manifest = run_recipe(
            [InputSpec(str(p)) for p in pool],
            run_dir,
            score_recipe(params, model_path, segmenter_path),
            RunOptions(workers=workers),
        )
        scores = ds.dataset(run_dir / "scores", format="parquet").to_table().sort_by("id")
        urls = scores.column("url").to_pylist()
        scored = scores.append_column("domain", pa.array([domains.domain_of(u) for u in urls], pa.string()))
        judged = domains.marked_domains(scored, params.threshold, params.domain_share, params.min_domain_pages)
        write_table_atomic(round_dir / "domains.parquet", judged)
        marked = set(judged.filter(judged.column("marked")).column("domain").to_pylist())
        hit = pc.greater_equal(scores.column("score"), params.threshold).to_numpy(zero_copy_only=False)
        by_domain = np.array([d in marked for d in scored.column("domain").to_pylist()])
        by_pattern = np.array(domains.matches_patterns(urls, regex), dtype=bool)
        via = np.where(hit, "classifier", np.where(by_domain, "domain", np.where(by_pattern, "pattern", "")))
        recalled = scored.append_column("via", pa.array(via.tolist(), pa.string())).filter(pa.array(via != ""))
        write_table_atomic(round_dir / "recalled.parquet", recalled)
        missed = scores.column("id").filter(pa.array(~hit & (by_domain | by_pattern))).to_pylist()
        added += segment(tok, _pool_texts(run_dir, missed))
        summary = {
            "round": r,
            "pool": manifest["documents"]["in"],
            "scored": scores.num_rows,
            "recalled": recalled.num_rows,
            "recalled_by_classifier": int(hit.sum()),
            "domains_marked": len(marked),
            "domains_added": sorted(marked - marked_before),
            "pages_added_to_positives": len(missed),
            "no_url": sum(u is None for u in urls),
            "held_out": quality,
        }
        marked_before |= marked
        write_json_atomic(round_dir / "summary.json", summary)
        summaries.append(summary)
    texts = _pool_texts(run_dir, recalled.column("id").to_pylist())
    write_table_atomic(out / "recalled.parquet", recalled.append_column("text", pa.array(texts, pa.large_string())))
    write_json_atomic(out / "recall.json", {"params": params.model_dump(), "rounds": summaries})
    return summaries


def load_params(path: Path | None) -> RecallParams:
    """src/opencoder/recipes/recall.yaml (or the given file), validated; errors name the file and key."""
    import yaml
    from pydantic import ValidationError

    path = path or shipped_recipe("recall.yaml")
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return RecallParams.model_validate(data)
    except OSError as err:
        raise OpencoderError(f"{path}: cannot read recall recipe: {err.strerror or err}") from None
    except ValidationError as err:
        e = err.errors()[0]
        raise OpencoderError(f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}") from None
