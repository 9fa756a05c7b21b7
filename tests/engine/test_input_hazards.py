"""Inputs that used to lose documents, crash or hang a run (issue 14, items 2, 3, 6 and 7): a corrupt Parquet row
group, folders of data files, symlink loops, FIFOs and folders named like data files."""

from __future__ import annotations

import io
import json
import os
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opencoder.engine.recipe import parse_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.errors import OpencoderError
from opencoder.io.readers import plan_inputs
from opencoder.io.settings import EngineSettings
from opencoder.train.sources import expand_inputs

RECIPE = parse_recipe({"stages": [{"name": "preprocess"}, {"name": "exact_dedup"}]})


def _run(inputs, out, on_error="skip"):
    return run_recipe([str(i) for i in inputs], out, RECIPE, RunOptions(on_error=on_error))


def _rows(folder):
    return [r for f in sorted(folder.glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def _corrupt_row_group(path, group):
    """Overwrite the text column chunk of one row group with garbage (its page headers no longer parse)."""
    chunk = pq.ParquetFile(path).metadata.row_group(group).column(1)
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(path.read_bytes())
    data[start : start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    path.write_bytes(bytes(data))


def test_a_corrupt_parquet_row_group_loses_only_its_own_rows(tmp_path):
    path = tmp_path / "five.parquet"
    texts = [f"value_{i} = {i} * 3\n" for i in range(100)]
    pq.write_table(pa.table({"id": [f"d{i}" for i in range(100)], "text": texts}), path, row_group_size=20)
    _corrupt_row_group(path, 2)

    manifest = _run([path], tmp_path / "out")
    read = manifest["stages"][0]
    assert (read["in"], read["kept"], read["reasons"]) == (100, 80, {"read_error": 20})
    kept = _rows(tmp_path / "out" / "kept")
    assert sorted(r["text"] for r in kept) == sorted(texts[:40] + texts[60:])
    errors = _rows(tmp_path / "out" / "removed")
    assert sorted(r["id"] for r in errors) == sorted(f"{path}:{i}" for i in range(40, 60))
    assert all("row group 2" in r["detail"] for r in errors)
    with pytest.raises(OpencoderError, match=rf"{path}:row 40: cannot read row group 2"):
        _run([path], tmp_path / "strict", on_error="fail")


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_folder_of_data_files_is_read_as_a_data_set_by_every_command(tmp_path):
    data = tmp_path / "data"
    (data / "part").mkdir(parents=True)
    _jsonl(data / "a.jsonl", [{"id": "a1", "text": "x = 1\n"}, {"id": "a2", "text": "y = 2\n"}])
    _jsonl(data / "part" / "b.jsonl", [{"id": "b1", "text": "z = 3\n"}])
    manifest = _run([data], tmp_path / "out")
    assert manifest["documents"]["in"] == 3 and "warnings" not in manifest
    assert sorted(r["id"] for r in _rows(tmp_path / "out" / "kept")) == ["a1", "a2", "b1"]
    # a run's kept/ folder is a data set too: what `opencoder dedup runs/r/kept` reads
    _run([tmp_path / "out" / "kept"], tmp_path / "again")
    assert sorted(r["text"] for r in _rows(tmp_path / "again" / "kept")) == ["x = 1\n", "y = 2\n", "z = 3\n"]
    assert expand_inputs([data]) == [data / "a.jsonl", data / "part" / "b.jsonl"]


def test_a_doubtful_folder_is_a_source_tree_with_a_warning(tmp_path, capsys):
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "tool.py").write_text("print(1)\n")
    _jsonl(mixed / "rows.jsonl", [{"id": "r", "text": "t"}])
    named = tmp_path / "data.jsonl"  # a folder named like a data file
    named.mkdir()
    (named / "x.py").write_text("x = 1\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    manifest = _run([mixed, named, empty], tmp_path / "out")
    assert manifest["documents"]["in"] == 3  # tool.py, rows.jsonl, x.py: each one document
    warnings = manifest["warnings"]
    assert len(warnings) == 3 and "1 are (e.g. rows.jsonl)" in warnings[0]
    assert "named like a data file" in warnings[1] and "holds no files" in warnings[2]
    assert warnings[0] in capsys.readouterr().err
    with pytest.raises(OpencoderError, match="read as a source tree"):
        expand_inputs([mixed])


def test_a_symlink_loop_is_a_read_error(tmp_path):
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "a.py").symlink_to("b.py")
    (tree / "b.py").symlink_to("a.py")
    (tree / "ok.py").write_text("print('ok')\n")
    manifest = _run([tree], tmp_path / "out")
    assert manifest["stages"][0]["reasons"] == {"read_error": 2} and manifest["documents"]["kept"] == 1
    errors = _rows(tmp_path / "out" / "removed")
    assert sorted(r["id"] for r in errors) == ["t/a.py", "t/b.py"]
    assert all("symbolic links" in r["detail"] for r in errors)
    with pytest.raises(OpencoderError, match="cannot read"):
        plan_inputs([(str(tree / "a.py"), None)], EngineSettings())


def _finishes(fn, timeout_s=60.0):
    """Whether ``fn`` returns (or raises) within the timeout: a hang fails the test instead of the whole suite."""
    outcome: list[BaseException | None] = []

    def target():
        try:
            fn()
            outcome.append(None)
        except BaseException as err:  # handed to the test
            outcome.append(err)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert outcome, "hung"
    return outcome[0]


def test_special_files_are_refused_or_recorded_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    err = _finishes(lambda: _run([fifo], tmp_path / "out"))
    assert isinstance(err, OpencoderError) and "not a regular file (a FIFO)" in str(err)
    tree = tmp_path / "t"
    tree.mkdir()
    os.mkfifo(tree / "in.py")
    (tree / "ok.py").write_text("x = 1\n")
    assert _finishes(lambda: _run([tree], tmp_path / "tree")) is None
    errors = _rows(tmp_path / "tree" / "removed")
    assert [(r["id"], r["detail"]) for r in errors] == [("t/in.py", "not a regular file (a FIFO)")]


def test_a_repeated_id_stops_the_run_before_any_work_naming_both_places(tmp_path):
    """Issue 14.1: both rows sharing the id "dup" were removed as exact duplicates, the unique text with them."""
    path = tmp_path / "rows.jsonl"
    _jsonl(
        path, [{"id": "dup", "text": "one = 1\n"}, {"id": "dup", "text": "two = 2\n"}, {"id": "a", "text": "two = 2\n"}]
    )
    with pytest.raises(OpencoderError, match=rf"id 'dup' is used twice, at {path}:1 and at {path}:2"):
        _run([path], tmp_path / "out")
    assert not (tmp_path / "out").exists()

    unique = tmp_path / "unique.parquet"
    pq.write_table(pa.table({"id": ["p", "q"], "text": ["x = 1\n", "y = 2\n"]}), unique)
    with pytest.raises(OpencoderError, match=rf"{unique}: {unique} would be read twice \(given twice\)"):
        _run([unique, unique], tmp_path / "twice")  # the same input given twice: never a duplicate_of itself
    (tmp_path / "set").mkdir()
    copy = tmp_path / "set" / "u.parquet"
    copy.write_bytes(unique.read_bytes())
    with pytest.raises(OpencoderError, match=rf"id 'p' is used twice, at {unique}:row 0 and at {copy}:row 0"):
        _run([unique, tmp_path / "set"], tmp_path / "copied")  # a copy in a data folder
    with pytest.raises(OpencoderError, match=rf"would be read twice \(also read through {tmp_path / 'set'}\)"):
        _run([tmp_path / "set", copy], tmp_path / "through")
    tree = tmp_path / "src"
    tree.mkdir()
    (tree / "a.py").write_text("x = 1\n")
    _jsonl(tmp_path / "clash.jsonl", [{"id": "src/a.py", "text": "x = 1\n"}])
    with pytest.raises(OpencoderError, match=rf"id 'src/a.py' is used twice, at {tree}/a.py and at"):
        _run([tree, tmp_path / "clash.jsonl"], tmp_path / "clash")
    # without ids the rows are numbered by file and line: the same rows run, the duplicate text removed once
    recipe = parse_recipe({"columns": {"id": None}, "stages": [{"name": "preprocess"}, {"name": "exact_dedup"}]})
    manifest = run_recipe([str(path)], tmp_path / "numbered", recipe, RunOptions())
    assert manifest["documents"] == {"in": 3, "kept": 2, "removed": 1}
    removed = _rows(tmp_path / "numbered" / "removed")
    assert [(r["id"], r["duplicate_of"]) for r in removed] == [(f"{path}:3", f"{path}:2")]


def test_every_run_applies_the_size_cap_without_holding_a_huge_line(tmp_path):
    """Issue 14.8: `opencoder signals` (no preprocess stage) read a 200 MB one-line file whole. The recipe's
    ``engine.max_doc_bytes`` caps a run without preprocess; a JSONL line past 6 times the cap is skipped in chunks."""
    from opencoder.io.readers import bounded_lines
    from opencoder.refine.signals.runner import signals_recipe

    huge = b'{"id": "h", "text": "' + b"x" * 5_000_000 + b'"}\n'
    lines = list(bounded_lines(io.BytesIO(b'{"id": "a"}\n' + huge + b"{}\n"), 1000))
    assert lines == [(12, b'{"id": "a"}\n'), (len(huge), None), (3, b"{}\n")]

    data = tmp_path / "rows.jsonl"
    data.write_bytes(
        huge + json.dumps({"id": "small", "path": "f.py", "text": "def f():\n    return 1\n"}).encode() + b"\n"
    )
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "big.py").write_text("x = 1\n" * 1000)
    (tree / "ok.py").write_text("def g():\n    return 2\n")
    recipe = signals_recipe(parse_recipe({"engine": {"max_doc_bytes": 1000}, "stages": [{"name": "signals"}]}))
    manifest = run_recipe([str(data), str(tree)], tmp_path / "out", recipe, RunOptions())
    assert manifest["stages"][0]["reasons"] == {"too_large": 2}
    removed = {r["id"]: r for r in _rows(tmp_path / "out" / "removed")}
    assert removed["t/big.py"]["reason"] == removed[f"{data}:1"]["reason"] == "too_large"
    assert removed["t/big.py"]["detail"] == "6000 bytes > 1000"
    signals = _rows(tmp_path / "out" / "signals")
    assert sorted(r["id"] for r in signals) == ["small", "t/ok.py"]
