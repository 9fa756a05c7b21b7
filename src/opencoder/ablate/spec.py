"""The ablation file: a corpus, shared training settings and named variants, validated before any work."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from opencoder.errors import OpencoderError


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


class PhaseSource(BaseModel):
    """One source of a phase's mixture: a named source (ablate/sources.py) or a file, with its sampling weight."""

    model_config = ConfigDict(extra="forbid")

    source: str
    weight: float = Field(1.0, gt=0)


class PhaseSpec(BaseModel):
    """A training stage after pretraining, started from the model the variant has so far (SPEC §7.2, §7.4)."""

    model_config = ConfigDict(extra="forbid")

    stage: Literal["anneal", "sft1", "sft2"]
    data: list[PhaseSource] = Field(min_length=1)
    train: dict[str, Any] = Field(default_factory=dict)  # training recipe keys of this phase (max_steps, lr, ...)


class VariantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.+-]+$")
    stages: list[dict[str, Any]] = Field(default_factory=list)  # refine stages run over the pool
    train: dict[str, Any] = Field(default_factory=dict)  # pretraining recipe overrides for this variant only
    phases: list[PhaseSpec] = Field(default_factory=list)  # anneal / SFT stages after pretraining, in order


class AblationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    seed: int = 42
    corpus: CorpusSpec = Field(default_factory=CorpusSpec)
    validation_share: float = Field(0.05, gt=0, lt=1)
    validation_windows: int = Field(256, ge=1)  # sequence-length windows of the validation set evaluated
    task_validation: str | None = None  # instruction pairs (a source) whose answers every checkpoint is scored on
    task_max_tokens: int = Field(256, ge=8)  # prompt + answer tokens of one task example, at most
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
