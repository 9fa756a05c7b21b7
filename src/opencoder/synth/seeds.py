"""Seeds for synthesis: documents read from JSONL(.gz) or Parquet files, or folders of them (a refine run's
``kept/``, a recall run's output). Each seed has a stable id (its ``id`` column, else ``FILE:LINE``) so that a
resumed run knows which seeds it has already finished."""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from opencoder.errors import OpencoderError

TEXT_FIELDS = ("text", "content", "code")  # the first one present is the seed's text
META_FIELDS = ("lang", "path", "repo", "url", "source")
_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".parquet")


@dataclass(frozen=True)
class Seed:
    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


def seed_files(inputs: Sequence[str | Path]) -> list[Path]:
    """The given files, plus the data files inside given folders in sorted order."""
    files: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))
            if not found:
                raise OpencoderError(f"{path}: the folder holds no .jsonl, .jsonl.gz or .parquet files")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise OpencoderError(f"{path}: no such file or folder")
    return files


def _rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, row) for every row of a file; `where` names the file and line (or row) for errors and ids."""
    if path.suffix == ".parquet":
        offset = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            for i, row in enumerate(batch.to_pylist()):
                yield f"{path.name}:{offset + i + 1}", row
            offset += batch.num_rows
        return
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                raise OpencoderError(f"{path}:{lineno}: invalid JSON ({err})") from None
            if not isinstance(row, dict):
                raise OpencoderError(f"{path}:{lineno}: expected a JSON object")
            yield f"{path.name}:{lineno}", row


def read_seeds(inputs: Sequence[str | Path], limit: int | None = None) -> list[Seed]:
    """The first `limit` seeds (all without a limit) of the inputs, in order; ids must be unique."""
    seeds: list[Seed] = []
    seen: dict[str, str] = {}
    for path in seed_files(inputs):
        for where, row in _rows(path):
            if limit is not None and len(seeds) >= limit:
                return seeds
            text = next((row[k] for k in TEXT_FIELDS if isinstance(row.get(k), str)), None)
            if text is None:
                raise OpencoderError(f"{path.parent / where}: no text field (one of {', '.join(TEXT_FIELDS)})")
            seed_id = str(row["id"]) if row.get("id") is not None else where
            if seed_id in seen:
                raise OpencoderError(f"{path.parent / where}: seed id {seed_id!r} repeats {seen[seed_id]}")
            seen[seed_id] = str(path.parent / where)
            seeds.append(Seed(seed_id, text, {k: row[k] for k in META_FIELDS if row.get(k) is not None}))
    return seeds
