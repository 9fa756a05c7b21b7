"""The machine's own code as a dedup benchmark corpus: many near-identical files, plus unrelated ones.

Every Python install under pyenv ships its standard library; the same module across versions is a natural
near-duplicate group (a few lines changed between releases). We take whole groups (all versions of one
relative path) in a fixed pseudo-random order, mixed with single files from site-packages and
/usr/include, until the byte cap is reached. The order depends only on the paths, so two runs on one
machine build the same corpus.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from opencoder.io.schema import DOC_SCHEMA

SUFFIXES = {".py", ".c", ".h", ".hpp", ".cc", ".cpp"}
MAX_FILE_BYTES = 512_000


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in SUFFIXES and "site-packages" not in p.parts and p.is_file() and not p.is_symlink()
    )


def _groups() -> dict[str, list[tuple[str, Path]]]:
    """Relative path -> [(repo, file)]: a group per stdlib module across versions, else single files."""
    groups: dict[str, list[tuple[str, Path]]] = {}
    for lib in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/lib/python[0-9]*"))):
        repo = "cpython-" + Path(lib).parent.parent.name
        for f in _files(Path(lib)):
            groups.setdefault("stdlib/" + str(f.relative_to(lib)), []).append((repo, f))
    for root, repo in ((sysconfig.get_paths()["purelib"], "site-packages"), ("/usr/include", "usr-include")):
        if Path(root).is_dir():
            for f in sorted(p for p in Path(root).rglob("*") if p.suffix in SUFFIXES and p.is_file()):
                groups.setdefault(f"{repo}/{f.relative_to(root)}", []).append((repo, f))
    return groups


def build_corpus(max_bytes: int, out: Path) -> pa.Table:
    """Write about ``max_bytes`` of source files to ``out`` (Parquet, DOC_SCHEMA) and return the table."""
    rows: list[dict] = []
    total = 0
    groups = _groups()
    for rel in sorted(groups, key=lambda r: xxhash.xxh64_intdigest(r.encode())):
        for repo, f in groups[rel]:
            data = f.read_bytes()
            if not data or len(data) > MAX_FILE_BYTES:
                continue
            digest = xxhash.xxh64_intdigest(str(f).encode())
            rows.append(
                {
                    "id": f"{digest:016x}",
                    "text": data.decode("utf-8", errors="replace"),
                    "path": rel,
                    "repo": repo,
                    "size": len(data),
                    "stars": digest % 1000,
                    "commit_time": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
                    + dt.timedelta(seconds=digest % 100_000_000),
                    "source": str(f),
                }
            )
            total += len(data)
        if total >= max_bytes:
            break
    table = pa.Table.from_pylist(rows, schema=DOC_SCHEMA)
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out, row_group_size=256)  # readers can stream it in small batches
    return table
