"""A small real source tree for the run tests (Ray cluster, object storage): standard-library modules in two
repositories (exact duplicates), two near-duplicate versions of heapq (a fuzzy cluster), a binary file and a file of
no language, so that every kind of decision of the default recipe shows up."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

STDLIB = Path(os.__file__).parent
FUZZY = Path(__file__).parents[1] / "fixtures" / "fuzzy"


def write_tree(tree: Path, modules: Sequence[str]) -> Path:
    for repo in ("a", "b"):
        (tree / repo).mkdir(parents=True)
        for name in modules:
            shutil.copy(STDLIB / name, tree / repo / name)
    shutil.copy(FUZZY / "heapq-3.10.py.txt", tree / "a" / "heapq.py")
    shutil.copy(FUZZY / "heapq-3.11.py.txt", tree / "b" / "heapq.py")
    (tree / "a" / "blob.bin").write_bytes(bytes(range(256)) * 8)
    (tree / "b" / "notes.unknownext").write_text("no language\n")
    return tree
