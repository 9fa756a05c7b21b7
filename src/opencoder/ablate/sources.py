"""The data of annealing and SFT phases: named sources that run on any machine, or the user's own files.

Named sources (a phase's ``source``):

- ``pool``: the variant's own pretraining data (its kept documents, tokenized); documents only.
- ``pool:functions``: instruction pairs built from the documented Python functions of the corpus's pool
  (train/instructions.py); a stand-in for broad instruction data.
- ``mbpp:train`` / ``mbpp:validation``: MBPP's training split (tasks 601-974) and validation split (511-600):
  tested algorithmic problems and solutions, a stand-in for the paper's high-quality algorithmic and synthetic data.

Anything else is a path: documents (JSONL/Parquet with a ``text`` field, or a source tree) for annealing, or
instruction files for SFT (``opencoder synth`` output, instruction/output or prompt/answer JSONL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from opencoder.errors import OpencoderError
from opencoder.io.benchmark_files import MBPP_TRAIN_RANGE, MBPP_VALIDATION_RANGE
from opencoder.io.writers import write_jsonl_atomic
from opencoder.train.instructions import function_pairs, mbpp_pairs

Kind = Literal["tokens", "sft"]
NAMED = ("pool", "pool:functions", "mbpp:train", "mbpp:validation")


def pairs(source: str, pool: Path) -> list[dict[str, str]]:
    """Instruction pairs ({id, instruction, output}) of a named source other than ``pool``."""
    if source == "pool:functions":
        return function_pairs(pool)
    split = {"mbpp:train": MBPP_TRAIN_RANGE, "mbpp:validation": MBPP_VALIDATION_RANGE}.get(source)
    if split is None:
        raise OpencoderError(f"{source}: not a named source with instruction pairs")
    return mbpp_pairs(split)


def materialise(source: str, kind: Kind, pool: Path, pool_tokens: Path, tok: Path, folder: Path) -> Path:
    """The path a training recipe reads for ``source``: a tokens directory (``kind='tokens'``, anneal) or an
    instruction file (``kind='sft'``). Named sources are built once under ``folder``; files are tokenized there."""
    from opencoder.train.packing import tokenize

    if source == "pool":
        if kind == "sft":
            raise OpencoderError("source pool: holds documents, not instruction pairs; an SFT phase cannot use it")
        return pool_tokens
    named = source in NAMED
    if not named and not Path(source).exists():
        raise OpencoderError(f"source {source}: neither a named source ({', '.join(NAMED)}) nor an existing path")
    target = folder / _slug(source)
    if kind == "sft":
        if not named:
            return Path(source)
        return _write_jsonl(target / "pairs.jsonl", pairs(source, pool))
    tokens = target / "tokens"
    if not (tokens / "meta.json").is_file():
        docs = _write_jsonl(target / "documents.jsonl", _documents(pairs(source, pool))) if named else Path(source)
        tokenize([docs], tok, tokens, processes=1)
    return tokens


def _slug(source: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in source).strip("_.")[:80]


def _write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    if not rows:
        raise OpencoderError(f"{path.parent.name}: the source has no rows")
    if not path.is_file():
        write_jsonl_atomic(path, rows)
    return path


def _documents(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Instruction pairs as annealing documents: the instruction as a docstring above the answer."""
    return [{"id": r["id"], "text": f'"""{r["instruction"]}"""\n\n{r["output"]}\n'} for r in rows]
