"""`opencoder filter` as engine tasks: a pass that dies in the middle leaves the run as it was and resumes to the
same result as a pass that never stopped; a pass with other rules after an interrupted one starts over."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from core_fixtures import stdlib_files

from opencoder import engine
from opencoder.refine import refilter


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A signals run of four tasks over real stdlib code."""
    tree = tmp_path_factory.mktemp("tree")
    for i, src in enumerate(stdlib_files(16)):
        shutil.copyfile(src, tree / f"{i:02d}_{src.name}")
    out = tmp_path_factory.mktemp("run") / "run"
    engine.run(stages=["langid", "signals", "filter"], inputs=[tree], out=out, engine={"task_files": 4}, repo_depth=0)
    return out


def rules(folder: Path, lines: int) -> Path:
    path = folder / f"lines{lines}.yaml"
    path.write_text(f"python:\n  qsc_code_num_lines: {{lt: {lines}}}\n")
    return path


def decisions(run: Path) -> tuple[list, list, dict]:
    kept = sorted(pq.read_table(run / "kept").column("id").to_pylist())
    removed = pq.read_table(run / "removed").select(["id", "stage", "reason", "rules"]).to_pylist()
    documents = json.loads((run / "manifest.json").read_text())["documents"]
    return kept, sorted(removed, key=lambda r: r["id"]), documents


def files(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in [*sorted(run.glob("*/*.parquet")), run / "manifest.json"]}


def crash_after(monkeypatch, n: int) -> list[str]:
    """Make the (in-process) filter tasks die after ``n`` finished; returns the tasks that ran."""
    ran: list[str] = []
    real = refilter.refilter_task

    def task(job):
        if len(ran) == n:
            raise RuntimeError("killed")
        ran.append(job.task)
        return real(job)

    monkeypatch.setattr(refilter, "refilter_task", task)
    return ran


def test_an_interrupted_pass_changes_nothing_and_resumes_to_the_same_result(run, tmp_path, monkeypatch):
    strict = rules(tmp_path, 200)
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    shutil.copytree(run, clean)
    shutil.copytree(run, crashed)
    refilter.refilter_run(clean, strict, workers=1)

    before = files(crashed)
    with monkeypatch.context() as m:
        ran = crash_after(m, 2)
        with pytest.raises(RuntimeError, match="killed"):
            refilter.refilter_run(crashed, strict, workers=1)
    assert files(crashed) == before  # nothing committed: the run is as it was
    assert len(list((crashed / "work" / "refilter-0" / "stats").glob("*.json"))) == 2

    resumed = crash_after(monkeypatch, 99)
    total = refilter.refilter_run(crashed, strict, workers=1)
    assert len(ran) == 2 and len(resumed) == 2 and not set(ran) & set(resumed)  # the finished tasks were skipped
    assert decisions(crashed) == decisions(clean)
    assert total["in"] == total["kept"] + total["removed"] and total["removed"] > 0
    assert not (crashed / "work" / "refilter-0").exists()
    assert len(json.loads((crashed / "manifest.json").read_text())["refilter"]) == 1


def test_other_rules_after_an_interrupted_pass_start_it_over(run, tmp_path, monkeypatch):
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    shutil.copytree(run, clean)
    shutil.copytree(run, crashed)
    loose = rules(tmp_path, 30)
    refilter.refilter_run(clean, loose, workers=1)
    with monkeypatch.context() as m:
        crash_after(m, 1)
        with pytest.raises(RuntimeError):
            refilter.refilter_run(crashed, rules(tmp_path, 200), workers=1)
    refilter.refilter_run(crashed, loose, workers=2)
    assert decisions(crashed) == decisions(clean)
