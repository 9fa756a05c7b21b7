"""One rule, for every command, for what a folder given as input is (docs/engine.md, Inputs).

A folder is a **data set** when it is an HF ``save_to_disk`` folder, or when every file under it (VCS folders and
hidden files aside) is a data file (JSONL, Parquet, Arrow) and there is at least one: each data file is then read
as an input of its own (a refine run's ``kept/`` folder is one). Any other folder is a **source tree**: each file is
one document. Where that choice is doubtful (a tree holding data files, a folder named like a data file, a folder
with no files) ``describe_folder`` says so in ``warning``; the readers log it and the training commands refuse a
source tree with it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from opencoder.io.store import AnyPath, ObjectPath

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json.gz", ".ndjson")
DATA_SUFFIXES = (*JSONL_SUFFIXES, ".parquet", ".arrow")
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})


def is_data_file(name: str) -> bool:
    return name.lower().endswith(DATA_SUFFIXES)


def is_hf_dataset(path: AnyPath) -> bool:
    return (path / "state.json").is_file() or (path / "dataset_dict.json").is_file()


@dataclass(frozen=True)
class FolderKind:
    kind: Literal["dataset", "tree"]
    data_files: tuple[AnyPath, ...]  # a data set's files, sorted (an HF folder: none, its reader lists them)
    warning: str | None = None


def _files(root: AnyPath) -> Iterator[str]:
    """Names of the files under ``root`` (not following symlinked folders, skipping VCS folders and dot files)."""
    if isinstance(root, ObjectPath):
        for rel, _ in root.files():
            parts = rel.split("/")
            if not parts[-1].startswith(".") and not SKIPPED_DIRS.intersection(parts[:-1]):
                yield rel
        return
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda err: None):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        rel = os.path.relpath(dirpath, root)
        for name in filenames:
            if not name.startswith("."):
                yield name if rel == "." else f"{rel}/{name}"


def describe_folder(path: AnyPath) -> FolderKind:
    """Whether the folder ``path`` is a data set or a source tree, with a warning where that is doubtful."""
    if is_hf_dataset(path):
        return FolderKind("dataset", ())
    names = sorted(_files(path))
    data = [n for n in names if is_data_file(n)]
    if names and len(data) == len(names):
        return FolderKind("dataset", tuple(path / n for n in data))
    warning = None
    if not names:
        warning = f"{path}: folder holds no files"
    elif data:
        warning = (
            f"{path}: read as a source tree (each file one document) because {len(names) - len(data)} of its "
            f"{len(names)} files are not data files, although {len(data)} are (e.g. {data[0]}); give the data "
            "files (or a folder holding only them) to read their rows"
        )
    elif is_data_file(path.name):
        warning = f"{path}: a folder named like a data file, read as a source tree"
    return FolderKind("tree", (), warning)
