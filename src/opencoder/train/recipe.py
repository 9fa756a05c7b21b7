"""Training recipes: the paper's settings per stage, overridden by the model preset, a YAML file and CLI flags.

Precedence, lowest first: stage defaults (SPEC §5.3-5.4) < the model's ``train_defaults`` < the recipe file < flags.
Unknown keys are errors that name the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opencoder.errors import OpencoderError
from opencoder.train.models import get_spec

Stage = Literal["pretrain", "anneal", "sft1", "sft2"]


class DataSource(BaseModel):
    """One source of the mixture: a tokens directory (pretrain/anneal) or SFT files, with its sampling weight."""

    model_config = ConfigDict(extra="forbid")
    path: str
    weight: float = Field(1.0, gt=0)


class TrainRecipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage
    model: str
    data: list[DataSource] = Field(default_factory=list)
    init: str | None = None  # checkpoint dir (ours or HF) to start from: anneal, sft1, sft2
    tokenizer: str | None = None  # SFT: defaults to the init checkpoint's tokenizer
    seq_len: int = Field(4096, gt=1)
    micro_batch: int = Field(4, gt=0)
    global_batch: int = Field(1024, gt=0)  # sequences per optimizer step, over all ranks and accumulation steps
    max_steps: int | None = Field(None, gt=0)
    epochs: float | None = Field(None, gt=0)  # SFT: stop after this many passes over the first source
    schedule: Literal["wsd", "exp", "cosine"] = "wsd"
    lr: float = Field(3e-4, gt=0)
    final_lr: float = Field(1e-5, ge=0)
    warmup_steps: int = Field(2000, ge=0)
    decay_steps: int = Field(0, ge=0)  # wsd only: exponential decay over the last steps of the same run
    betas: tuple[float, float] = (0.9, 0.95)  # our choice: the paper does not state optimizer settings
    eps: float = 1e-8
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 1234
    save_every: int = Field(1000, gt=0)
    keep_checkpoints: int = Field(2, gt=0)
    log_every: int = Field(1, gt=0)
    parallel: Literal["ddp", "fsdp"] = "ddp"
    packing: bool = False  # SFT: pack several examples into one sequence of seq_len
    peak_flops: float | None = None  # per device, for MFU where the device table has no entry (e.g. a CPU)
    vocab_size: int | None = None  # model vocabulary; defaults to the model spec's


STAGE_DEFAULTS: dict[str, dict] = {
    "pretrain": {"schedule": "wsd", "lr": 3e-4, "warmup_steps": 2000},
    "anneal": {"schedule": "exp", "lr": 3e-4, "final_lr": 1e-5, "warmup_steps": 0},
    "sft1": {"schedule": "cosine", "lr": 2e-5, "final_lr": 0.0, "warmup_steps": 100, "epochs": 1},
    "sft2": {"schedule": "cosine", "lr": 5e-5, "final_lr": 0.0, "warmup_steps": 100, "epochs": 3},
}


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise OpencoderError(f"{path}: cannot read recipe ({err})") from None
    if not isinstance(data, dict):
        raise OpencoderError(f"{path}: a recipe must be a mapping of keys to values")
    return data


def load_recipe(stage: str, recipe_file: str | Path | None = None, **overrides) -> TrainRecipe:
    """Merge defaults, model preset, recipe file and the non-None ``overrides``; errors name the bad key."""
    file_values = _load_yaml(Path(recipe_file)) if recipe_file else {}
    given = {k: v for k, v in overrides.items() if v is not None}
    if "stage" in file_values and file_values["stage"] != stage:
        raise OpencoderError(f"{recipe_file}: recipe is for stage {file_values['stage']!r}, not {stage!r}")
    model = given.get("model") or file_values.get("model")
    if not model:
        raise OpencoderError("no model given: pass --model or set `model:` in the recipe")
    spec = get_spec(model)
    merged = {**STAGE_DEFAULTS.get(stage, {}), **spec.train_defaults, **file_values, **given}
    merged.update(stage=stage, model=model)
    where = f"{recipe_file}: " if recipe_file else ""
    try:
        recipe = TrainRecipe(**merged)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise OpencoderError(f"{where}invalid recipe ({problems})") from None
    if recipe.seq_len > spec.context:
        raise OpencoderError(
            f"{where}invalid recipe (seq_len: {recipe.seq_len} exceeds model {model}'s context of {spec.context})"
        )
    return recipe
