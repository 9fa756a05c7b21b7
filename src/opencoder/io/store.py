"""Where inputs and run folders live: a local path, or any fsspec URL (``s3://bucket/key``, ``gs://``, ...).

Local paths keep their direct calls (os, memory maps, rename): ``location`` returns a plain ``Path`` for them, and
only a URL becomes an ``ObjectPath``, the few pathlib methods the engine uses, done through fsspec. Object stores
have no rename, but an object appears whole or not at all when its upload ends (one PUT, or the completion of a
multipart upload); the writers and the run's completion markers rely on that there (docs/cluster.md).

fsspec reads its settings from the environment, so that every worker process sees the same store: e.g.
``FSSPEC_S3_ENDPOINT_URL=http://host:9000`` for an S3-compatible server, credentials as boto reads them."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

from opencoder.errors import OpencoderError

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(path: str | Path) -> bool:
    """Whether ``path`` names a file through fsspec (a ``scheme://`` other than ``file://``)."""
    m = _SCHEME.match(str(path)) if isinstance(path, str) else None
    return m is not None and m.group(1).lower() != "file"


def location(path: str | Path | ObjectPath) -> Path | ObjectPath:
    """A local ``Path`` (``file://`` stripped), or an ``ObjectPath`` for any other URL."""
    if isinstance(path, (Path, ObjectPath)):
        return path
    if is_url(path):
        return ObjectPath(path)
    return Path(path[len("file://") :] if path.startswith("file://") else path)


def _fs(url: str) -> tuple[Any, str]:
    """The fsspec file system of ``url`` (cached by fsspec per protocol and options) and the path within it."""
    try:
        import fsspec
    except ImportError:  # pragma: no cover - the extra is not installed
        raise OpencoderError(f"{url}: reading URLs needs fsspec (pip install 'opencoder[s3]')") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as err:  # no implementation for the protocol (s3fs missing, a typo)
        raise OpencoderError(f"{url}: {err}") from None


class ObjectPath:
    """A file or folder at an fsspec URL. Folders are key prefixes: ``mkdir`` only checks that the bucket is
    there, and a folder exists when an object lies under it. Listings are never taken from fsspec's cache: other
    processes (the tasks) add objects all the time."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.fs, self.path = _fs(self.url)

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return ObjectPath, (self.url,)

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"ObjectPath({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectPath) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __lt__(self, other: ObjectPath) -> bool:
        return self.url < other.url

    def __truediv__(self, part: str) -> ObjectPath:
        return ObjectPath(f"{self.url}/{part}")

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    @property
    def parent(self) -> ObjectPath:
        return ObjectPath(self.url.rsplit("/", 1)[0])

    def with_name(self, name: str) -> ObjectPath:
        return self.parent / name

    def relative_to(self, other: ObjectPath) -> PurePosixPath:
        return PurePosixPath(self.url).relative_to(PurePosixPath(other.url))

    def _url_of(self, path: str) -> str:
        """The URL of ``path``, a path within this file system under this one (as fsspec lists them)."""
        return f"{self.url}/{path[len(self.path) :].lstrip('/')}"

    def _fresh(self) -> Any:
        self.fs.invalidate_cache(self.path)
        return self.fs

    def info(self) -> dict[str, Any]:
        return self._fresh().info(self.path)

    def exists(self) -> bool:
        return self._fresh().exists(self.path)

    def is_dir(self) -> bool:
        return self._fresh().isdir(self.path)

    def is_file(self) -> bool:
        return self._fresh().isfile(self.path)

    def read_bytes(self) -> bytes:
        return self.fs.cat_file(self.path)

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_bytes(self, data: bytes) -> None:
        """One upload: the object appears whole, or not at all."""
        self.fs.pipe_file(self.path, data)

    def open(self, mode: str = "rb") -> IO[bytes]:
        return self.fs.open(self.path, mode)

    def glob(self, pattern: str) -> list[ObjectPath]:
        return sorted(ObjectPath(self._url_of(p)) for p in self._fresh().glob(f"{self.path}/{pattern}"))

    def files(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(relative path, info) of every object under this folder, sorted."""
        found = self._fresh().find(self.path, detail=True)
        for path in sorted(found):
            if found[path].get("type") != "directory":
                yield path[len(self.path) :].lstrip("/"), found[path]

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Nothing to create (a prefix exists once an object lies under it), but the bucket must be there."""
        bucket = urlsplit(self.url).netloc
        try:
            self.fs.info(bucket)
        except (FileNotFoundError, PermissionError, OSError) as err:
            raise OpencoderError(f"{self.url}: cannot write there: bucket {bucket!r}: {err}") from None

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.fs.rm_file(self.path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def remove_tree(self) -> None:
        if self.exists():
            self.fs.rm(self.path, recursive=True)


AnyPath = Path | ObjectPath


def mtime_ns(info: dict[str, Any]) -> int:
    """An object's modification time from fsspec's ``info`` (its spelling differs by store), 0 when it has none."""
    for key in ("LastModified", "mtime", "updated", "last_modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return int(value.timestamp() * 1e9)
        if isinstance(value, (int, float)):
            return int(value * 1e9)
        if isinstance(value, str):
            try:
                return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1e9)
            except ValueError:
                continue
    return 0


def stamp(path: AnyPath) -> tuple[Any, ...]:
    """What tells a rewritten file from the one cached: inode, size and mtime; an object's ETag and size."""
    if isinstance(path, ObjectPath):
        info = path.info()
        return info.get("ETag") or mtime_ns(info), info.get("size")
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def open_input(source: str) -> IO[bytes]:
    """A binary file to read: a local path opened directly, a URL through fsspec (buffered as a local file is, so
    that ``readline`` takes a size)."""
    where = location(source)
    return where.open("rb") if isinstance(where, Path) else io.BufferedReader(where.open("rb"))


def read_many(paths: list[AnyPath]) -> list[bytes]:
    """The bytes of many small files (completion markers), objects fetched concurrently."""
    remote = [p for p in paths if isinstance(p, ObjectPath)]
    got = remote[0].fs.cat([p.path for p in remote]) if remote else {}
    return [got[p.path] if isinstance(p, ObjectPath) else p.read_bytes() for p in paths]


def remove_tree(path: AnyPath) -> None:
    if isinstance(path, ObjectPath):
        path.remove_tree()
    else:
        shutil.rmtree(path)
