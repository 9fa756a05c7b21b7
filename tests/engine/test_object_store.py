"""Inputs and RUN_DIR in object storage, against a real S3-compatible server (moto's, on 127.0.0.1, started here):
``opencoder refine`` reading a bucket and writing its run into one gives the local run's output; a run killed with
SIGKILL part way and run again resumes from the completion markers in the bucket, loses and duplicates nothing and
leaves no object that a marker does not name; a missing bucket or object is an error naming its URL."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

fsspec = pytest.importorskip("fsspec")
pytest.importorskip("s3fs", reason="object storage is the [s3] extra")
moto_server = pytest.importorskip("moto.server", reason="the test server is moto's (dev extra)")

from sample_tree import STDLIB, write_tree  # noqa: E402
from test_engine_run import outputs as local_plain_outputs  # noqa: E402
from test_engine_run import stages, write_corpus  # noqa: E402

from opencoder import engine  # noqa: E402
from opencoder.engine.recipe import DEFAULT_RECIPE, load_recipe  # noqa: E402
from opencoder.engine.runner import RunOptions, run_recipe  # noqa: E402
from opencoder.errors import OpencoderError  # noqa: E402

HERE = Path(__file__).resolve().parent
MODULES = ("abc.py", "bisect.py", "colorsys.py", "this.py", "fnmatch.py", "keyword.py")
BUCKET = "oc-test"
TIMEOUT_S = 300


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on a free port; this process and its children reach it through the environment."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FSSPEC_S3_ENDPOINT_URL": endpoint,  # read by fsspec when a (worker) process imports it
        "NO_PROXY": "127.0.0.1",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})  # this process imported fsspec already
        fs = fsspec.filesystem("s3")
        fs.mkdir(BUCKET)
        yield fs
    server.stop()


@pytest.fixture(scope="module")
def corpus(s3, tmp_path_factory) -> Path:
    """A tree of standard-library modules in two repositories (exact duplicates), two near-duplicate versions of
    heapq (a fuzzy cluster), a binary file and a file of no language, plus the same kind of documents as JSONL and
    Parquet rows; copied into the bucket under ``in/``."""
    root = tmp_path_factory.mktemp("corpus")
    tree = root / "tree"
    write_tree(tree, MODULES)
    rows = [{"id": f"row-{name}", "text": (STDLIB / name).read_text(), "path": name} for name in ("glob.py", "abc.py")]
    with (root / "docs.jsonl").open("w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    pq.write_table(pa.Table.from_pylist([{**r, "id": r["id"] + "-pq"} for r in rows]), root / "docs.parquet")
    s3.put(str(tree), f"{BUCKET}/in/tree", recursive=True)
    s3.put(str(root / "docs.jsonl"), f"{BUCKET}/in/docs.jsonl")
    s3.put(str(root / "docs.parquet"), f"{BUCKET}/in/docs.parquet")
    return root


def small_recipe(folder: Path) -> Path:
    """The default recipe with tasks of four files and four partitions, so that the corpus spreads over tasks."""
    data = yaml.safe_load(DEFAULT_RECIPE.read_text())
    data["engine"]["task_files"] = 4
    for stage in data["stages"]:
        if stage["name"] in ("exact_dedup", "fuzzy_dedup"):
            stage["params"]["partitions"] = 4
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def outputs(run: str, fs=None) -> dict[str, list]:
    """Everything a run decided, sorted: kept ids, removed ids with stage, reason and duplicate, the signal
    columns of every document and the fuzzy clusters (``run``: a local folder, or a path in ``fs``)."""
    removed = pq.read_table(f"{run}/removed", filesystem=fs, columns=["id", "stage", "reason", "duplicate_of"])
    clusters = pq.read_table(f"{run}/clusters.parquet", filesystem=fs).to_pylist()
    return {
        "kept": sorted(pq.read_table(f"{run}/kept", filesystem=fs, columns=["id"]).column("id").to_pylist()),
        "removed": sorted(tuple(r.values()) for r in removed.to_pylist()),
        "signals": sorted(pq.read_table(f"{run}/signals", filesystem=fs).to_pylist(), key=lambda r: r["id"]),
        "clusters": sorted(tuple(r.values()) for r in clusters),
    }


def named_by_markers(fs, run: str) -> set[str]:
    """Every file the run's completion markers name (relative to the run)."""
    named = set()
    fs.invalidate_cache()
    for path in fs.glob(f"{run}/stats/*.json"):
        files = json.loads(fs.cat_file(path))["files"]
        named |= {f for k, f in files.items() if k != "outputs"} | set(files["outputs"].values())
    return named


def listed(fs, run: str, folder: str) -> set[str]:
    fs.invalidate_cache()
    return {p[len(run) + 1 :] for p in fs.find(f"{run}/{folder}")}


def cli(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "opencoder.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=dict(os.environ))


def test_refine_from_a_bucket_into_a_bucket_gives_the_local_output(s3, corpus, tmp_path):
    recipe = small_recipe(tmp_path)
    local = [str(corpus / "tree"), str(corpus / "docs.jsonl"), str(corpus / "docs.parquet")]
    run_recipe(local, tmp_path / "local", load_recipe(recipe), RunOptions(workers=1))
    urls = [f"s3://{BUCKET}/in/tree", f"s3://{BUCKET}/in/docs.jsonl", f"s3://{BUCKET}/in/docs.parquet"]
    done = cli("refine", *urls, "--out", f"s3://{BUCKET}/runs/cli", "--recipe", str(recipe), "--workers", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"kept: s3://{BUCKET}/runs/cli/kept" in done.stdout

    expected = outputs(str(tmp_path / "local"))
    assert outputs(f"{BUCKET}/runs/cli", s3) == expected
    assert expected["clusters"] and expected["signals"] and expected["kept"]
    reasons = {r[1:3] for r in expected["removed"]}
    assert reasons >= {("exact_dedup", "exact_duplicate"), ("preprocess", "binary"), ("fuzzy_dedup", "near_duplicate")}
    rows = {"row-glob.py", "row-abc.py", "row-glob.py-pq", "row-abc.py-pq"}
    assert rows <= set(expected["kept"]) | {r[0] for r in expected["removed"]}

    run = f"{BUCKET}/runs/cli"
    manifest = json.loads(s3.cat_file(f"{run}/manifest.json"))
    assert manifest["tasks"] > 3 and manifest["documents"]["in"] == len(expected["kept"]) + len(expected["removed"])
    assert not listed(s3, run, "work/seg0")  # the survivors between segments are gone
    named = named_by_markers(s3, run)
    assert listed(s3, run, "kept") | listed(s3, run, "removed") | listed(s3, run, "signals") == {
        f for f in named if not f.startswith("work/")
    }


KILL_SCRIPT = """
import sys
from opencoder import engine
from test_engine_run import stages
engine.run(stages=stages(float(sys.argv[3])), inputs=sys.argv[4:], out=sys.argv[1], workers=int(sys.argv[2]),
           engine={"batch_docs": 20})
"""


def start(out: str, inputs: list[str], workers: int, sleep_s: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parents[1] / "src")])}
    cmd = [sys.executable, "-c", KILL_SCRIPT, out, str(workers), str(sleep_s), *inputs]
    return subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.PIPE, text=True)


def test_a_killed_run_in_a_bucket_resumes_and_loses_nothing(s3, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    files = write_corpus(tmp_path)  # six JSONL files of 120 plain-text documents
    engine.run(stages=stages(), inputs=files, out=tmp_path / "reference", engine={"batch_docs": 20})
    for f in files:
        s3.put(str(f), f"{BUCKET}/plain/{f.name}")
    urls = [f"s3://{BUCKET}/plain/{f.name}" for f in files]
    run = f"{BUCKET}/runs/killed"

    proc = start(f"s3://{run}", urls, 2, 0.15)  # 6 tasks of 6 batches, 0.15 s a batch in the words stage
    deadline = time.monotonic() + TIMEOUT_S
    while not listed(s3, run, "stats") and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    finished = listed(s3, run, "stats")
    assert proc.returncode == -signal.SIGKILL and 1 <= len(finished) < 6, proc.stderr.read()[-3000:]
    assert not s3.exists(f"{run}/manifest.json")
    # what an attempt killed after its uploads and before its marker leaves: objects no marker names
    stray = f"{run}/removed/t00005-s0.0123456789ab.parquet"
    s3.pipe_file(stray, sorted((tmp_path / "reference" / "removed").glob("*.parquet"))[0].read_bytes())

    resumed = start(f"s3://{run}", urls, 2, 0.15)  # the same recipe: a run folder belongs to one command
    assert resumed.wait(timeout=TIMEOUT_S) == 0, resumed.stderr.read()[-3000:]
    manifest = json.loads(s3.cat_file(f"{run}/manifest.json"))
    docs = manifest["documents"]
    assert docs["in"] == 720 == docs["kept"] + docs["removed"]
    phase = manifest["phases"]["read + preprocess + words"]
    assert phase["skipped"] == len([f for f in finished if f.endswith("-s0.json")]) >= 1
    assert phase["run"] + phase["skipped"] == 6

    kept = pq.read_table(f"{run}/kept", filesystem=s3).column("id").to_pylist()
    removed = pq.read_table(f"{run}/removed", filesystem=s3).select(["id", "stage", "reason"]).to_pylist()
    got = (sorted(kept), sorted((r["id"], r["stage"], r["reason"]) for r in removed))
    assert got == local_plain_outputs(tmp_path / "reference")
    assert len(kept) + len(removed) == 720 == len(set(kept) | {r["id"] for r in removed})
    assert not s3.exists(stray)
    named = {f for f in named_by_markers(s3, run) if not f.startswith("work/")}
    assert listed(s3, run, "kept") | listed(s3, run, "removed") == named


def test_missing_buckets_and_objects_are_named(s3, corpus, tmp_path):
    with pytest.raises(OpencoderError, match=r"^s3://no-such-bucket/x\.jsonl: no such file or directory"):
        engine.run(stages=["preprocess"], inputs=["s3://no-such-bucket/x.jsonl"], out=tmp_path / "a")
    with pytest.raises(OpencoderError, match=rf"^s3://{BUCKET}/in/nothing\.jsonl: no such file or directory"):
        engine.run(stages=["preprocess"], inputs=[f"s3://{BUCKET}/in/nothing.jsonl"], out=tmp_path / "b")
    with pytest.raises(OpencoderError, match=r"^s3://no-such-bucket/run: cannot write there"):
        engine.run(stages=["preprocess"], inputs=[str(corpus / "docs.jsonl")], out="s3://no-such-bucket/run")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()

    s3.pipe_file(f"{BUCKET}/in/broken.jsonl.gz", b"this is not gzip")
    with pytest.raises(OpencoderError, match=rf"s3://{BUCKET}/in/broken\.jsonl\.gz:1: cannot read"):
        engine.run(stages=["preprocess"], inputs=[f"s3://{BUCKET}/in/broken.jsonl.gz"], out=tmp_path / "c",
                   on_error="fail")  # fmt: skip

    done = cli("refine", "s3://no-such-bucket/in", "--out", str(tmp_path / "d"))
    assert done.returncode == 2 and "error: s3://no-such-bucket/in: no such file or directory" in done.stderr
