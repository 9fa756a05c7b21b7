"""The engine on documents that are not code: plain-text JSONL through a plug-in stage plus preprocess and exact
dedup, from the Python API; killed with SIGKILL in the middle and resumed, its outputs are those of a run that was
never interrupted, and every document is either kept or removed once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from opencoder import engine
from opencoder.errors import OpencoderError

HERE = Path(__file__).resolve().parent
WORDS = ("river", "stone", "lamp", "orchard", "violin", "harbor", "meadow", "ladder", "copper", "window")


def write_corpus(folder: Path, files: int = 6, docs: int = 120) -> list[Path]:
    """JSONL files of short plain-text documents: some repeated exactly (across files too), some too short."""
    paths = []
    for f in range(files):
        path = folder / f"part{f}.jsonl"
        with path.open("w") as fh:
            for d in range(docs):
                k = (f * docs + d) % 97  # repeats: document k appears in several files
                text = " ".join(WORDS[(k * 7 + j) % len(WORDS)] for j in range(k % 9)) + f" number {k}"
                fh.write(json.dumps({"id": f"f{f}-d{d}", "text": text, "source_note": "plain"}) + "\n")
        paths.append(path)
    return paths


def stages(sleep_s: float = 0.0) -> list[dict]:
    words = {"name": "words", "module": "plain_stages", "params": {"min_words": 4, "sleep_s": sleep_s}}
    return [{"name": "preprocess"}, words, {"name": "exact_dedup"}]


def outputs(run: Path) -> tuple[list[str], list[tuple[str, str, str]]]:
    kept = pq.read_table(run / "kept").column("id").to_pylist()
    removed = pq.read_table(run / "removed").select(["id", "stage", "reason"]).to_pylist()
    return sorted(kept), sorted((r["id"], r["stage"], r["reason"]) for r in removed)


def test_plain_text_through_registered_stages(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    inputs = write_corpus(tmp_path, files=2, docs=60)
    manifest = engine.run(stages=stages(), inputs=inputs, out=tmp_path / "run", engine={"batch_docs": 16})
    assert [s["name"] for s in manifest["stages"]] == ["read", "preprocess", "words", "exact_dedup"]
    kept, removed = outputs(tmp_path / "run")
    assert manifest["documents"] == {"in": 120, "kept": len(kept), "removed": len(removed)}
    assert len(kept) + len(removed) == 120 and len(set(kept) | {r[0] for r in removed}) == 120
    reasons = {(stage, reason) for _, stage, reason in removed}
    assert reasons == {("words", "too_few_words"), ("exact_dedup", "exact_duplicate")}
    words = next(s for s in manifest["stages"] if s["name"] == "words")
    assert words["counters"]["words"] > 0 and words["removed"] > 0
    assert "n_words" in pq.read_table(tmp_path / "run" / "kept").column_names


def test_bad_stage_names_and_modules_are_reported(tmp_path):
    doc = tmp_path / "d.jsonl"
    doc.write_text('{"text": "a b c d"}\n')
    with pytest.raises(OpencoderError, match="unknown stage 'nope'"):
        engine.run(stages=["nope"], inputs=[doc], out=tmp_path / "r")
    with pytest.raises(OpencoderError, match=r"stages\[0\].module: cannot import 'no_such_module'"):
        engine.run(stages=[{"name": "x", "module": "no_such_module"}], inputs=[doc], out=tmp_path / "r")


SCRIPT = """
import sys
from opencoder import engine
from test_engine_run import stages
engine.run(stages=stages(float(sys.argv[3])), inputs=sys.argv[4:], out=sys.argv[1], workers=int(sys.argv[2]),
           engine={"batch_docs": 20})
"""


def run_script(out: Path, inputs: list[Path], workers: int, sleep_s: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parents[1] / "src")])}
    cmd = [sys.executable, "-c", SCRIPT, str(out), str(workers), str(sleep_s), *map(str, inputs)]
    return subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.PIPE, text=True)


def test_sigkill_in_the_middle_then_resume_gives_the_same_run(tmp_path):
    inputs = write_corpus(tmp_path)
    reference = run_script(tmp_path / "reference", inputs, 1, 0.0)
    assert reference.wait(timeout=300) == 0, reference.stderr.read()

    out = tmp_path / "killed"
    proc = run_script(out, inputs, 2, 0.15)  # 6 tasks of 6 batches, 0.15 s a batch in the words stage
    deadline = time.monotonic() + 240
    while not list((out / "stats").glob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    finished_before = len(list((out / "stats").glob("*.json")))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL and 1 <= finished_before < 6
    assert not (out / "manifest.json").exists()

    resumed = run_script(out, inputs, 2, 0.15)  # the same recipe: a run folder belongs to one command
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents"]["in"] == 6 * 120
    assert manifest["documents"]["kept"] + manifest["documents"]["removed"] == 6 * 120
    for stage in manifest["stages"]:
        assert stage["in"] == stage["kept"] + stage["removed"]
    assert outputs(out) == outputs(tmp_path / "reference")
    kept, removed = outputs(out)
    assert len(kept) + len(removed) == 6 * 120 == len(set(kept) | {r[0] for r in removed})


def test_a_group_ctrl_c_is_quiet_in_the_workers(tmp_path):
    """A terminal's Ctrl-C reaches every process of the group: the pool workers end without a traceback each."""
    proc = run_script(tmp_path / "run", write_corpus(tmp_path), 3, 0.15)
    deadline = time.monotonic() + 240
    while not list((tmp_path / "run" / "stats").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert err.count("Traceback") == 1 and "SpawnProcess" not in err, err  # the driver's own traceback only
