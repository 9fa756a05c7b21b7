"""The signals and filter stages in a real run: accounting, stored signals, lineage, and re-filtering."""

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opencoder.engine.stage import StageContext
from opencoder.refine.filter import FilterParams, build_filter
from opencoder.refine.signals.runner import SIGNAL_NAMES, SignalsParams, build_signals

CTX = StageContext(seed=42, run_dir=Path("."))


def stdlib_files(n: int) -> list[Path]:
    """``n`` real modules of this Python's json package and standard library (deterministic choice)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return (sorted((stdlib / "json").glob("*.py")) + sorted(stdlib.glob("*.py")))[:n]


def docs(*rows: dict) -> pa.Table:
    base = {"text": "", "path": "f.py", "lang": "python", "doc_type": "code", "size": None}
    return pa.Table.from_pylist([{**base, "id": f"d{i}", **r} for i, r in enumerate(rows)])


def test_signals_then_filter_account_for_every_document_and_record_the_rules_hit():
    good = stdlib_files(1)[0].read_text()
    batch = docs({"text": good}, {"text": "x = 1\n"}, {"text": "hello", "doc_type": "unknown", "lang": ""})
    signals = build_signals(SignalsParams(), CTX).process(batch)
    assert signals.kept.num_rows == 3 and signals.removed.num_rows == 0
    assert signals.outputs["signals"].column_names == ["id", "nl_lang", *SIGNAL_NAMES]
    filtered = build_filter(FilterParams(), CTX).process(signals.kept)
    assert filtered.kept.num_rows + filtered.removed.num_rows == 3
    assert filtered.kept.column("id").to_pylist() == ["d0"]
    assert not any(c.startswith("qsc_") for c in filtered.kept.column_names)
    removed = filtered.removed.to_pylist()
    assert [(r["id"], r["stage"], r["reason"]) for r in removed] == [
        ("d1", "filter", "rules"),
        ("d2", "filter", "doc_type"),
    ]
    # "x = 1\n": 3 words < 30, 6 characters < 50, 1 line < 10, ...
    assert {"qsc_code_num_words", "qsc_code_num_chars", "qsc_code_num_lines"} <= set(removed[0]["rules"])
    assert removed[1]["detail"] == "unknown"
    assert filtered.counters["hit_qsc_code_num_words"] == 1


def test_signal_timeout_is_a_recorded_removal(monkeypatch):
    from opencoder.refine.signals import code

    def slow(doc):
        import time

        time.sleep(5)

    monkeypatch.setitem(code.SIGNALS, "qsc_code_cate_autogen", slow)
    result = build_signals(SignalsParams(timeout_s=0.1), CTX).process(docs({"text": "a = 1\n"}))
    assert result.kept.num_rows == 0
    row = result.removed.to_pylist()[0]
    assert (row["stage"], row["reason"]) == ("signals", "signal_timeout")
    assert "qsc_code_cate_autogen" in row["detail"]
    assert result.counters["signal_timeout"] == 1


def test_filter_without_signals_is_an_error():
    from opencoder.errors import OpencoderError

    with pytest.raises(OpencoderError, match="signals stage"):
        build_filter(FilterParams(), CTX).process(docs({"text": "x"}))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opencoder.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def signals_run(tmp_path_factory):
    tree = tmp_path_factory.mktemp("tree")
    for i, src in enumerate(stdlib_files(12)):
        shutil.copyfile(src, tree / f"{i:02d}_{src.name}")
    (tree / "tiny.py").write_text("x = 1\n")
    (tree / "README.md").write_text("# Title\n\nA short readme with a few words in it.\n")
    out = tmp_path_factory.mktemp("run") / "run"
    proc = run_cli("signals", str(tree), "--out", str(out), "--workers", "1", "--repo-depth", "0")
    assert proc.returncode == 0, proc.stderr
    return out


def counts(out: Path) -> tuple[int, int]:
    kept = sum(pq.ParquetFile(p).metadata.num_rows for p in (out / "kept").glob("*.parquet"))
    removed = sum(pq.ParquetFile(p).metadata.num_rows for p in (out / "removed").glob("*.parquet"))
    return kept, removed


def test_signals_command_writes_the_run_layout(signals_run):
    manifest = json.loads((signals_run / "manifest.json").read_text())
    assert [s["name"] for s in manifest["stages"]] == ["read", "langid", "signals", "filter"]
    signals = pq.read_table(signals_run / "signals")
    assert signals.num_rows == 14
    assert signals.column_names[:2] == ["id", "nl_lang"] and signals.num_columns == 120
    assert counts(signals_run) == (manifest["documents"]["kept"], manifest["documents"]["removed"])
    assert sum(counts(signals_run)) == 14
    removed = pq.read_table(signals_run / "removed").to_pylist()
    tiny = next(r for r in removed if r["path"].endswith("tiny.py"))
    assert tiny["stage"] == "filter" and "qsc_code_num_words" in tiny["rules"]


def test_filter_command_rethresholds_without_recomputing(signals_run, tmp_path):
    signals_file = next((signals_run / "signals").glob("*.parquet"))
    stamp = signals_file.stat().st_mtime_ns
    kept_before, removed_before = counts(signals_run)
    rules = tmp_path / "strict.yaml"
    rules.write_text("python:\n  qsc_code_num_lines: {lt: 100000}\n")  # every Python file is "too short"
    proc = run_cli("filter", str(signals_run), "--rules", str(rules))
    assert proc.returncode == 0, proc.stderr
    kept, removed = counts(signals_run)
    assert kept < kept_before and kept + removed == kept_before + removed_before
    assert all(r["lang"] != "python" for r in pq.read_table(signals_run / "kept").to_pylist())
    # back to the shipped rules: the original decision returns
    assert run_cli("filter", str(signals_run)).returncode == 0
    assert counts(signals_run) == (kept_before, removed_before)
    assert signals_file.stat().st_mtime_ns == stamp  # signals were never recomputed
    manifest = json.loads((signals_run / "manifest.json").read_text())
    assert len(manifest["refilter"]) == 2


def test_filter_command_reports_a_bad_rules_file_in_one_line(signals_run, tmp_path):
    rules = tmp_path / "bad.yaml"
    rules.write_text("python:\n  qsc_code_num_lines: {between: 3}\n")
    proc = run_cli("filter", str(signals_run), "--rules", str(rules))
    assert proc.returncode == 2
    assert "bad.yaml" in proc.stderr and "qsc_code_num_lines" in proc.stderr
