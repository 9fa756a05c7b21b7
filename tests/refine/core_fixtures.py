"""Small real inputs for the refine tests: this Python's standard library copied into repo trees."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import yaml

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_files(n: int, package: str = "json") -> list[Path]:
    """``n`` real .py files from the standard library (deterministic choice)."""
    files = sorted(p for p in (STDLIB / package).rglob("*.py") if "__pycache__" not in p.parts)
    files += sorted(p for p in STDLIB.glob("*.py"))
    return files[:n]


def make_tree(root: Path, n_files: int = 24) -> Path:
    """Three repositories of real stdlib code plus the awkward cases preprocess and langid must handle:
    an exact duplicate in another repo, a binary file, a cp1252 file, an excluded (csv) and an unknown one."""
    files = stdlib_files(n_files)
    for i, src in enumerate(files):
        dst = root / f"repo{i % 3}" / "src" / f"{i:02d}_{src.name}"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    shutil.copyfile(files[0], root / "repo2" / "copy_of_first.py")  # exact duplicate across repos
    (root / "repo1" / "blob.py").write_bytes(bytes(range(256)) * 4)  # binary
    (root / "repo1" / "latin.py").write_bytes("# caf\xe9 na\xefve\nx = 1\n".encode("cp1252"))
    (root / "repo0" / "table.csv").write_text("a,b\n1,2\n")  # excluded language
    (root / "repo0" / "NOTES.unknownext").write_text("hello\n")  # unknown
    return root


def write_recipe(path: Path, **engine: int) -> Path:
    """A recipe with the paper's stages and small tasks so a test corpus spreads over several tasks."""
    data = {
        "seed": 42,
        "engine": {"task_files": 4, **engine},
        "stages": [
            {"name": "preprocess", "params": {"max_bytes": 8_000_000}},
            {"name": "langid"},
            {"name": "exact_dedup", "params": {"partitions": 4}},
        ],
    }
    path.write_text(yaml.safe_dump(data))
    return path
