"""A run killed with SIGKILL part way resumes on the same command and ends with exactly the uninterrupted
output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
from core_fixtures import make_tree, write_recipe


def _cmd(tree, out, recipe):
    return [
        sys.executable,
        "-m",
        "opencoder.cli",
        "refine",
        str(tree),
        "--out",
        str(out),
        "--recipe",
        str(recipe),
        "--workers",
        "1",
    ]


def _rows(run_dir, sub):
    files = sorted((run_dir / sub).glob("*.parquet"))
    return sorted(tuple(r.values()) for f in files for r in pq.read_table(f, columns=["id", "text"]).to_pylist())


def test_sigkilled_run_resumes_to_the_uninterrupted_output(tmp_path):
    tree = make_tree(tmp_path / "corpus", n_files=40)
    recipe = write_recipe(tmp_path / "r.yaml", task_files=1)
    subprocess.run(_cmd(tree, tmp_path / "full", recipe), check=True, capture_output=True)

    out = tmp_path / "killed"
    proc = subprocess.Popen(_cmd(tree, out, recipe), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((out / "stats").glob("*.json"))) < 3:
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists(), "the run finished before it could be killed"
    done_before = {p: p.stat().st_mtime_ns for p in (out / "stats").glob("*.json")}
    assert done_before

    subprocess.run(_cmd(tree, out, recipe), check=True, capture_output=True)
    for sub in ("kept", "removed"):
        resumed, full = _rows(out, sub), _rows(tmp_path / "full", sub)
        assert resumed == full
        assert len({r[0] for r in resumed}) == len(resumed)  # no duplicates
    assert not list(out.rglob(".*.tmp"))  # no temporary file left behind
    assert all(p.stat().st_mtime_ns == t for p, t in done_before.items())  # finished tasks were not redone
