"""Read rows (a ``text`` column, or SFT fields) from Parquet and JSONL inputs, in a fixed order.

Inputs may be files or folders; a folder is read by the same rule as everywhere (``opencoder.io.folders``): one that
holds only data files (a refine ``RUN_DIR/kept``) is expanded to them in sorted order, so every run sees the documents
in the same sequence; a source tree is refused.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from opencoder.errors import OpencoderError
from opencoder.io.folders import describe_folder

_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz", ".jsonl.zst", ".json")


def _is_data_file(path: Path) -> bool:
    return path.name.endswith(_SUFFIXES)


def expand_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """Files as given plus the data files inside given directories (sorted); an input that yields none is an error."""
    files: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            folder = describe_folder(path)
            found = [p for p in folder.data_files if _is_data_file(p)]
            if folder.kind == "tree" or not found:
                why = folder.warning or f"{path}: a source tree (its files are not data files)"
                raise OpencoderError(f"{why}; expected a folder of .parquet or .jsonl files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise OpencoderError(f"{path}: no such file or directory")
    if not files:
        raise OpencoderError("no input files given")
    return files


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    if path.name.endswith(".zst"):
        import zstandard

        return io.TextIOWrapper(zstandard.open(path, "rb"), encoding="utf-8")
    return path.open(encoding="utf-8")


def iter_records(path: Path, columns: Sequence[str], batch_size: int = 1024) -> Iterator[list[dict]]:
    """Batches of dicts holding ``columns`` (missing ones as None); bad JSON names the file and line."""
    if path.suffix == ".parquet":
        pf = pq.ParquetFile(path)
        present = [c for c in columns if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=batch_size, columns=present):
            rows = batch.to_pylist()
            yield [{c: row.get(c) for c in columns} for row in rows]
        return
    batch: list[dict] = []
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                raise OpencoderError(f"{path}:{lineno}: invalid JSON ({err})") from None
            batch.append({c: obj.get(c) for c in columns})
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


def iter_texts(files: Sequence[Path], batch_size: int = 1024) -> Iterator[list[str]]:
    """Batches of non-empty ``text`` values; a file without a ``text`` column is an error naming it."""
    for path in files:
        seen_text = False
        for rows in iter_records(path, ["text"], batch_size):
            texts = [r["text"] for r in rows if r["text"]]
            seen_text = seen_text or any(r["text"] is not None for r in rows)
            if texts:
                yield texts
        if not seen_text:
            raise OpencoderError(f"{path}: no 'text' column or no non-empty text")
