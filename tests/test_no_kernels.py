"""Without any compiled kernel (an install without a C compiler): importing opencoder, the engine and io works, a
refine of preprocess + langid + exact dedup gives the same outputs through the plain-Python twins of the tree reader
and the byte checks, and a stage that needs a missing kernel (signals) fails with one line that says how to build it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from opencoder import engine

SRC = Path(__file__).resolve().parents[1] / "src"
# Run before anything else in the child: every compiled module of the package refuses to import.
NO_KERNELS = """
import importlib.abc, sys
class NoKernels(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.startswith("opencoder.") and name.rsplit(".", 1)[-1].startswith("_") and name.count("._"):
            raise ImportError(f"{name}: kernels switched off for this test")
        return None
sys.meta_path.insert(0, NoKernels())
"""
# workers=1: a spawned worker would start without the finder above.
RUN = """
import sys
from opencoder import engine
from opencoder.io import decode, readers
assert readers._treeread.__name__ == "opencoder.io.treeread" and decode.bytescan.__name__ == "opencoder.io.bytescan"
engine.run(stages=["preprocess", "langid", "exact_dedup"], inputs=[sys.argv[1]], out=sys.argv[2], workers=1)
"""


def tree(folder: Path) -> Path:
    """A small tree with what preprocess decides about: text, a BOM, cp1252, binary, a duplicate, an empty file."""
    files = {
        "a/main.py": b"print('hello')\n" * 20,
        "a/copy.py": b"print('hello')\n" * 20,
        "a/bom.py": b"\xef\xbb\xbfx = 1\n",
        "b/latin.txt": "caf\u00e9 cr\u00e8me\n".encode("cp1252"),
        "b/blob.bin": bytes(range(256)) * 4,
        "b/empty.md": b"",
        "c/lib.c": b"int main(void) { return 0; }\n",
    }
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def child(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-c", NO_KERNELS + code, *args], env=env, capture_output=True, text=True, timeout=300
    )


def rows(run: Path) -> tuple[list, list]:
    kept = pq.read_table(run / "kept").sort_by("id")
    removed = pq.read_table(run / "removed").sort_by("id").select(["id", "stage", "reason", "detail"])
    return kept.select(["id", "text", "lang", "size"]).to_pylist(), removed.to_pylist()


def test_without_kernels_the_engine_runs_and_decides_the_same(tmp_path):
    src = tree(tmp_path / "tree")
    proc = child(RUN, str(src), str(tmp_path / "twin"))
    assert proc.returncode == 0, proc.stderr
    engine.run(stages=["preprocess", "langid", "exact_dedup"], inputs=[src], out=tmp_path / "compiled")
    assert rows(tmp_path / "twin") == rows(tmp_path / "compiled")
    kept, removed = rows(tmp_path / "twin")
    assert {r["reason"] for r in removed} == {"binary", "exact_duplicate"}
    assert any(k["text"] == "caf\u00e9 cr\u00e8me\n" for k in kept)


def test_a_stage_that_needs_a_missing_kernel_says_how_to_build_it(tmp_path):
    src = tree(tmp_path / "tree")
    proc = child("from opencoder.cli import main; main()", "signals", str(src), "--out", str(tmp_path / "run"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "opencoder.refine.signals._kernel is not built" in proc.stderr and "make kernel" in proc.stderr
