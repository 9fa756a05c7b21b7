"""``opencoder ablate ABLATION.yaml``: the paper's ablations (SPEC §7) as runnable experiments.

One corpus is read once (preprocess + langid, optionally one set of languages) and split by a hash of each
document's id into a validation set, common to every variant and held out of all training data, and a pool.
Each named variant then runs its own data recipe (a list of refine stages) over the pool, its kept documents are
tokenized with one tokenizer (trained once, on the pool) and a model of the chosen size is trained on them with
the same seed and the same token budget (steps x global batch x sequence length; a variant with less data repeats
it). Every ``eval_every`` steps a checkpoint is kept and, after training, evaluated the same way for all variants:
the mean next-token loss over the validation set's windows. One page, ``OUT/ablation.html``, shows the curves
(validation and training loss per variant), a summary table and what such a run can and cannot show.

Steps whose output exists are skipped, so a rerun resumes.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from opencoder.errors import OpencoderError
from opencoder.io.readers import InputSpec

DIVERSITY_SAMPLE = 300  # kept documents per variant embedded for the diversity figure
SERIES_COLOURS = ("#4a7bd0", "#d0694a", "#3a9a5b", "#8a5ac2", "#c29a2a", "#2aa3b5", "#b54a8a", "#555555")
LIMITS = """\
<p><b>What this run can show.</b> Whether the variants' data differ in amount (documents and tokens kept) and in how
well a model trained on each predicts the same held-out code, under the same seed, model size and token budget;
the data pipeline, training and evaluation paths of every variant running end to end.</p>
<p><b>What it cannot show.</b> The paper's conclusions. Its ablations train 1.5B-parameter models on tens of billions
of tokens and compare HumanEval and MBPP pass@1; a tiny model trained for minutes on a few MB solves no benchmark
problem, so pass@1 is not measured here, and differences in held-out loss of a few hundredths are within the noise
of one seed. A lower held-out loss is not better code generation either: the paper's star-filtered model had the
lower training loss and the worse benchmark scores. The validation set is drawn from the same corpus before dedup,
so it rewards variants that keep duplicated content (its copies may sit in the validation set too). Read the
curves as a check that the experiment is wired correctly, and rerun the same file with a larger model, corpus and
budget (and HumanEval/MBPP through <code>opencoder eval</code>) on a GPU to test a claim.</p>
"""


class CorpusSpec(BaseModel):
    """The input every variant starts from."""

    model_config = ConfigDict(extra="forbid")

    roots: list[str] | None = None  # labels of this machine's corpus roots (io/corpus.py), read whole
    paths: list[str] | None = None  # or input paths (trees, JSONL, Parquet), as `opencoder refine` takes them
    max_mb: float | None = Field(None, gt=0)  # with neither: a sample of this machine's code of this size
    languages: list[str] | None = None  # keep only documents of these languages (langid's names)

    @model_validator(mode="after")
    def _one_source(self) -> CorpusSpec:
        if self.roots and self.paths:
            raise ValueError("give roots or paths, not both")
        return self


class VariantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.+-]+$")
    stages: list[dict[str, Any]] = Field(default_factory=list)  # refine stages run over the pool
    train: dict[str, Any] = Field(default_factory=dict)  # training recipe overrides for this variant only


class AblationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    seed: int = 42
    corpus: CorpusSpec = Field(default_factory=CorpusSpec)
    validation_share: float = Field(0.05, gt=0, lt=1)
    validation_windows: int = Field(256, ge=1)  # sequence-length windows of the validation set evaluated
    vocab_size: int = Field(1024, ge=300)
    train: dict[str, Any] = Field(default_factory=dict)  # pretraining recipe keys shared by all variants
    eval_every: int = Field(25, ge=1)
    variants: list[VariantSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> AblationSpec:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names repeat: {names}")
        return self


def load_ablation(path: str | Path) -> AblationSpec:
    """Read and validate an ablation file; errors name the file and the key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise OpencoderError(f"{path}: cannot read ({err})") from None
    try:
        return AblationSpec.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        raise OpencoderError(f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}") from None


@dataclass
class VariantResult:
    name: str
    docs: int
    tokens: int
    steps: list[int]
    val_loss: list[float]
    train_steps: list[int]
    train_loss: list[float]
    epochs: float
    sample: list[str]  # texts of a sample of the kept documents, for the diversity figure


def _inputs(spec: CorpusSpec) -> list[InputSpec]:
    from opencoder.io.corpus import default_inputs, discover_candidates, sample_corpus

    if spec.paths:
        return [InputSpec(p) for p in spec.paths]
    if spec.roots:
        found = [c for c in discover_candidates() if c.label in spec.roots]
        missing = set(spec.roots) - {c.label for c in found}
        if missing:
            raise OpencoderError(f"corpus.roots: not on this machine: {', '.join(sorted(missing))}")
        return [r.input_spec() for r in sample_corpus(found, None if spec.max_mb is None else int(spec.max_mb * 1e6))]
    return default_inputs(int((spec.max_mb or 16) * 1e6))


def _refine(inputs: list, out: Path, stages: list[dict], seed: int, workers: int) -> Path:
    from opencoder.engine.recipe import parse_recipe
    from opencoder.engine.runner import RunOptions, run_recipe

    if not (out / "manifest.json").is_file():
        shutil.rmtree(out, ignore_errors=True)
        recipe = parse_recipe({"seed": seed, "stages": stages}, f"{out.name}: stages")
        run_recipe(inputs, out, recipe, RunOptions(workers=workers))
    return out / "kept"


def _split(kept: Path, out: Path, spec: AblationSpec) -> tuple[Path, Path]:
    """pool.parquet and validation.parquet from the read corpus, by a hash of (seed, id)."""
    pool, val = out / "pool.parquet", out / "validation.parquet"
    if pool.is_file() and val.is_file():
        return pool, val
    table = pq.read_table(kept)
    if spec.corpus.languages:
        table = table.filter(pc.is_in(table.column("lang"), pa.array(spec.corpus.languages)))
    if table.num_rows == 0:
        raise OpencoderError("the corpus holds no document of the chosen languages")
    draws = np.array(
        [xxhash.xxh64_intdigest(i.encode(), spec.seed) / 2**64 for i in table.column("id").to_pylist()], np.float64
    )
    held = pa.array(draws < spec.validation_share)
    pq.write_table(table.filter(pc.invert(held)), pool)
    pq.write_table(table.filter(held), val)
    return pool, val


def _tokens(kept: Path | list[Path], tok: Path, out: Path, workers: int) -> dict:
    from opencoder.train.packing import tokenize

    if not (out / "meta.json").is_file():
        tokenize(kept if isinstance(kept, list) else [kept], tok, out, processes=workers)
    return json.loads((out / "meta.json").read_text())


def _windows(val_tokens: Path, seq_len: int, limit: int) -> np.ndarray:
    """Consecutive, non-overlapping windows of the validation token stream (at most ``limit``)."""
    from opencoder.train.packing import TokenShards

    stream = np.concatenate([np.asarray(a, dtype=np.int64) for a in TokenShards.open(val_tokens).arrays])
    n = min(len(stream) // seq_len, limit)
    if n == 0:
        raise OpencoderError(f"the validation set has {len(stream)} tokens, fewer than one window of {seq_len}")
    return stream[: n * seq_len].reshape(n, seq_len)


def held_out_loss(model_state: dict, model: str, vocab: int, windows: np.ndarray, batch: int = 16) -> float:
    """Mean next-token cross-entropy of a model state over the windows (every window weighs its tokens)."""
    import torch

    from opencoder.train.models import build_model, get_spec, llama_config

    net = build_model(llama_config(get_spec(model), vocab))
    net.load_state_dict(model_state)
    net.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(windows), batch):
            ids = torch.from_numpy(windows[start : start + batch])
            loss = net(input_ids=ids, labels=ids).loss
            n = ids.shape[0] * (ids.shape[1] - 1)
            total += float(loss) * n
            count += n
    return total / count


def _train_variant(spec: AblationSpec, variant: VariantSpec, tokens: Path, out: Path) -> Path:
    from opencoder.train.loop import train
    from opencoder.train.recipe import load_recipe

    settings = {"model": "tiny", **spec.train, **variant.train}
    steps = int(settings.get("max_steps", 100))
    recipe = load_recipe(
        "pretrain",
        **{
            **settings,
            "data": [{"path": str(tokens)}],
            "seed": spec.seed,
            "max_steps": steps,
            "save_every": spec.eval_every,
            "keep_checkpoints": steps // spec.eval_every + 2,
        },
    )
    if not (out / "hf").is_dir():
        train(recipe, out)
    return out


def _evaluate(spec: AblationSpec, run: Path, windows: np.ndarray) -> tuple[list[int], list[float]]:
    from opencoder.train.checkpoint import load_checkpoint

    cache = run / "held_out.json"
    if cache.is_file():
        data = json.loads(cache.read_text())
        return data["steps"], data["loss"]
    recipe = json.loads((run / "recipe.json").read_text())
    vocab = recipe.get("vocab_size") or _model_vocab(recipe["model"])
    steps, losses = [], []
    for ckpt in sorted((run / "checkpoints").glob("step-????????")):
        model_state, trainer_state = load_checkpoint(ckpt)
        steps.append(int(trainer_state["step"]))
        losses.append(held_out_loss(model_state, recipe["model"], vocab, windows))
    cache.write_text(json.dumps({"steps": steps, "loss": losses}))
    return steps, losses


def _model_vocab(model: str) -> int:
    from opencoder.train.models import get_spec

    return get_spec(model).vocab


def _sample(kept: Path, seed: int) -> list[str]:
    from opencoder.report.diversity import sample_ids

    table = pq.read_table(kept, columns=["id", "text"])
    picked = sample_ids(table.column("id").to_pylist(), DIVERSITY_SAMPLE, seed)
    return table.column("text").take(pa.array(picked, pa.int64())).to_pylist()


def _metrics(run: Path) -> tuple[list[int], list[float], float]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r["step"] for r in records], [r["loss"] for r in records], float(records[-1].get("epoch") or 0.0)


def run_ablation(path: str | Path, out: str | Path, workers: int = 1, log=print) -> Path:
    """Run every step of an ablation file into ``out`` (skipping finished ones); returns the page's path."""
    from opencoder.train.tokenizer import train_tokenizer

    spec = load_ablation(path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(spec.model_dump_json(indent=2))
    started = time.perf_counter()
    read = _refine(
        _inputs(spec.corpus), out / "corpus", [{"name": "preprocess"}, {"name": "langid"}], spec.seed, workers
    )
    pool, val = _split(read, out, spec)
    log(
        f"corpus: {pq.ParquetFile(pool).metadata.num_rows:,} documents in the pool, "
        f"{pq.ParquetFile(val).metadata.num_rows:,} held out ({time.perf_counter() - started:.0f} s)"
    )
    tok = out / "tokenizer"
    if not (tok / "tokenizer.json").is_file():
        train_tokenizer([pool], tok, spec.vocab_size)
    seq_len = int({"model": "tiny", **spec.train}.get("seq_len") or 64)
    val_meta = _tokens([val], tok, out / "validation_tokens", workers)
    windows = _windows(out / "validation_tokens", seq_len, spec.validation_windows)
    log(f"validation: {val_meta['num_tokens']:,} tokens, {len(windows)} windows of {seq_len} evaluated")
    results = []
    for variant in spec.variants:
        vdir = out / "variants" / variant.name
        kept = _refine(
            [InputSpec(str(pool))], vdir / "refine", variant.stages or [{"name": "langid"}], spec.seed, workers
        )
        if not any(kept.glob("*.parquet")):
            raise OpencoderError(f"variant {variant.name}: its data recipe kept no document")
        meta = _tokens(kept, tok, vdir / "tokens", workers)
        run = _train_variant(spec, variant, vdir / "tokens", vdir / "train")
        steps, val_loss = _evaluate(spec, run, windows)
        train_steps, train_loss, epochs = _metrics(run)
        results.append(
            VariantResult(
                variant.name,
                meta["num_documents"],
                meta["num_tokens"],
                steps,
                val_loss,
                train_steps,
                train_loss,
                epochs,
                _sample(kept, spec.seed),
            )
        )
        log(
            f"{variant.name}: {meta['num_documents']:,} documents, {meta['num_tokens']:,} tokens, held-out loss "
            f"{val_loss[-1]:.4f} after {steps[-1]} steps ({time.perf_counter() - started:.0f} s)"
        )
    page = out / "ablation.html"
    page.write_text(render(spec, results, time.perf_counter() - started), "utf-8")
    return page


def _diversity(results: list[VariantResult], colours: dict[str, str]) -> str:
    """The variants' samples embedded together, on their two principal components, and each sample's spread."""
    from opencoder.report.diversity import embed, pca_2d, spread
    from opencoder.report.html import scatter_chart, table

    texts = [t for r in results for t in r.sample]
    if len(texts) < 2:
        return "<p>Too few documents to compare.</p>"
    rows = embed(texts)
    coords, explained = pca_2d(rows)
    bounds = np.cumsum([0] + [len(r.sample) for r in results])
    series = [
        (r.name, colours[r.name], coords[a:b, 0].tolist(), coords[a:b, 1].tolist())
        for r, a, b in zip(results, bounds[:-1], bounds[1:], strict=True)
    ]
    spreads = [
        [r.name, f"{len(r.sample):,}", f"{spread(rows[a:b]):.4f}"]
        for r, a, b in zip(results, bounds[:-1], bounds[1:], strict=True)
    ]
    return (
        f"<p>A sample of up to {DIVERSITY_SAMPLE} kept documents per variant, embedded as hashed code-token "
        "tf-idf vectors (a model-free stand-in for the paper's embeddings) and projected together on their first "
        f"two principal components ({100 * explained:.1f} % of the variance). Spread: mean squared distance to the "
        "sample's centroid in the full embedding space (higher: more diverse).</p>"
        + scatter_chart("PCA of the kept documents", series, width=560)
        + table(["variant", "documents", "spread"], spreads, (False, True, True))
    )


def render(spec: AblationSpec, results: list[VariantResult], seconds: float) -> str:
    """The comparison page: curves per variant, a summary table, the variants' recipes and the limits."""
    from opencoder.report.html import Section, esc, multi_line_chart, page, table

    colours = {r.name: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, r in enumerate(results)}
    val_chart = multi_line_chart(
        "held-out loss vs step", [(r.name, colours[r.name], r.steps, r.val_loss) for r in results], width=560
    )
    every = max(1, max(len(r.train_steps) for r in results) // 200)
    train_chart = multi_line_chart(
        "training loss vs step",
        [(r.name, colours[r.name], r.train_steps[::every], r.train_loss[::every]) for r in results],
        width=560,
    )
    base = min(r.val_loss[-1] for r in results)
    rows = [
        [
            r.name,
            f"{r.docs:,}",
            f"{r.tokens:,}",
            f"{r.epochs:.2f}",
            f"{r.train_loss[-1]:.4f}",
            f"{r.val_loss[-1]:.4f}",
            f"{r.val_loss[-1] - base:+.4f}",
            f"{math.exp(r.val_loss[-1]):.1f}",
        ]
        for r in results
    ]
    summary = table(
        ["variant", "documents", "tokens", "epochs", "final train loss", "held-out loss", "vs best", "perplexity"],
        rows,
        (False, True, True, True, True, True, True, True),
    )
    recipes = "".join(
        f"<h3>{esc(v.name)}</h3><pre>{esc(yaml.safe_dump(v.model_dump(exclude={'name'}), sort_keys=False))}</pre>"
        for v in spec.variants
    )
    setup = yaml.safe_dump(
        spec.model_dump(exclude={"variants", "name", "description"}), sort_keys=False, default_flow_style=None
    )
    sections = [
        Section("Curves", f"<p>{esc(spec.description)}</p>{val_chart}{train_chart}"),
        Section("Summary", summary + f"<p class='meta'>wall time {seconds:.0f} s</p>"),
        Section("Diversity", _diversity(results, colours)),
        Section("What a tiny CPU run can and cannot show", LIMITS),
        Section("Variants", recipes + f"<h3>Shared settings</h3><pre>{esc(setup)}</pre>"),
    ]
    return page(f"opencoder ablation: {spec.name}", "same seed, model, token budget and validation set", sections)
