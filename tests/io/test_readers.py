"""Readers: every supported format gives the same documents, with mapped columns, in bounded batches."""

from __future__ import annotations

import errno
import gzip
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from opencoder.engine.recipe import Columns, EngineSettings
from opencoder.errors import OpencoderError
from opencoder.io import readers, treeread
from opencoder.io.readers import Contents, InputSpec, plan_inputs, read_shard, to_timestamp

RECORDS = [
    {
        "blob": f"blob{i}",
        "content": f"print({i})\n",
        "file": f"pkg/m{i}.py",
        "repo_name": "org/r",
        "stars": i,
        "committed": f"2023-0{1 + i % 9}-01T00:00:00Z",
    }
    for i in range(7)
]
COLUMNS = Columns(text="content", id="blob", path="file", repo="repo_name", stars="stars", commit_time="committed")
SETTINGS = EngineSettings(batch_docs=3)


def _write(kind, tmp_path):
    lines = "".join(json.dumps(r) + "\n" for r in RECORDS).encode()
    if kind == "jsonl":
        (path := tmp_path / "d.jsonl").write_bytes(lines)
    elif kind == "jsonl.gz":
        (path := tmp_path / "d.jsonl.gz").write_bytes(gzip.compress(lines))
    elif kind == "jsonl.zst":
        (path := tmp_path / "d.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    elif kind == "parquet":
        pq.write_table(pa.Table.from_pylist(RECORDS), path := tmp_path / "d.parquet")
    else:  # a HF save_to_disk folder: arrow stream files listed in state.json
        path = tmp_path / "hf"
        path.mkdir()
        table = pa.Table.from_pylist(RECORDS)
        for i, part in enumerate((table.slice(0, 4), table.slice(4))):
            with (
                pa.OSFile(str(path / f"data-{i:05d}-of-00002.arrow"), "wb") as sink,
                pa.ipc.new_stream(sink, table.schema) as writer,
            ):
                writer.write_table(part)
        (path / "state.json").write_text(
            json.dumps({"_data_files": [{"filename": f"data-{i:05d}-of-00002.arrow"} for i in range(2)]})
        )
        (path / "dataset_info.json").write_text("{}")
    return path


@pytest.mark.parametrize("kind", ["jsonl", "jsonl.gz", "jsonl.zst", "parquet", "hf"])
def test_every_format_reads_the_same_documents(kind, tmp_path):
    plan = plan_inputs([(str(_write(kind, tmp_path)), None)], SETTINGS)
    batches = [b for shard in plan.shards for b in read_shard(shard, COLUMNS, SETTINGS)]
    assert all(b.docs.num_rows <= 3 for b in batches)
    docs = pa.concat_tables([b.docs for b in batches]).to_pylist()
    assert [d["id"] for d in docs] == [r["blob"] for r in RECORDS]
    assert [d["content"].decode() for d in docs] == [r["content"] for r in RECORDS]
    assert docs[2]["path"] == "pkg/m2.py" and docs[2]["repo"] == "org/r" and docs[2]["stars"] == 2
    assert docs[2]["commit_time"] == datetime(2023, 3, 1, tzinfo=timezone.utc)
    assert docs[2]["size"] == len("print(2)\n")


def test_tree_ids_repos_and_tasks(tmp_path, tree_kernel):
    for rel in ("a/x.py", "a/sub/y.py", "b/z.py", "top.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("pass\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref\n")
    settings = EngineSettings(task_files=2)
    plan = plan_inputs([(str(tmp_path), "src")], settings)
    assert [s.files for s in plan.shards] == [("a/sub/y.py", "a/x.py"), ("b/z.py", "top.py")]
    docs = pa.concat_tables(
        b.docs for s in plan.shards for b in read_shard(s, Columns(), settings, repo_depth=1)
    ).to_pylist()
    assert [(d["id"], d["repo"]) for d in docs] == [
        ("src/a/sub/y.py", "src/a"),
        ("src/a/x.py", "src/a"),
        ("src/b/z.py", "src/b"),
        ("src/top.py", "src"),
    ]
    deeper = read_shard(plan.shards[0], Columns(), settings, repo_depth=2)
    assert next(deeper).docs.column("repo").to_pylist() == ["src/a/sub", "src"]


def test_a_listed_tree_is_cut_by_its_listed_sizes(tmp_path):
    files, sizes = ["a.py", "b.py", "c.py", "d.py"], [10, 10, 25, 5]
    plan = plan_inputs([InputSpec(str(tmp_path), "t", files, sizes)], EngineSettings(task_bytes=20))
    assert [s.files for s in plan.shards] == [("a.py", "b.py"), ("c.py",), ("d.py",)]
    by_count = plan_inputs([InputSpec(str(tmp_path), "t", files)], EngineSettings(task_bytes=20, task_files=3))
    assert [s.files for s in by_count.shards] == [("a.py", "b.py", "c.py"), ("d.py",)]


@pytest.fixture(params=["compiled", "python-twin"])
def tree_kernel(request, monkeypatch) -> str:
    """The tree reader's loop: the compiled one (io/_treeread.c) or its plain-Python twin (io/treeread.py)."""
    if request.param == "python-twin":
        monkeypatch.setattr(readers, "_treeread", treeread)
    return request.param


def test_contents_buffer_reads_whole_files_grows_past_its_capacity_and_stops_at_a_bad_file(tmp_path, tree_kernel):
    """Files go straight into one buffer, each to its end whatever fstat said (a /proc file claims 0 bytes), a
    file larger than the buffer makes it grow, one over the cap is a null, and a file that cannot be read stops
    the loop with its errno (0: not a regular file) after the files before it; the same with either loop."""
    files = {"big": os.urandom(5000), "empty": b"", "small": b"abc", "capped": b"x" * 9000}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    os.mkfifo(tmp_path / "fifo")
    proc = Path("/proc/self/cmdline")
    assert proc.stat().st_size == 0
    rels = [*files, "gone", "fifo"]
    contents = Contents(capacity=8, slots=len(rels) + 1)
    prefix = os.fsencode(f"{tmp_path}/")
    assert contents.read(prefix, rels, 0, len(rels), 6000, 10**9) == (4, errno.ENOENT)
    assert contents.read(prefix, rels, 5, len(rels), 6000, 10**9) == (5, 0)
    assert contents.read(b"/", [str(proc)[1:]], 0, 1, None, 10**9) == (1, -1)
    values = contents.array().to_pylist()
    assert values[:4] == [files["big"], b"", b"abc", None] and values[4] == proc.read_bytes() != b""
    assert contents.sizes[: contents.n].tolist() == [5000, 0, 3, 9000, len(values[4])]
    assert contents.read(prefix, rels, 1, 3, None, 1) == (2, -1)  # stops once stop_bytes are held
    with pytest.raises(ValueError, match="embedded null byte"):  # as os.open: never a shorter path
        contents.read(prefix, ["small\0x"], 0, 1, None, 10**9)
    contents.n = sys.maxsize  # a slot so large that slot + files would wrap past the check: refused, not written
    with pytest.raises(ValueError, match="outside the lists and buffers"):
        contents.read(prefix, rels, 1, 3, None, 10**9)


def test_files_over_the_cap_are_not_read(tmp_path, tree_kernel):
    (tmp_path / "big.py").write_bytes(b"x" * 100)
    plan = plan_inputs([(str(tmp_path), None)], EngineSettings())
    doc = next(read_shard(plan.shards[0], Columns(), EngineSettings(), max_bytes=10)).docs.to_pylist()[0]
    assert doc["content"] is None and doc["size"] == 100


def test_plan_is_deterministic_and_fingerprints_inputs(tmp_path):
    path = _write("jsonl", tmp_path)
    a, b = plan_inputs([(str(path), None)], SETTINGS), plan_inputs([(str(path), None)], SETTINGS)
    assert a.shards == b.shards and a.fingerprint() == b.fingerprint()
    assert a.inputs[0]["size"] == path.stat().st_size


def test_bad_inputs_are_named(tmp_path):
    with pytest.raises(OpencoderError, match="no such file"):
        plan_inputs([(str(tmp_path / "missing.jsonl"), None)], SETTINGS)
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(OpencoderError, match="unknown input format"):
        plan_inputs([(str(tmp_path / "x.txt"), None)], SETTINGS)


def test_record_with_a_bad_field_is_a_line_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"text": 3}) + "\n" + json.dumps({"text": "ok", "stars": "many"}) + "\n")
    shard = plan_inputs([(str(path), None)], SETTINGS).shards[0]
    with pytest.raises(OpencoderError, match=r"d.jsonl:1: field 'text' is missing or not a string"):
        list(read_shard(shard, Columns(), SETTINGS))
    errors = pa.concat_tables(b.errors for b in read_shard(shard, Columns(), SETTINGS, on_error="skip"))
    assert errors.column("id").to_pylist() == [f"{path}:1", f"{path}:2"]
    assert "stars is not an integer" in errors.column("detail")[1].as_py()


def test_timestamps():
    assert to_timestamp(0) == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert to_timestamp("2024-05-01") == datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert to_timestamp(None) is None
