"""The training loop shared by pretraining, annealing and both SFT stages.

Everything that can be wrong with the inputs (recipe, data, tokenizer, checkpoint) is checked before the model is
built, so a bad run fails in seconds. Each optimizer step accumulates micro-batches up to the recipe's global batch;
the loss is the mean over all label tokens of the global batch, whatever the split into ranks and micro-batches.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from opencoder.errors import OpencoderError
from opencoder.train import parallel
from opencoder.train.checkpoint import (
    latest_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from opencoder.train.data import IGNORE_INDEX, ListDataset, ResumableLoader, WindowDataset
from opencoder.train.export import export_hf
from opencoder.train.models import build_model, flops_per_token, get_spec, llama_config, peak_flops
from opencoder.train.packing import TokenShards
from opencoder.train.recipe import TrainRecipe
from opencoder.train.schedules import lr_at
from opencoder.train.sft import load_sft_examples
from opencoder.train.tokenizer import load_tokenizer, tokenizer_hash

METRICS = "metrics.jsonl"


@dataclass
class Prepared:
    """Everything validated and loaded before any compute."""

    tok: object
    config: object
    loader: ResumableLoader
    total_steps: int
    resume: tuple[dict, dict] | None  # (model state, trainer state) of this run's latest checkpoint
    init_model: dict | None  # weights to start from (anneal / SFT)
    init_optim: dict | None  # optimizer state to continue (anneal from a pretraining checkpoint)


def _hf_dir(path: Path) -> Path | None:
    for cand in (path / "hf", path):
        if (cand / "config.json").is_file():
            return cand
    return None


def _load_init(init: str, stage: str) -> tuple[dict, dict | None, Path | None]:
    """Weights (and, for anneal, optimizer state) from one of our run dirs or an HF directory."""
    path = Path(init)
    ckpt = latest_checkpoint(path) if path.is_dir() else None
    if ckpt is not None:
        model_state, trainer_state = load_checkpoint(ckpt)
        return model_state, trainer_state["optimizer"] if stage == "anneal" else None, _hf_dir(path)
    hf = _hf_dir(path)
    if hf is None:
        raise OpencoderError(f"{path}: --init is neither a training run (checkpoints/latest) nor an HF model dir")
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(hf).state_dict(), None, hf
    except Exception as err:
        raise OpencoderError(f"{hf}: cannot load the model to start from ({err})") from None


def _sources(recipe: TrainRecipe, tok_dir: Path | None):
    """Datasets of the recipe's sources and the tokenizer directory they were made with."""
    if not recipe.data:
        raise OpencoderError("no training data: pass --data or list `data:` in the recipe")
    if recipe.stage in ("pretrain", "anneal"):
        shards = [TokenShards.open(s.path) for s in recipe.data]
        hashes = {s.meta["tokenizer_hash"] for s in shards}
        if len(hashes) > 1:
            raise OpencoderError(
                "the data sources were tokenized with different tokenizers: "
                + ", ".join(f"{s.path} ({s.meta['tokenizer_hash'][:12]})" for s in shards)
            )
        tok_dir = tok_dir or shards[0].tokenizer_dir
        if tokenizer_hash(tok_dir) not in hashes:
            raise OpencoderError(f"{tok_dir}: tokenizer differs from the one {shards[0].path} was tokenized with")
        return [WindowDataset(s, recipe.seq_len) for s in shards], tok_dir
    if tok_dir is None:
        raise OpencoderError("SFT needs a tokenizer: pass --tokenizer or --init with an exported model (hf/)")
    tok = load_tokenizer(tok_dir)
    datasets = [
        ListDataset(load_sft_examples([s.path], tok, recipe.seq_len, recipe.packing), s.path) for s in recipe.data
    ]
    return datasets, tok_dir


def prepare(recipe: TrainRecipe, out_dir: Path, d: parallel.Dist) -> Prepared:
    """Validate and load recipe, data, tokenizer and checkpoints; raises OpencoderError before any compute."""
    spec = get_spec(recipe.model)
    resume = None
    ckpt = latest_checkpoint(out_dir)
    if ckpt is not None:
        resume = load_checkpoint(ckpt)
    init_model = init_optim = None
    init_hf = None
    if recipe.init and resume is None:
        init_model, init_optim, init_hf = _load_init(recipe.init, recipe.stage)
    elif recipe.stage in ("anneal", "sft1", "sft2") and resume is None:
        raise OpencoderError(f"stage {recipe.stage} starts from a model: pass --init (a run dir or an HF model dir)")
    tok_dir = Path(recipe.tokenizer) if recipe.tokenizer else (init_hf if recipe.stage.startswith("sft") else None)
    datasets, tok_dir = _sources(recipe, tok_dir)
    tok = load_tokenizer(tok_dir)
    vocab = recipe.vocab_size or spec.vocab
    if len(tok) > vocab:
        raise OpencoderError(
            f"tokenizer {tok_dir} has {len(tok)} tokens but model {recipe.model} a vocabulary of "
            f"{vocab}: train the tokenizer with --vocab-size <= {vocab} or set vocab_size"
        )
    for state in (init_model, resume[0] if resume else None):
        if state is not None and state["model.embed_tokens.weight"].shape[0] != vocab:
            raise OpencoderError(
                f"checkpoint vocabulary {state['model.embed_tokens.weight'].shape[0]} differs "
                f"from model {recipe.model}'s {vocab}"
            )
    loader = ResumableLoader(
        datasets,
        [s.weight for s in recipe.data],
        global_batch=recipe.global_batch,
        micro_batch=recipe.micro_batch,
        seed=recipe.seed,
        pad_id=tok.pad_token_id,
        rank=d.rank,
        world_size=d.world_size,
    )
    if recipe.max_steps:
        total = recipe.max_steps
    elif recipe.epochs:
        total = math.ceil(recipe.epochs * len(datasets[0]) / recipe.global_batch)
    else:
        raise OpencoderError("no run length: pass --max-steps or set max_steps (or epochs, for SFT) in the recipe")
    config = llama_config(spec, vocab)
    config.bos_token_id = config.eos_token_id = tok.eos_token_id
    config.pad_token_id = tok.pad_token_id
    return Prepared(tok, config, loader, total, resume, init_model, init_optim)


def _optimizer(model: torch.nn.Module, recipe: TrainRecipe, device: torch.device) -> torch.optim.Optimizer:
    """AdamW; matrices decay, norm gains do not (betas 0.9/0.95, wd 0.1, eps 1e-8 are our choice, not the paper's)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": recipe.weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=recipe.lr, betas=recipe.betas, eps=recipe.eps, fused=device.type == "cuda")


def _full_states(model, optimizer) -> tuple[dict, dict]:
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
        get_optimizer_state_dict,
    )

    opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(model, options=opts), get_optimizer_state_dict(model, optimizer, options=opts)


def _set_states(model, optimizer, model_state: dict | None, optim_state: dict | None) -> None:
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        set_model_state_dict,
        set_optimizer_state_dict,
    )

    opts = StateDictOptions(full_state_dict=True)
    if model_state is not None:
        set_model_state_dict(model, model_state, options=opts)
    if optim_state is not None:
        set_optimizer_state_dict(model, optimizer, optim_state, options=opts)


class MetricsLog:
    """``metrics.jsonl``: one line per logged step; on resume, lines past the checkpoint are dropped."""

    def __init__(self, path: Path, resume_step: int, enabled: bool):
        self.path, self.enabled = path, enabled
        if enabled and path.is_file():
            kept = [ln for ln in path.read_text().splitlines() if ln and json.loads(ln)["step"] <= resume_step]
            path.write_text("".join(f"{ln}\n" for ln in kept))
        elif enabled:
            path.write_text("")

    def write(self, record: dict) -> None:
        if self.enabled:
            with self.path.open("a") as fh:
                fh.write(json.dumps(record) + "\n")


def _micro_step(model, batch: dict, num_items: float, device: torch.device) -> torch.Tensor:
    """Forward and backward of one micro-batch; returns its share of the global-batch mean loss."""
    batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
    if bool(batch["attention_mask"].all()):
        del batch["attention_mask"]  # dense causal attention: lets SDPA take its fastest kernel
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
        loss = model(**batch, num_items_in_batch=num_items).loss
    loss.backward()
    return loss.detach()


def train(recipe: TrainRecipe, out_dir: str | Path, on_log: Callable[[dict], None] | None = None) -> dict:
    """Run (or resume) one training stage; writes checkpoints, ``metrics.jsonl`` and the HF export in ``out_dir``.

    ``on_log`` receives each metrics record on rank 0 (the CLI prints them). Returns the last record; a run found
    complete returns ``{"step": N, "already_complete": True}``.
    """
    out = Path(out_dir)
    d = parallel.setup()
    try:
        return _train(recipe, out, d, on_log if d.is_main else None)
    finally:
        parallel.teardown()


def _train(recipe: TrainRecipe, out: Path, d: parallel.Dist, on_log: Callable[[dict], None] | None) -> dict:
    prep = prepare(recipe, out, d)
    if d.is_main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "recipe.json").write_text(recipe.model_dump_json(indent=2))
    torch.manual_seed(recipe.seed)
    model = build_model(prep.config).to(d.device)
    start_step = 0
    optim_state = prep.init_optim
    model_state = prep.init_model
    if prep.resume is not None:
        model_state, trainer_state = prep.resume
        optim_state = trainer_state["optimizer"]
        start_step = trainer_state["step"]
        prep.loader.load_state_dict(trainer_state["loader"])
    model.train()
    model = parallel.wrap(model, d, recipe.parallel)
    optimizer = _optimizer(model, recipe, d.device)
    _set_states(model, optimizer, model_state, optim_state)
    if prep.resume is not None:
        set_rng_state(prep.resume[1]["rng"])
    del model_state, optim_state, prep.resume, prep.init_model, prep.init_optim

    flops_tok = flops_per_token(prep.config, recipe.seq_len)
    peak = recipe.peak_flops or (peak_flops(torch.cuda.get_device_name(d.device)) if d.device.type == "cuda" else None)
    log = MetricsLog(out / METRICS, start_step, d.is_main)
    sched = {
        "kind": recipe.schedule,
        "lr": recipe.lr,
        "total_steps": prep.total_steps,
        "warmup_steps": recipe.warmup_steps,
        "final_lr": recipe.final_lr,
        "decay_steps": recipe.decay_steps,
    }
    last: dict = {"step": start_step, "already_complete": True}  # replaced by the first step's record
    for step in range(start_step, prep.total_steps):
        t0 = time.perf_counter()
        lr = lr_at(step, **sched)
        for group in optimizer.param_groups:
            group["lr"] = lr
        micro = prep.loader.next_step()
        local_labels = sum(int((b["labels"][:, 1:] != IGNORE_INDEX).sum()) for b in micro)
        local_tokens = sum(int(b["attention_mask"].sum()) for b in micro)
        n_labels, n_tokens = parallel.all_reduce_sum([local_labels, local_tokens], d)
        per_rank_items = max(n_labels, 1) / d.world_size  # ranks' gradients are averaged: scale to the global mean
        loss_sum = torch.zeros((), device=d.device)
        for i, batch in enumerate(micro):
            with parallel.gradient_sync(model, i == len(micro) - 1):
                loss_sum += _micro_step(model, batch, per_rank_items, d.device)
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        done = step + 1
        if done % recipe.log_every == 0 or done == prep.total_steps:
            (loss,) = parallel.all_reduce_sum([float(loss_sum)], d)
            elapsed = time.perf_counter() - t0
            tps = n_tokens / elapsed
            last = {
                "step": done,
                "loss": loss / d.world_size,
                "lr": lr,
                "grad_norm": float(grad_norm.full_tensor() if hasattr(grad_norm, "full_tensor") else grad_norm),
                "tokens": int(n_tokens),
                "tokens_per_s": tps,
                "mfu": tps * flops_tok / (peak * d.world_size) if peak else None,
                "epoch": prep.loader.epochs_done(),
            }
            log.write(last)
            if on_log:
                on_log(last)
        if done % recipe.save_every == 0 or done == prep.total_steps:
            _save(model, optimizer, prep, recipe, out, done, d)
    _export(model, prep, out, d)
    return last


def _save(model, optimizer, prep: Prepared, recipe: TrainRecipe, out: Path, step: int, d: parallel.Dist) -> None:
    model_state, optim_state = _full_states(model, optimizer)
    if d.is_main:
        trainer_state = {
            "step": step,
            "optimizer": optim_state,
            "loader": prep.loader.state_dict(),
            "rng": rng_state(),
            "recipe": recipe.model_dump(mode="json"),
        }
        save_checkpoint(out, step, model_state, trainer_state, recipe.keep_checkpoints)
    parallel.barrier(d)


def _export(model, prep: Prepared, out: Path, d: parallel.Dist) -> None:
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if d.is_main:
        export_hf(state, prep.config, prep.tok, out / "hf")
    parallel.barrier(d)
