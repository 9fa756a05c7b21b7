"""The data of annealing and SFT phases: named sources that run on any machine, or the user's own files.

Named sources (a phase's ``source``):

- ``pool``: the variant's own pretraining data (its kept documents, tokenized); documents only.
- ``pool:functions``: instruction pairs built from the documented Python functions of the corpus's pool (the
  instruction: the signature and docstring; the answer: the function); a stand-in for broad instruction data.
- ``mbpp:train`` / ``mbpp:validation``: MBPP's training split (tasks 601-974) and validation split (511-600),
  bundled with the package: tested algorithmic problems and solutions, a stand-in for the paper's high-quality
  algorithmic and synthetic data. Neither split overlaps the tasks MBPP is evaluated on (10-509).

Anything else is a path: documents (JSONL/Parquet with a ``text`` field, or a source tree) for annealing, or
instruction files for SFT (``opencoder synth`` output, instruction/output or prompt/answer JSONL).
"""

from __future__ import annotations

import ast
import gzip
import json
import textwrap
from pathlib import Path
from typing import Literal

import pyarrow.parquet as pq

from opencoder.errors import OpencoderError
from opencoder.io.benchmark_files import MBPP_TRAIN_RANGE, MBPP_VALIDATION_RANGE, bundled_path

Kind = Literal["tokens", "sft"]
NAMED = ("pool", "pool:functions", "mbpp:train", "mbpp:validation")
FUNCTION_LINES = (3, 60)  # lines of a function kept as an instruction pair


def pairs(source: str, pool: Path) -> list[dict[str, str]]:
    """Instruction pairs ({id, instruction, output}) of a named source other than ``pool``."""
    if source == "pool:functions":
        return _function_pairs(pool)
    split = {"mbpp:train": MBPP_TRAIN_RANGE, "mbpp:validation": MBPP_VALIDATION_RANGE}.get(source)
    if split is None:
        raise OpencoderError(f"{source}: not a named source with instruction pairs")
    return _mbpp_pairs(split)


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
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
        tmp.replace(path)
    return path


def _documents(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Instruction pairs as annealing documents: the instruction as a docstring above the answer."""
    return [{"id": r["id"], "text": f'"""{r["instruction"]}"""\n\n{r["output"]}\n'} for r in rows]


def _mbpp_pairs(split: range) -> list[dict[str, str]]:
    rows = []
    with gzip.open(bundled_path("mbpp"), "rt", encoding="utf-8") as fh:
        for line in fh:
            task = json.loads(line)
            if task["task_id"] in split:
                tests = "\n".join(task["test_list"])
                rows.append(
                    {
                        "id": f"mbpp/{task['task_id']}",
                        "instruction": f"{task['text']}\nYour code should pass these tests:\n\n{tests}",
                        "output": task["code"].replace("\r\n", "\n").strip(),
                    }
                )
    return rows


def _function_pairs(pool: Path) -> list[dict[str, str]]:
    """One pair per documented top-level or method function of the pool's Python documents, in id order."""
    table = pq.read_table(pool, columns=["id", "text", "lang"])
    rows = []
    for doc_id, text, lang in zip(*(table.column(c).to_pylist() for c in ("id", "text", "lang")), strict=True):
        if lang != "python":
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            pair = _function_pair(node, text)
            if pair is not None:
                rows.append({"id": f"{doc_id}#{node.name}@{node.lineno}", **pair})  # type: ignore[attr-defined]
    return sorted(rows, key=lambda r: r["id"])


def _function_pair(node: ast.AST, text: str) -> dict[str, str] | None:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    doc = ast.get_docstring(node)
    lines = (node.end_lineno or node.lineno) - node.lineno + 1
    if not doc or len(doc) < 20 or not FUNCTION_LINES[0] <= lines <= FUNCTION_LINES[1]:
        return None
    source = ast.get_source_segment(text, node, padded=True)
    if source is None:
        return None
    source = textwrap.dedent(source)
    signature = f"{node.name}({ast.unparse(node.args)})"
    return {"instruction": f"Write a Python function `{signature}`.\n\n{doc}", "output": source}
