"""Input readers: directory trees, JSONL (.jsonl, .jsonl.gz, .jsonl.zst), Parquet and HF ``save_to_disk``
datasets.

``plan_inputs`` cuts the inputs into shards (one task each) in a fixed order, so a rerun makes the same
plan. ``read_shard`` yields bounded batches: a table of documents (READ_SCHEMA: the document fields, with
the raw bytes in ``content`` instead of ``text``) and a table of documents that could not be read
(REMOVED_SCHEMA, reason ``read_error``). With ``on_error="fail"`` the first read problem raises an
OpencoderError naming file and line."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import stat
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import zstandard

from opencoder.errors import OpencoderError
from opencoder.io.folders import JSONL_SUFFIXES, SKIPPED_DIRS, describe_folder, is_hf_dataset
from opencoder.io.schema import DOC_SCHEMA, REMOVED_SCHEMA
from opencoder.io.settings import Columns, EngineSettings
from opencoder.io.store import AnyPath, ObjectPath, is_url, location, mtime_ns, open_input
from opencoder.io.tables import make_removed, validity_bitmap
from opencoder.kernels import compiled_or

OnError = Literal["fail", "skip"]
Kind = Literal["tree", "jsonl", "parquet", "arrow"]

_treeread = compiled_or("opencoder.io._treeread", "opencoder.io.treeread")

READ_SCHEMA = pa.schema([f for f in DOC_SCHEMA if f.name != "text"] + [pa.field("content", pa.large_binary())])


class InputSpec(NamedTuple):
    """One input: a path, an optional label (a tree's id prefix) and, for trees, an optional list of files
    (relative POSIX paths) to read instead of walking the tree, e.g. a sampled default corpus, with their
    sizes if the lister knows them (tasks are then cut by bytes as well as by count). A listed file that is
    gone by the time it is read is recorded as a read error."""

    path: str
    label: str | None = None
    files: Sequence[str] | None = None
    sizes: Sequence[int] | None = None


@dataclass(frozen=True)
class Shard:
    """One task's input: a slice of a directory tree, or one JSONL, Parquet or Arrow file."""

    task: str
    kind: Kind
    source: str  # the tree root or the file
    label: str  # the tree's label, the first part of its documents' ids
    files: tuple[str, ...] = ()  # tree only: paths relative to the root
    # tree only: entries that are not read but recorded as read errors, (relative path, why): FIFOs, sockets and
    # devices (never opened: opening one may block or act), symlink loops, unreadable folders
    unread: tuple[tuple[str, str], ...] = ()


@dataclass
class Plan:
    shards: list[Shard]
    inputs: list[dict[str, Any]] = field(default_factory=list)  # fingerprints, for the manifest
    warnings: list[str] = field(default_factory=list)  # doubtful inputs (docs/engine.md, Inputs)

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.inputs, sort_keys=True).encode()).hexdigest()


@dataclass
class Batch:
    docs: pa.Table  # READ_SCHEMA
    errors: pa.Table  # REMOVED_SCHEMA rows with reason read_error


# ------------------------------------------------------------------------------------------------ planning


def _file_kind(path: AnyPath) -> Kind:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".arrow"):
        return "arrow"
    raise OpencoderError(f"{path}: unknown input format (expected a directory, .jsonl[.gz|.zst], .parquet, .arrow)")


_SPECIAL = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _special(mode: int) -> str | None:
    """Why a file of this mode is not read (it is not a regular file), or None."""
    return None if stat.S_ISREG(mode) else f"not a regular file ({_SPECIAL.get(stat.S_IFMT(mode), 'unknown type')})"


class Entry(NamedTuple):
    """One file of a walked tree; ``unread`` says why it is recorded as a read error without being opened."""

    rel: str
    size: int
    mtime_ns: int
    unread: str | None = None


def _walk(root: Path, rel: str = "") -> Iterator[Entry]:
    """Every non-directory entry of a tree, sorted, symlinked dirs not followed. Entries that cannot be read
    (special files, symlink loops, unreadable folders) come with why, and are never opened."""
    try:
        with os.scandir(root / rel if rel else root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as err:
        if not rel:
            raise OpencoderError(f"{root}: cannot list: {err.strerror or err}") from None
        yield Entry(rel, 0, 0, f"cannot list folder: {err.strerror or err}")
        return
    for e in entries:
        path = f"{rel}/{e.name}" if rel else e.name
        try:
            if e.is_dir(follow_symlinks=False):
                if e.name not in SKIPPED_DIRS:
                    yield from _walk(root, path)
                continue
            st = e.stat()  # a symlink's target
        except FileNotFoundError:
            yield Entry(path, 0, 0)  # dangling symlink (or gone): planned, reported as read_error when read
            continue
        except OSError as err:  # a symlink loop (ELOOP), no permission to stat
            yield Entry(path, 0, 0, err.strerror or str(err))
            continue
        if stat.S_ISDIR(st.st_mode):
            continue  # a symlink to a directory: not followed (it would loop or duplicate a tree)
        yield Entry(path, st.st_size, st.st_mtime_ns, _special(st.st_mode))


def _walk_objects(root: ObjectPath) -> Iterator[Entry]:
    """Every object under a prefix, as ``_walk`` gives a local tree's files (VCS folders skipped)."""
    try:
        for rel, info in root.files():
            if not SKIPPED_DIRS.intersection(rel.split("/")[:-1]):
                yield Entry(rel, int(info.get("size") or 0), mtime_ns(info))
    except OSError as err:
        raise OpencoderError(f"{root}: cannot list: {err}") from None


def _hf_arrow_files(root: AnyPath) -> list[AnyPath]:
    if (root / "dataset_dict.json").is_file():
        splits = json.loads((root / "dataset_dict.json").read_text())["splits"]
        return [f for split in splits for f in _hf_arrow_files(root / split)]
    state = json.loads((root / "state.json").read_text())
    return [root / f["filename"] for f in state["_data_files"]]


def _file_print(path: AnyPath) -> dict[str, Any]:
    if isinstance(path, ObjectPath):
        info = path.info()
        return {"path": str(path), "size": info.get("size"), "mtime_ns": mtime_ns(info)}
    st = path.stat()
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _input_mode(raw: str, path: AnyPath) -> int:
    """The input's file type (``stat`` mode bits; an object is a regular file, a key prefix a folder)."""
    try:
        if isinstance(path, ObjectPath):
            return stat.S_IFDIR if path.info().get("type") == "directory" else stat.S_IFREG
        return path.stat().st_mode
    except FileNotFoundError as err:
        why = f" ({err})" if isinstance(path, ObjectPath) and str(err) != path.path else ""
        raise OpencoderError(f"{raw}: no such file or directory{why}") from None
    except OSError as err:  # a symlink loop, no permission, a store that refuses
        raise OpencoderError(f"{raw}: cannot read: {err.strerror or err}") from None


def _input_kind(raw: str, path: AnyPath, warnings: list[str]) -> tuple[Kind, list[AnyPath]]:
    """An input's kind and, for a folder read as a data set, its data files (docs/engine.md, Inputs)."""
    mode = _input_mode(raw, path)
    if stat.S_ISDIR(mode):
        if is_hf_dataset(path):
            return "arrow", []
        folder = describe_folder(path)
        if folder.warning:
            warnings.append(folder.warning)
        if folder.kind == "tree":
            return "tree", []
        return _file_kind(folder.data_files[0]), list(folder.data_files)  # each file planned by its own kind
    why = _special(mode)
    if why is not None:
        raise OpencoderError(f"{raw}: {why}; give a regular file or a folder")
    return _file_kind(path), []


def plan_inputs(inputs: Sequence[InputSpec | tuple[Any, ...]], settings: EngineSettings) -> Plan:
    """Shards for ``inputs`` (InputSpecs or (path, label) pairs) in a fixed order, plus input fingerprints."""
    shards: list[Shard] = []
    prints: list[dict[str, Any]] = []
    labels: set[str] = set()
    warnings: list[str] = []
    given: dict[str, str] = {}  # resolved path -> the input that reads it: none is read twice

    def once(raw: str, paths: Sequence[AnyPath]) -> None:
        for p in paths:
            real = str(p) if isinstance(p, ObjectPath) else os.path.realpath(p)
            if real in given:
                how = "given twice" if given[real] == raw else f"also read through {given[real]}"
                raise OpencoderError(f"{raw}: {p} would be read twice ({how}); give each input once")
            given[real] = raw

    def add(kind: Kind, source: str, label: str, files: tuple[str, ...] = (), unread: tuple = ()) -> None:
        shards.append(Shard(f"t{len(shards):05d}", kind, source, label, files, unread))

    for item in inputs:
        raw, label, listed, sizes = InputSpec(*item)
        path = location(raw)
        kind, data_files = _input_kind(raw, path, warnings) if listed is None else ("tree", [])
        if listed is None:
            once(raw, data_files or [path])
        label = label or path.name or str(path)
        base, n = label, 1
        while label in labels:  # two trees called "src": ids stay unique
            n += 1
            label = f"{base}-{n}"
        labels.add(label)
        if kind == "tree":
            # A given file list is taken as is (its lister already looked at the files): no stat per file,
            # tasks cut by the listed sizes (else by count), the fingerprint is the list. A walked tree is
            # fingerprinted by size and mtime.
            if listed is None:
                entries = list(_walk_objects(path) if isinstance(path, ObjectPath) else _walk(path))
            else:
                entries = [Entry(rel, s, 0) for rel, s in zip(listed, sizes or [0] * len(listed), strict=True)]
            digest = hashlib.sha256("\n".join(f"{e.rel}\0{e.size}\0{e.mtime_ns}" for e in entries).encode()).hexdigest()
            prints.append(
                {
                    "path": str(path),
                    "kind": kind,
                    "label": label,
                    "files": len(entries),
                    "bytes": None if listed is not None else sum(e.size for e in entries),
                    "listing_sha256": digest,
                }
            )
            chunk: list[str] = []
            unread: list[tuple[str, str]] = []
            size = 0
            for e in entries:
                if e.unread is not None:
                    unread.append((e.rel, e.unread))
                    continue
                if chunk and (len(chunk) >= settings.task_files or size + e.size > settings.task_bytes):
                    add(kind, str(path), label, tuple(chunk), tuple(unread))
                    chunk, unread, size = [], [], 0
                chunk.append(e.rel)
                size += e.size
            if chunk or unread:
                add(kind, str(path), label, tuple(chunk), tuple(unread))
        elif data_files:
            for f in data_files:
                prints.append({**_file_print(f), "kind": _file_kind(f)})
                add(_file_kind(f), str(f), f"{label}/{f.relative_to(path).as_posix()}")
        elif kind == "arrow" and path.is_dir():
            for f in _hf_arrow_files(path):
                prints.append({**_file_print(f), "kind": kind})
                add(kind, str(f), label)
        else:
            prints.append({**_file_print(path), "kind": kind})
            add(kind, str(path), label)
    return Plan(shards, prints, warnings)


# ------------------------------------------------------------------------------------------------- conversion


def to_timestamp(value: Any) -> datetime | None:
    """A commit time from an ISO string, epoch seconds or a datetime; naive times are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    elif isinstance(value, str):
        dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    else:
        raise ValueError(f"not a time: {value!r}")
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _to_stars(value: Any) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"stars is not an integer: {value!r}")


def _docs_table(cols: dict[str, list[Any] | pa.Array]) -> pa.Table:
    n = len(cols["id"])
    arrays = [_as_array(cols.get(f.name), f.type, n) for f in READ_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=READ_SCHEMA)


def _as_array(value: list[Any] | pa.Array | None, type_: pa.DataType, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, type_)
    return value if isinstance(value, pa.Array) else pa.array(value, type_)


def _errors_table(rows: list[tuple[str, str | None, str, str]]) -> pa.Table:
    """Removed rows for documents that could not be read: (id, path, source, detail)."""
    if not rows:
        return REMOVED_SCHEMA.empty_table()
    ids, paths, sources, details = (list(c) for c in zip(*rows, strict=True))
    base = pa.table({"id": ids, "path": paths, "source": sources})
    return make_removed(base, "read", "read_error", detail=details)


class _Fail:
    """Applies the on-error policy: raise at once, or collect a removed row."""

    def __init__(self, on_error: OnError) -> None:
        self.on_error = on_error
        self.rows: list[tuple[str, str | None, str, str]] = []

    def __call__(
        self,
        where: str,
        message: str,
        *,
        doc_id: str | None = None,
        path: str | None = None,
        source: str = "",
    ) -> None:
        if self.on_error == "fail":
            raise OpencoderError(f"{where}: {message}")
        self.rows.append((doc_id or where, path, source, message))

    def take(self) -> pa.Table:
        table, self.rows = _errors_table(self.rows), []
        return table


# --------------------------------------------------------------------------------------------------- readers


class Contents:
    """Files read straight into one growing buffer that becomes a batch's ``content`` column as it is: building
    the column from one bytes object per file would copy every byte once more. The loop over the files is
    compiled (``io/_treeread.c``): a Python call per file cost a quarter as much as the syscalls themselves. Where it
    is not built, its plain-Python twin (``io/treeread.py``) reads the same bytes."""

    def __init__(self, capacity: int, slots: int) -> None:
        self.data = np.empty(capacity, dtype=np.uint8)  # untouched pages cost nothing
        self.used = 0
        self.n = 0  # files so far: at most ``slots``
        self.ends = np.empty(slots, dtype=np.int64)
        self.sizes = np.empty(slots, dtype=np.int64)
        self.valid = np.empty(slots, dtype=np.uint8)

    def read(
        self, prefix: bytes, rels: list[str], start: int, stop: int, max_bytes: int | None, stop_bytes: int
    ) -> tuple[int, int]:
        """Append the files ``prefix + rels[i]`` for i from ``start`` on (files over ``max_bytes`` as nulls, not
        read), to their ends whatever their size said, until ``stop`` or until ``stop_bytes`` are held. Returns
        (the first file not read, -1), or (a file that failed, its errno; 0 when it is not a regular file)."""
        while True:
            index, self.used, status, code = _treeread.read_files(
                prefix, rels, start, stop, self.data, self.used, self.ends, self.sizes, self.valid, self.n,
                -1 if max_bytes is None else max_bytes, stop_bytes,
            )  # fmt: skip
            self.n += index - start
            if status == _treeread.FAILED:
                return index, code
            if status == _treeread.DONE:
                return index, -1
            grown = np.empty(max(2 * len(self.data), code), dtype=np.uint8)
            memoryview(grown)[: self.used] = memoryview(self.data)[: self.used]
            self.data, start = grown, index

    def array(self) -> pa.Array:
        """The values as a large binary array over this buffer (no copy)."""
        offsets = np.zeros(self.n + 1, dtype=np.int64)
        offsets[1:] = self.ends[: self.n]
        bits = validity_bitmap(self.valid[: self.n].astype(bool))
        data = pa.py_buffer(self.data[: self.used])
        return pa.Array.from_buffers(pa.large_binary(), self.n, [bits, pa.py_buffer(offsets), data])


def _repo(label: str, rel: str, depth: int) -> str:
    """The repository of a tree file: the label plus the first ``depth`` folders (files above them: the label)."""
    parts = rel.split("/", depth)
    return f"{label}/{'/'.join(parts[:depth])}" if depth and len(parts) > depth else label


def _read_tree(
    shard: Shard, settings: EngineSettings, fail: _Fail, repo_depth: int, max_bytes: int | None
) -> Iterator[Batch]:
    prefix = shard.source.rstrip("/") + "/"
    label = shard.label
    capacity = settings.batch_bytes + (max_bytes or 0)  # a batch ends once past batch_bytes: room for one more file
    files = list(shard.files)
    rels: list[str] = []
    contents = Contents(capacity, settings.batch_docs)

    def flush() -> Batch:
        nonlocal rels, contents
        cols = {
            "id": [f"{label}/{r}" for r in rels],
            "path": rels,
            "repo": [_repo(label, r, repo_depth) for r in rels],
            "size": pa.array(contents.sizes[: contents.n]),
            "source": [shard.source] * len(rels),
            "content": contents.array(),
        }
        batch = Batch(_docs_table(cols), fail.take())
        rels, contents = [], Contents(capacity, settings.batch_docs)
        return batch

    for rel, why in shard.unread:  # recorded without opening
        fail(prefix + rel, why, doc_id=f"{label}/{rel}", path=rel, source=shard.source)
    if is_url(prefix):
        yield from _read_objects(shard, settings, fail, repo_depth, max_bytes)
        return
    encoded, i = os.fsencode(prefix), 0
    while i < len(files):
        stop = min(len(files), i + settings.batch_docs - contents.n)
        j, errno = contents.read(encoded, files, i, stop, max_bytes, settings.batch_bytes)
        rels += files[i:j]
        if errno >= 0:
            rel = files[j]
            message = os.strerror(errno) if errno else "not a regular file"
            fail(prefix + rel, message, doc_id=f"{label}/{rel}", path=rel, source=shard.source)
            j += 1
        i = j
        if contents.n >= settings.batch_docs or contents.used >= settings.batch_bytes:
            yield flush()
    if rels or fail.rows:
        yield flush()


def _read_objects(
    shard: Shard, settings: EngineSettings, fail: _Fail, repo_depth: int, max_bytes: int | None
) -> Iterator[Batch]:
    """A tree slice under a URL prefix: objects fetched a batch at a time (fsspec fetches them concurrently).
    Unlike a local tree, an object over ``max_bytes`` is fetched before it is set aside (its content null)."""
    root = shard.source.rstrip("/")
    where = location(root)
    fs, base = where.fs, where.path
    files = list(shard.files)
    for start in range(0, len(files), settings.batch_docs):
        rels = files[start : start + settings.batch_docs]
        got = fs.cat([f"{base}/{r}" for r in rels], on_error="return")
        keep, content, size = [], [], []
        for rel in rels:
            value = got.get(f"{base}/{rel}")
            if not isinstance(value, bytes):
                fail(f"{root}/{rel}", f"cannot read: {value}", doc_id=f"{shard.label}/{rel}", path=rel, source=root)
                continue
            keep.append(rel)
            content.append(value if max_bytes is None or len(value) <= max_bytes else None)
            size.append(len(value))
        cols = {
            "id": [f"{shard.label}/{r}" for r in keep],
            "path": keep,
            "repo": [_repo(shard.label, r, repo_depth) for r in keep],
            "size": size,
            "source": [shard.source] * len(keep),
            "content": content,
        }
        yield Batch(_docs_table(cols), fail.take())
    if fail.rows:
        yield Batch(READ_SCHEMA.empty_table(), fail.take())


def open_text_lines(path: str) -> io.BufferedReader | gzip.GzipFile | Any:
    lower = path.lower()
    if lower.endswith(".gz"):
        return gzip.open(open_input(path), "rb")
    if lower.endswith(".zst"):
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open_input(path), closefd=True))
    return open_input(path)


def _record_fields(rec: Any, columns: Columns, source: str, lineno: int) -> dict[str, Any]:
    """The document fields of one JSON record; ValueError says what is wrong with it."""
    if not isinstance(rec, dict):
        raise ValueError(f"expected a JSON object, got {type(rec).__name__}")
    # ``instruction+output``: several fields, joined by a blank line; a chat list is flattened by ``chat_text``
    parts = [rec.get(name) for name in columns.text.split("+")]
    parts = [chat_text(p) if isinstance(p, list) else p for p in parts]
    if not all(isinstance(p, str) for p in parts):
        raise ValueError(f"field {columns.text!r} is missing or not a string (or a chat list of messages)")
    text = "\n\n".join(parts)
    raw_id = rec.get(columns.id) if columns.id else None
    content = text.encode("utf-8", "surrogatepass")
    return {
        "id": str(raw_id) if raw_id is not None else f"{source}:{lineno}",
        "path": _opt_str(rec, columns.path),
        "repo": _opt_str(rec, columns.repo),
        "lang": _opt_str(rec, columns.lang),
        "stars": _to_stars(rec.get(columns.stars)) if columns.stars else None,
        "commit_time": to_timestamp(rec.get(columns.commit_time)) if columns.commit_time else None,
        "size": len(content),
        "source": source,
        "content": content,
    }


def chat_text(messages: list[Any]) -> str:
    """A chat (``[{"role", "content"}, ...]``, the SFT ``messages`` format) as one text: the contents joined by
    blank lines, roles left out: every word a benchmark could leak through, with no template tokens between."""
    parts = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise ValueError(f"message {i} has no string 'content'")
        parts.append(content)
    return "\n\n".join(parts)


def _opt_str(rec: dict[str, Any], key: str | None) -> str | None:
    value = rec.get(key) if key else None
    return None if value is None else str(value)


def bounded_lines(fh: Any, max_bytes: int | None) -> Iterator[tuple[int, bytes | None]]:
    """(length, line) of each JSONL line, the line None when it is longer than 6 times ``max_bytes`` (JSON escapes
    at most 6 bytes per text byte, so its text is over the cap): such a line is skipped in chunks, never held
    whole, so memory stays bounded whatever a file looks like."""
    limit = None if max_bytes is None else 6 * max_bytes + 65536
    if limit is None:
        yield from ((len(line), line) for line in fh)
        return
    while line := fh.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield len(line), line
            continue
        n = len(line)
        while not line.endswith(b"\n") and (line := fh.readline(1 << 20)):
            n += len(line)
        yield n, None


def _too_large(source: str, lineno: int, n: int) -> dict[str, Any]:
    """A record whose line was not read: content null, so that the decoder removes it as too_large."""
    return {"id": f"{source}:{lineno}", "size": n, "source": source, "content": None}


def _read_jsonl(
    shard: Shard, columns: Columns, settings: EngineSettings, fail: _Fail, max_bytes: int | None
) -> Iterator[Batch]:
    source = shard.source
    names = ("id", "path", "repo", "lang", "stars", "commit_time", "size", "source", "content")
    cols: dict[str, list[Any]] = {k: [] for k in names}
    nbytes = 0
    lineno = 0

    def flush() -> Batch:
        nonlocal cols, nbytes
        batch = Batch(_docs_table(cols), fail.take())
        cols, nbytes = {k: [] for k in names}, 0
        return batch

    try:
        with open_text_lines(source) as fh:
            for lineno, (n, line) in enumerate(bounded_lines(fh, max_bytes), 1):
                if line is None:
                    fields = _too_large(source, lineno, n)
                elif not line.strip():
                    continue
                else:
                    try:
                        fields = _record_fields(orjson.loads(line), columns, source, lineno)
                    except (orjson.JSONDecodeError, ValueError, TypeError, OverflowError) as err:
                        fail(f"{source}:{lineno}", str(err).split("\n")[0], source=source)
                        continue
                    if max_bytes is not None and fields["size"] > max_bytes:
                        fields["content"] = None
                for k in names:
                    cols[k].append(fields.get(k))
                nbytes += n
                if len(cols["id"]) >= settings.batch_docs or nbytes >= settings.batch_bytes:
                    yield flush()
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as err:
        fail(f"{source}:{lineno + 1}", f"cannot read: {err}", source=source)
    if cols["id"] or fail.rows:
        yield flush()


def _columnar_docs(table: pa.Table, columns: Columns, source: str, start: int) -> pa.Table:
    """Map an input table's columns onto READ_SCHEMA; ids default to ``source:row``."""
    n = table.num_rows
    have = set(table.column_names)
    names = columns.text.split("+")
    if not set(names) <= have:
        raise ValueError(f"no text column {columns.text!r} (columns: {', '.join(table.column_names)})")

    def col(key: str | None) -> pa.ChunkedArray | None:
        return table.column(key) if key and key in have else None

    parts = []
    for name in names:
        part = table.column(name)
        if pa.types.is_list(part.type) or pa.types.is_large_list(part.type):
            part = pa.array([None if m is None else chat_text(m) for m in part.to_pylist()], pa.large_string())
        parts.append(part.cast(pa.large_string()))
    text = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, pa.scalar("\n\n", pa.large_string()))
    content = text.cast(pa.large_string()).cast(pa.large_binary())
    ids = col(columns.id)
    out: dict[str, Any] = {
        "id": ids.cast(pa.string()) if ids is not None else pa.array([f"{source}:{start + i}" for i in range(n)]),
        "content": content,
        "size": pc.binary_length(content).cast(pa.int64()),
        "source": pa.array([source] * n, pa.string()),
    }
    for key in ("path", "repo", "lang"):
        c = col(getattr(columns, key))
        if c is not None:
            out[key] = c.cast(pa.string())
    stars = col(columns.stars)
    if stars is not None:
        out["stars"] = stars.cast(pa.int64())
    times = col(columns.commit_time)
    if times is not None:
        if pa.types.is_timestamp(times.type):
            out["commit_time"] = times.cast(pa.timestamp("us", tz="UTC"))
        else:
            out["commit_time"] = pa.array([to_timestamp(v) for v in times.to_pylist()], pa.timestamp("us", "UTC"))
    arrays = [out[f.name] if f.name in out else pa.nulls(n, f.type) for f in READ_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=READ_SCHEMA)


def _random_access(source: str) -> pa.NativeFile:
    """A file pyarrow reads by ranges: memory-mapped when local, through fsspec at a URL."""
    if is_url(source):
        return pa.PythonFile(open_input(source), mode="r")
    return pa.memory_map(source)


def parquet_file(source: str) -> pq.ParquetFile:
    """A Parquet file opened for reading by row groups: by its path when local, by ranges through fsspec at a URL."""
    return pq.ParquetFile(_random_access(source) if is_url(source) else source)


def iter_arrow(shard: Shard, settings: EngineSettings) -> Iterator[pa.RecordBatch]:
    with _random_access(shard.source) as source:
        try:
            reader = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            source.seek(0)
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield from pa.Table.from_batches([reader.get_batch(i)]).to_batches(settings.batch_docs)
            return
        for rb in reader:
            yield from pa.Table.from_batches([rb]).to_batches(settings.batch_docs)


def _capped(docs: pa.Table, max_bytes: int | None) -> pa.Table:
    """Content over the cap made null (its size kept): the decoder removes such documents as too_large."""
    if max_bytes is None or not docs.num_rows:
        return docs
    big = pc.fill_null(pc.greater(docs.column("size"), max_bytes), False)
    if not pc.any(big).as_py():
        return docs
    i = docs.schema.get_field_index("content")
    content = pc.if_else(big, pa.scalar(None, pa.large_binary()), docs.column(i))
    return docs.set_column(i, docs.field(i), content)


def _read_parquet(
    shard: Shard, columns: Columns, settings: EngineSettings, fail: _Fail, max_bytes: int | None
) -> Iterator[Batch]:
    """A Parquet file row group by row group: the rows of a row group that cannot be read (from the first that
    failed to its end, as its metadata counts them) are one read error each, and the other row groups are read."""
    source = shard.source
    try:
        pf = parquet_file(source)
        if not set(columns.text.split("+")) <= set(pf.schema_arrow.names):
            raise ValueError(f"no text column {columns.text!r} (columns: {', '.join(pf.schema_arrow.names)})")
    except (OSError, pa.ArrowException, ValueError) as err:  # no footer, no schema: nothing can be read
        fail(f"{source}:row 0", f"cannot read: {str(err).splitlines()[0]}", source=source)
        yield Batch(READ_SCHEMA.empty_table(), fail.take())
        return
    row = 0
    for group in range(pf.metadata.num_row_groups):
        group_rows = pf.metadata.row_group(group).num_rows
        done = 0
        try:
            for rb in pf.iter_batches(batch_size=settings.batch_docs, row_groups=[group]):
                docs = _capped(_columnar_docs(pa.Table.from_batches([rb]), columns, source, row + done), max_bytes)
                done += rb.num_rows
                yield Batch(docs, fail.take())
        except (OSError, pa.ArrowException, ValueError) as err:
            message = f"cannot read row group {group}: {str(err).splitlines()[0]}"
            for r in range(row + done, row + group_rows):
                fail(f"{source}:row {r}", message, doc_id=f"{source}:{r}", source=source)
            yield Batch(READ_SCHEMA.empty_table(), fail.take())
        row += group_rows


def _read_columnar(
    shard: Shard, columns: Columns, settings: EngineSettings, fail: _Fail, max_bytes: int | None
) -> Iterator[Batch]:
    if shard.kind == "parquet":
        yield from _read_parquet(shard, columns, settings, fail, max_bytes)
        return
    row = 0
    try:
        for rb in iter_arrow(shard, settings):
            docs = _capped(_columnar_docs(pa.Table.from_batches([rb]), columns, shard.source, row), max_bytes)
            row += rb.num_rows
            yield Batch(docs, fail.take())
    except (OSError, pa.ArrowException, ValueError) as err:
        fail(f"{shard.source}:row {row}", f"cannot read: {str(err).splitlines()[0]}", source=shard.source)
        yield Batch(READ_SCHEMA.empty_table(), fail.take())


def read_shard(
    shard: Shard,
    columns: Columns,
    settings: EngineSettings,
    *,
    on_error: OnError = "fail",
    repo_depth: int = 1,
    max_bytes: int | None = None,
) -> Iterator[Batch]:
    """Bounded batches of one shard's documents; documents over ``max_bytes`` come with ``content`` null (tree files
    and over-long JSONL lines are not even read)."""
    fail = _Fail(on_error)
    if shard.kind == "tree":
        yield from _read_tree(shard, settings, fail, repo_depth, max_bytes)
    elif shard.kind == "jsonl":
        yield from _read_jsonl(shard, columns, settings, fail, max_bytes)
    else:
        yield from _read_columnar(shard, columns, settings, fail, max_bytes)
