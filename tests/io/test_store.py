"""Where files live: local paths stay plain ``Path``s (the direct, memory-mapped I/O), URLs go through fsspec; the
writers and readers give the same tables either way (fsspec's in-memory file system stands in for a store here;
tests/engine/test_object_store.py runs the engine against a real S3 server)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("fsspec")

from opencoder.errors import OpencoderError
from opencoder.io.readers import InputSpec, plan_inputs, read_shard
from opencoder.io.settings import Columns, EngineSettings
from opencoder.io.store import ObjectPath, is_url, location
from opencoder.io.writers import (
    ArrowSink,
    ParquetSink,
    read_arrow,
    read_group,
    write_groups_atomic,
    write_json_atomic,
)


def test_local_paths_stay_paths_and_urls_become_object_paths(tmp_path):
    assert location(str(tmp_path)) == tmp_path and isinstance(location(str(tmp_path)), Path)
    assert location(f"file://{tmp_path}") == tmp_path
    assert not is_url("runs/r1") and not is_url("file:///x") and is_url("s3://b/k") and is_url("memory://x")
    run = location("memory://oc-store/run")
    assert isinstance(run, ObjectPath) and str(run / "kept" / "t1.parquet") == "memory://oc-store/run/kept/t1.parquet"
    assert (run / "kept" / "t1.parquet").stem == "t1" and (run / "kept").parent == run


def test_writers_and_readers_round_trip_through_a_url():
    run = location("memory://oc-store/writers")
    table = pa.table({"id": [f"d{i}" for i in range(10)], "n": list(range(10))})
    sink = ParquetSink(run / "kept" / "t0.parquet", row_group_rows=4)
    sink.write(table)
    assert not (run / "kept" / "t0.parquet").exists()  # nothing appears before the commit
    sink.commit()
    assert ParquetSink(run / "kept" / "t9.parquet").rows == 0
    arrow = ArrowSink(run / "work" / "t0.arrow")
    arrow.write(table)
    arrow.commit()
    assert read_arrow(run / "work" / "t0.arrow") == table
    write_groups_atomic(run / "map" / "t0.arrow", table, np.arange(10) % 3, 3)
    assert read_group(run / "map" / "t0.arrow", 1).column("id").to_pylist() == ["d1", "d4", "d7"]
    write_json_atomic(run / "stats" / "t0-s0.json", {"task": "t0"})
    assert json.loads((run / "stats" / "t0-s0.json").read_text()) == {"task": "t0"}
    found = [str(p.relative_to(run)) for p in run.glob("*/t0*")]
    assert found == ["kept/t0.parquet", "map/t0.arrow", "stats/t0-s0.json", "work/t0.arrow"]

    docs = plan_inputs([InputSpec("memory://oc-store/writers/kept")], EngineSettings())
    assert [s.kind for s in docs.shards] == ["parquet"] and docs.inputs[0]["size"] > 0
    (batch,) = read_shard(docs.shards[0], Columns(text="id"), EngineSettings())
    assert batch.docs.column("id").to_pylist() == [f"d{i}" for i in range(10)]


def test_a_tree_under_a_url_is_read_as_a_local_tree(tmp_path):
    root = location("memory://oc-store/tree")
    files = {"r/a.py": b"x = 1\n", "r/b.py": b"y = 2\n", "r/.git/HEAD": b"ref\n", "s/c.txt": b"hello\n"}
    for rel, data in files.items():
        (root / rel).write_bytes(data)
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    settings = EngineSettings(task_files=2)
    remote = plan_inputs([InputSpec(str(root), "tree")], settings)
    local = plan_inputs([InputSpec(str(tmp_path), "tree")], settings)
    assert [s.files for s in remote.shards] == [s.files for s in local.shards] == [("r/a.py", "r/b.py"), ("s/c.txt",)]

    def read(plan):
        rows = [
            b.docs.select(["id", "repo", "size", "content"])
            for s in plan.shards
            for b in read_shard(s, Columns(), settings)
        ]
        return pa.concat_tables(rows).to_pylist()

    assert read(remote) == read(local)
    with pytest.raises(OpencoderError, match=r"^memory://oc-store/none: no such file or directory"):
        plan_inputs([InputSpec("memory://oc-store/none")], settings)
