"""Running an ablation file.

One corpus is read once (preprocess + langid, optionally one set of languages) and split by a hash of each
document's id into a validation set, common to every variant and held out of all training data, and a pool.
Each named variant then runs its own data recipe (a list of refine stages) over the pool, its kept documents are
tokenized with one tokenizer (trained once, on the pool) and a model of the chosen size is trained on them with
the same seed and the same token budget (steps x global batch x sequence length; a variant with less data repeats
it); variants with the same data recipe and pretraining settings share one pretraining. A variant's phases
(annealing, SFT) then continue from its model, each on its own mixture (ablate/sources.py). Every ``eval_every``
steps of every stage a checkpoint is kept and, after training, evaluated the same way for all variants: the mean
next-token loss over the validation set's windows and, with a task set, the mean loss of its answers. One page,
``OUT/ablation.html`` (ablate/page.py), shows the curves per variant, a summary table and what such a run can and
cannot show.

Steps whose output exists are skipped, so a rerun resumes.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from opencoder.ablate import sources
from opencoder.ablate.page import DIVERSITY_SAMPLE, Curve, VariantResult, render
from opencoder.ablate.spec import AblationSpec, CorpusSpec, PhaseSpec, VariantSpec, load_ablation
from opencoder.errors import OpencoderError
from opencoder.io.readers import InputSpec


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


def _model(model_state: dict, model: str, vocab: int):
    from opencoder.train.models import build_model, get_spec, llama_config

    net = build_model(llama_config(get_spec(model), vocab))
    net.load_state_dict(model_state)
    net.eval()
    return net


def held_out_loss(model_state: dict, model: str, vocab: int, windows: np.ndarray, batch: int = 16) -> float:
    """Mean next-token cross-entropy of a model state over the windows (every window weighs its tokens)."""
    import torch

    net = _model(model_state, model, vocab)
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(windows), batch):
            ids = torch.from_numpy(windows[start : start + batch])
            loss = net(input_ids=ids, labels=ids).loss
            n = ids.shape[0] * (ids.shape[1] - 1)
            total += float(loss) * n
            count += n
    return total / count


def task_loss(model_state: dict, model: str, vocab: int, examples: list[dict[str, np.ndarray]]) -> float:
    """Mean cross-entropy of the answer tokens of instruction examples (prompt tokens masked, as SFT trains)."""
    import torch

    from opencoder.train.data import IGNORE_INDEX

    net = _model(model_state, model, vocab)
    total, count = 0.0, 0
    with torch.no_grad():
        for ex in examples:
            labels = torch.from_numpy(ex["labels"])[None]
            n = int((labels[0, 1:] != IGNORE_INDEX).sum())
            if n:
                total += float(net(input_ids=torch.from_numpy(ex["input_ids"])[None], labels=labels).loss) * n
                count += n
    return total / count


def _task_examples(spec: AblationSpec, pool: Path, tok: Path, folder: Path) -> list[dict[str, np.ndarray]]:
    """The task set's examples encoded as SFT encodes them; those whose prompt fills the budget are dropped."""
    from opencoder.train.sft import load_sft_examples
    from opencoder.train.tokenizer import load_tokenizer

    if spec.task_validation is None:
        return []
    path = sources.materialise(spec.task_validation, "sft", pool, pool, tok, folder)
    examples = load_sft_examples([path], load_tokenizer(tok), spec.task_max_tokens, packing=False)
    if not examples:
        raise OpencoderError(
            f"task_validation {spec.task_validation}: every prompt fills task_max_tokens "
            f"({spec.task_max_tokens}); raise it (the model's context allows at most its max_position)"
        )
    return examples


def _pretrain(spec: AblationSpec, variant: VariantSpec, tokens: Path, out: Path) -> Path:
    settings = {"model": "tiny", **spec.train, **variant.train}
    steps = int(settings.get("max_steps", 100))
    _train("pretrain", {**settings, "data": [{"path": str(tokens)}], "max_steps": steps}, spec, steps, out)
    return out


def _phase(spec: AblationSpec, phase: PhaseSpec, init: Path, data: list[dict], out: Path) -> Path:
    """Train one anneal or SFT phase from ``init`` with the shared model shape and this phase's settings."""
    shared = {"model": "tiny", **spec.train}
    inherited = {k: shared[k] for k in ("model", "vocab_size", "seq_len", "micro_batch", "global_batch") if k in shared}
    settings = {**inherited, **phase.train, "data": data, "init": str(init)}
    _train(phase.stage, settings, spec, int(settings.get("max_steps") or 0), out)
    return out


def _train(stage: str, settings: dict, spec: AblationSpec, steps: int, out: Path) -> None:
    from opencoder.train.loop import train
    from opencoder.train.recipe import load_recipe

    keep = steps // spec.eval_every + 2 if steps else 1000
    recipe = load_recipe(
        stage, **{**settings, "seed": spec.seed, "save_every": spec.eval_every, "keep_checkpoints": keep}
    )
    if not (out / "hf").is_dir():
        train(recipe, out)


def _evaluate(run: Path, windows: np.ndarray, examples: list[dict[str, np.ndarray]]) -> Curve:
    """Held-out (and task) loss of every checkpoint of a training run, and its training loss per step."""
    from opencoder.train.checkpoint import load_checkpoint

    cache = run / "held_out.json"
    if cache.is_file():
        data = json.loads(cache.read_text())
    else:
        recipe = json.loads((run / "recipe.json").read_text())
        vocab = recipe.get("vocab_size") or _model_vocab(recipe["model"])
        data = {"steps": [], "loss": [], "task_loss": []}
        for ckpt in sorted((run / "checkpoints").glob("step-????????")):
            model_state, trainer_state = load_checkpoint(ckpt)
            data["steps"].append(int(trainer_state["step"]))
            data["loss"].append(held_out_loss(model_state, recipe["model"], vocab, windows))
            if examples:
                data["task_loss"].append(task_loss(model_state, recipe["model"], vocab, examples))
        cache.write_text(json.dumps(data))
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return Curve(
        data["steps"],
        data["loss"],
        data.get("task_loss", []),
        [r["step"] for r in records],
        [r["loss"] for r in records],
    )


def _model_vocab(model: str) -> int:
    from opencoder.train.models import get_spec

    return get_spec(model).vocab


def _sample(kept: Path, seed: int) -> list[str]:
    from opencoder.report.diversity import sample_ids

    table = pq.read_table(kept, columns=["id", "text"])
    picked = sample_ids(table.column("id").to_pylist(), DIVERSITY_SAMPLE, seed)
    return table.column("text").take(pa.array(picked, pa.int64())).to_pylist()


def _epochs(run: Path) -> float:
    last = (run / "metrics.jsonl").read_text().splitlines()[-1]
    return float(json.loads(last).get("epoch") or 0.0)


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
    examples = _task_examples(spec, pool, tok, out / "sources")
    log(
        f"validation: {val_meta['num_tokens']:,} tokens, {len(windows)} windows of {seq_len} evaluated"
        + (f"; {len(examples)} task examples ({spec.task_validation})" if examples else "")
    )
    pretrained: dict[str, Path] = {}  # variants with the same data recipe and pretraining share one pretraining
    results = []
    for variant in spec.variants:
        key = json.dumps([variant.stages, variant.train], sort_keys=True)
        base = pretrained.setdefault(key, out / "variants" / variant.name)
        kept = _refine(
            [InputSpec(str(pool))], base / "refine", variant.stages or [{"name": "langid"}], spec.seed, workers
        )
        if not any(kept.glob("*.parquet")):
            raise OpencoderError(f"variant {variant.name}: its data recipe kept no document")
        meta = _tokens(kept, tok, base / "tokens", workers)
        run = _pretrain(spec, variant, base / "tokens", base / "train")
        curve = _evaluate(run, windows, examples)
        epochs = _epochs(run)
        for i, phase in enumerate(variant.phases, 1):
            kind = "tokens" if phase.stage == "anneal" else "sft"
            data = [
                {"path": str(sources.materialise(d.source, kind, pool, base / "tokens", tok, out / "sources")),
                 "weight": d.weight}
                for d in phase.data
            ]  # fmt: skip
            run = _phase(spec, phase, run, data, out / "variants" / variant.name / "phases" / f"{i}-{phase.stage}")
            curve.extend(phase.stage, _evaluate(run, windows, examples))
        results.append(VariantResult(variant.name, meta["num_documents"], meta["num_tokens"], curve, epochs,
                                     _sample(kept, spec.seed)))  # fmt: skip
        log(
            f"{variant.name}: {meta['num_documents']:,} documents, {meta['num_tokens']:,} tokens, held-out loss "
            f"{curve.val_loss[-1]:.4f} after {curve.steps[-1]} steps ({time.perf_counter() - started:.0f} s)"
        )
    page = out / "ablation.html"
    page.write_text(render(spec, results, time.perf_counter() - started), "utf-8")
    return page
