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
import pyarrow as pa
import pyarrow.parquet as pq

from opencoder.errors import OpencoderError
from opencoder.io.folders import describe_folder
from opencoder.io.readers import bounded_lines
from opencoder.io.settings import EngineSettings

# The engine's cap on one document: a training input over it is an error, found without holding the line whole.
MAX_DOC_BYTES: int = EngineSettings.model_fields["max_doc_bytes"].default

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


def _open_binary(path: Path) -> io.BufferedIOBase:
    """Lines stay bytes: orjson checks the UTF-8 of each line, so an undecodable one is named by its number."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.name.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.open(path, "rb"))  # its reader alone cannot iterate lines
    return path.open("rb")


def _string_columns(path: Path, schema: pa.Schema, columns: Sequence[str]) -> list[str]:
    """The ``columns`` the Parquet file has; one of another type than text is an error naming file and column."""
    present = [c for c in columns if c in schema.names]
    for name in present:
        kind = schema.field(name).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
            raise OpencoderError(f"{path}: column {name!r} holds {kind}, not text")
    return present


CHAT_FIELD = "messages"  # a chat's turns, as `opencoder synth` writes them: a list, not a string


def _text_fields(path: Path, lineno: int, obj: object, columns: Sequence[str]) -> dict:
    """The ``columns`` of one JSON line (missing ones as None); a line that is no object, or a field that is no
    string, is an error naming file, line and key: a number where text belongs is a broken input, not a document."""
    if not isinstance(obj, dict):
        raise OpencoderError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
    row = {c: obj.get(c) for c in columns}
    for key, value in row.items():
        kind, name = (list, "list") if key == CHAT_FIELD else (str, "string")
        if value is not None and not isinstance(value, kind):
            raise OpencoderError(f"{path}:{lineno}: {key!r} must be a {name}, got {type(value).__name__}")
    return row


# What a damaged file raises while it is read: truncated compression, I/O, a corrupt Parquet file.
_READ_ERRORS = (OSError, EOFError, pa.ArrowException)


def iter_records(
    path: Path, columns: Sequence[str], batch_size: int = 1024, max_doc_bytes: int | None = None
) -> Iterator[list[dict]]:
    """Batches of dicts holding the text ``columns`` (missing ones as None); bad JSON or UTF-8, a value that is not
    text, a row over ``max_doc_bytes`` or a damaged file names the file and line (Parquet: the column or row)."""
    read = _parquet_records if path.suffix == ".parquet" else _jsonl_records
    yield from read(path, columns, batch_size, max_doc_bytes or MAX_DOC_BYTES)


def _over_cap(where: str, size: int, cap: int) -> OpencoderError:
    return OpencoderError(f"{where}: a document of {size:,} bytes is over the {cap:,}-byte cap (--max-doc-bytes)")


def _check_size(where: str, row: dict, cap: int) -> dict:
    """``row`` unless its text fields together are over ``cap`` bytes of UTF-8 (an error naming ``where``)."""
    texts = [v for v in row.values() if isinstance(v, str)]
    if sum(map(len, texts)) * 4 > cap:  # only then can the UTF-8 be over the cap
        size = sum(len(v.encode("utf-8", "surrogatepass")) for v in texts)
        if size > cap:
            raise _over_cap(where, size, cap)
    return row


def _parquet_records(path: Path, columns: Sequence[str], batch_size: int, cap: int) -> Iterator[list[dict]]:
    try:
        pf = pq.ParquetFile(path)
        present = _string_columns(path, pf.schema_arrow, columns)
        row = 0
        for batch in pf.iter_batches(batch_size=batch_size, columns=present):
            rows = batch.to_pylist()
            yield [
                _check_size(f"{path}:row {row + i}", {c: r.get(c) for c in columns}, cap) for i, r in enumerate(rows)
            ]
            row += len(rows)
    except _READ_ERRORS as err:
        raise OpencoderError(f"{path}: cannot read ({err})") from None


def _jsonl_records(path: Path, columns: Sequence[str], batch_size: int, cap: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    lineno = 0
    try:
        with _open_binary(path) as fh:
            for lineno, (size, line) in enumerate(bounded_lines(fh, cap), 1):
                if line is None:
                    raise _over_cap(f"{path}:{lineno}", size, cap)
                if not line.strip():
                    continue
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError as err:
                    raise OpencoderError(f"{path}:{lineno}: invalid JSON ({err})") from None
                batch.append(_check_size(f"{path}:{lineno}", _text_fields(path, lineno, obj, columns), cap))
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
    except _READ_ERRORS as err:
        raise OpencoderError(f"{path}:{lineno + 1}: cannot read ({err})") from None
    if batch:
        yield batch


def iter_texts(files: Sequence[Path], batch_size: int = 1024, max_doc_bytes: int | None = None) -> Iterator[list[str]]:
    """Batches of non-empty ``text`` values; a file without a ``text`` column is an error naming it."""
    for path in files:
        seen_text = False
        for rows in iter_records(path, ["text"], batch_size, max_doc_bytes):
            texts = [r["text"] for r in rows if r["text"]]
            seen_text = seen_text or any(r["text"] is not None for r in rows)
            if texts:
                yield texts
        if not seen_text:
            raise OpencoderError(f"{path}: no 'text' column or no non-empty text")
