"""Bad input: each case gets a message naming the file and line (or key); ``fail`` stops, ``skip`` records
it."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from core_fixtures import stdlib_files

from opencoder.engine.recipe import load_recipe, parse_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.errors import OpencoderError
from opencoder.io import readers

RECIPE = {"stages": [{"name": "preprocess"}, {"name": "langid"}, {"name": "exact_dedup"}]}


def _records(n: int = 6) -> list[dict]:
    return [{"id": f"doc{i}", "text": src.read_text(), "path": src.name} for i, src in enumerate(stdlib_files(n))]


def _refine(path, tmp_path, on_error):
    return run_recipe(
        [(str(path), None)], tmp_path / f"out-{on_error}", parse_recipe(RECIPE), RunOptions(on_error=on_error)
    )


def _removed(run_dir):
    return [r for f in sorted((run_dir / "removed").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def _check_both_policies(path, tmp_path, message, n_good):
    with pytest.raises(OpencoderError, match=message):
        _refine(path, tmp_path, "fail")
    manifest = _refine(path, tmp_path, "skip")
    read = manifest["stages"][0]
    assert read["kept"] == n_good and read["removed"] == 1 and read["reasons"] == {"read_error": 1}
    errors = [r for r in _removed(tmp_path / "out-skip") if r["reason"] == "read_error"]
    assert len(errors) == 1 and errors[0]["stage"] == "read"
    return errors[0]


def test_malformed_jsonl_line(tmp_path):
    lines = [json.dumps(r) for r in _records()]
    lines[3] = lines[3][:40]  # a line cut short
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines) + "\n")
    err = _check_both_policies(path, tmp_path, rf"{path}:4: ", n_good=5)
    assert err["id"] == f"{path}:4" and err["detail"]


def test_truncated_gzip(tmp_path):
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in _records()).encode())
    path = tmp_path / "data.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(OpencoderError, match=rf"{path}:\d+: cannot read"):
        _refine(path, tmp_path, "fail")
    manifest = _refine(path, tmp_path, "skip")
    assert manifest["stages"][0]["removed"] == 1
    assert manifest["stages"][0]["kept"] < 6


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pylist(_records()), path)
    raw = path.read_bytes()
    path.write_bytes(raw[:100] + b"\xff" * 200 + raw[300:])
    with pytest.raises(OpencoderError, match=rf"{path}:row 0: cannot read row group 0"):
        _refine(path, tmp_path, "fail")
    read = _refine(path, tmp_path, "skip")["stages"][0]  # its one row group: each of its rows a read error
    assert (read["in"], read["kept"], read["reasons"]) == (6, 0, {"read_error": 6})
    errors = _removed(tmp_path / "out-skip")
    assert [r["id"] for r in errors] == [f"{path}:{i}" for i in range(6)]
    assert all("cannot read" in r["detail"] for r in errors)


def test_missing_text_column_names_the_column(tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"content": ["x = 1\n"], "path": ["a.py"]}), path)
    with pytest.raises(OpencoderError, match="no text column 'text'"):
        _refine(path, tmp_path, "fail")


@pytest.mark.parametrize("kind", ["dangling symlink", "fifo", "removed after planning"])
def test_unreadable_file_in_a_tree(tmp_path, kind, monkeypatch):
    tree = tmp_path / "tree"
    (tree / "repo").mkdir(parents=True)
    for src in stdlib_files(3):
        (tree / "repo" / src.name).write_bytes(src.read_bytes())
    bad = tree / "repo" / "zz_bad.py"
    if kind == "dangling symlink":
        bad.symlink_to(tmp_path / "nowhere.py")
    elif kind == "fifo":
        os.mkfifo(bad)
    else:
        plan = readers.plan_inputs

        def plan_then_remove(*args, **kwargs):
            bad.write_text("x = 1\n")
            result = plan(*args, **kwargs)
            bad.unlink(missing_ok=True)
            return result

        monkeypatch.setattr("opencoder.engine.runner.plan_inputs", plan_then_remove)
    err = _check_both_policies(tree, tmp_path, rf"{bad}: ", n_good=3)
    assert err["id"] == "tree/repo/zz_bad.py" and err["path"] == "repo/zz_bad.py"


def test_unknown_recipe_key_names_key_and_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("stages:\n  - name: preprocess\n    params: {max_bytez: 10}\n")
    with pytest.raises(OpencoderError, match=rf"{path}: stages\[0\]\.params\.max_bytez: unknown key"):
        load_recipe(path)
    path.write_text("stages: []\nsede: 1\n")
    with pytest.raises(OpencoderError, match=rf"{path}: sede: unknown key"):
        load_recipe(path)


def test_wrong_type_in_recipe_names_key_and_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("stages:\n  - name: exact_dedup\n    params: {partitions: many}\n")
    with pytest.raises(OpencoderError, match=rf"{path}: stages\[0\]\.params\.partitions: .*integer"):
        load_recipe(path)


def test_unknown_stage_lists_known_ones(tmp_path):
    with pytest.raises(OpencoderError, match=r"unknown stage 'dedup'.*exact_dedup"):
        parse_recipe({"stages": [{"name": "dedup"}]}, "x.yaml")


def test_cli_prints_one_line_and_exits_2(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("stages: []\nbogus: 1\n")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "opencoder.cli",
            "refine",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
            "--recipe",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {path}: bogus: unknown key"
