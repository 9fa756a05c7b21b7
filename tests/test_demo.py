"""`opencoder demo` end to end on a small sample of the code on this machine."""

import json
import subprocess
import sys

import pyarrow.parquet as pq

from opencoder import demo


def test_demo_refines_the_machines_code_and_prints_the_report_path(tmp_path):
    out = tmp_path / "demo"
    cmd = [sys.executable, "-m", "opencoder.cli", "demo", "--out", str(out), "--max-mb", "1.5", "--workers", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = out / "run" / "report.html"
    assert done.stdout.strip().splitlines()[-1] == str(report)
    html = report.read_text()
    assert "<h2>Funnel</h2>" in html and "<h2>Languages</h2>" in html
    manifest = json.loads((out / "run" / "manifest.json").read_text())
    stages = manifest["stages"]
    assert [s["name"] for s in stages][:4] == ["read", "preprocess", "langid", "exact_dedup"]
    assert all(s["in"] == s["kept"] + s["removed"] for s in stages)
    labels = {i["label"] for i in manifest["inputs"]}
    assert "python-stdlib" in labels and sum(i["bytes"] for i in manifest["inputs"]) <= 1_500_000
    kept = pq.read_table(out / "run" / "kept", columns=["id", "lang"])
    assert kept.num_rows == stages[-1]["kept"] and "python" in kept.column("lang").to_pylist()


def test_steps_run_in_order_and_a_new_step_is_one_entry(tmp_path, monkeypatch):
    seen = []

    def step(name):
        def run(ctx):
            seen.append((name, ctx.run_dir.is_dir()))
            return ctx.run_dir / name

        return demo.Step(name, run)

    monkeypatch.setattr(demo, "DEMO_STEPS", [step("first"), step("second")])
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "stale").write_text("from an earlier demo")
    ctx = demo.run_demo(tmp_path, max_bytes=1, workers=1)
    assert seen == [("first", True), ("second", True)]
    assert ctx.outputs == {"first": tmp_path / "run" / "first", "second": tmp_path / "run" / "second"}
    assert not (tmp_path / "run" / "stale").exists()
