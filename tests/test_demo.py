"""`opencoder demo` end to end: refine, recall, tokenizer, tokenize, pretrain, synth (the small real teacher), anneal,
SFT stages 1 and 2, eval and report, each resumable."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pyarrow.parquet as pq

from opencoder import demo

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Real code of a few kilobytes each: enough text for a tokenizer and a few thousand training tokens.
MODULES = ["textwrap.py", "string.py", "shlex.py", "heapq.py", "bisect.py", "fnmatch.py", "colorsys.py", "glob.py"]
SMALL = demo.DemoScale(train_steps=40, eval_tasks=3, max_tokens=16, synth_seeds=2, synth_max_tokens=48, anneal_steps=4,
                       sft_steps=3, recall_rounds=1)  # fmt: skip
# Real pages for the recall step (C++ reference pages, Wikipedia articles, mail), stored as text files of the tree.
PAGES = Path(__file__).parent / "fixtures" / "recall" / "pool.jsonl.gz"


def _corpus(tmp_path: Path) -> Path:
    """A tree of real stdlib modules, one of them twice (an exact duplicate for refine to remove)."""
    root = tmp_path / "corpus" / "stdlib"
    root.mkdir(parents=True)
    for name in MODULES:
        shutil.copy(STDLIB / name, root / name)
    shutil.copy(STDLIB / MODULES[0], root / f"copy_of_{MODULES[0]}")
    docs = root.parent / "docs"
    docs.mkdir()
    with gzip.open(PAGES, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 5 == 0:  # 14 pages of every kind
                (docs / f"page{i}.md").write_text(json.loads(line)["text"], encoding="utf-8")
    return root.parent


def test_every_step_leaves_its_output_and_the_report_shows_training_and_eval(tmp_path):
    ctx = demo.run_demo(tmp_path / "demo", workers=1, scale=SMALL, corpus=_corpus(tmp_path))
    run = ctx.run_dir
    assert list(ctx.outputs) == [s.name for s in demo.DEMO_STEPS] and not ctx.skipped
    assert all(path.exists() for path in ctx.outputs.values())

    manifest = json.loads((run / "manifest.json").read_text())
    pages = len(list((_corpus(tmp_path / "count") / "docs").iterdir()))
    assert manifest["stages"][0]["in"] == len(MODULES) + 1 + pages
    kept = pq.read_table(run / "kept", columns=["id", "doc_type"])
    assert kept.num_rows == manifest["stages"][-1]["kept"] <= len(MODULES) + pages

    # recall: the kept text documents scored by fastText trained on the shipped seeds; the recalled ones listed
    pool = [json.loads(line)["id"] for line in (run / "recall" / "seeds-text.jsonl").read_text().splitlines()]
    assert len(pool) == kept.column("doc_type").to_pylist().count("text") > 0
    recall = json.loads((run / "recall" / "recall.json").read_text())["rounds"]
    assert [r["round"] for r in recall] == [1] and recall[0]["pool"] == len(pool)
    recalled = [json.loads(line)["id"] for line in (run / "recall" / "recalled.jsonl").read_text().splitlines()]
    assert len(recalled) == recall[0]["recalled"] and set(recalled) <= set(pool)
    assert json.loads((run / "tokens" / "meta.json").read_text())["num_tokens"] > 0

    losses = [json.loads(line)["loss"] for line in (run / "pretrain" / "metrics.jsonl").read_text().splitlines()]
    assert len(losses) == SMALL.train_steps
    assert sum(losses[-5:]) / 5 < losses[0] - 0.3  # the loss visibly falls
    assert (run / "pretrain" / "hf" / "config.json").is_file()

    summary = json.loads((run / "synth" / "summary.json").read_text())
    assert list(summary) == ["algorithmic", "snippets", "textbooks", "educational", "package", "diverse"]
    for recipe in summary:  # every seed of every recipe ends as a sample or a recorded rejection
        stats = json.loads((run / "synth" / recipe / "synth.json").read_text())
        lines = [(run / "synth" / recipe / f).read_text().count("\n") for f in ("samples.jsonl", "rejected.jsonl")]
        assert stats["seeds"] == sum(lines) == summary[recipe]["seeds"] and stats["kept"] == lines[0]
    assert summary["snippets"]["seeds"] == summary["package"]["seeds"] == SMALL.synth_seeds
    anneal = [json.loads(line) for line in (run / "anneal" / "metrics.jsonl").read_text().splitlines()]
    assert len(anneal) == SMALL.anneal_steps and (run / "anneal" / "hf" / "config.json").is_file()
    for stage, recipes in demo.SFT_STAGES.items():  # trained on what passed, or on the stand-in pairs
        assert (run / stage / "hf" / "config.json").is_file()
        data = [Path(d["path"]) for d in json.loads((run / stage / "recipe.json").read_text())["data"]]
        passed = [run / "synth" / r / "samples.jsonl" for r in recipes if summary[r]["kept"]]
        assert data == (passed or [run / "sft-stand-in" / f"{stage}.jsonl"])
        if not passed:  # the stand-in's instruction pairs
            assert all(json.loads(line)["instruction"] for line in data[0].read_text().splitlines())

    results = json.loads((run / "eval" / "humaneval" / "results.json").read_text())
    assert 0.0 <= results["pass@k"]["pass@1"] <= 1.0
    assert [t["task_id"] for t in results["per_task"]] == [f"HumanEval/{i}" for i in range(SMALL.eval_tasks)]
    assert all(len(t["outcomes"]) == 1 for t in results["per_task"])  # each completion ran in the sandbox

    html = (run / "report.html").read_text()
    for section in ("Funnel", "Recall of code-related text", "Synthetic data", "Training curves", "Evaluation results"):
        assert f"<h2>{section}</h2>" in html
    assert "pretrain/metrics.jsonl" in html and "anneal/metrics.jsonl" in html and "eval/humaneval/results.json" in html
    assert "synth/snippets: snippets (anneal)" in html

    # A rerun skips every step whose output exists and only rewrites the report.
    before = {name: path.stat().st_mtime_ns for name, path in ctx.outputs.items() if name != "report"}
    again = demo.run_demo(tmp_path / "demo", workers=1, scale=SMALL, corpus=_corpus(tmp_path / "again"))
    assert again.skipped == list(before) and list(again.seconds) == ["report"]
    assert {name: again.outputs[name].stat().st_mtime_ns for name in before} == before


def test_cli_demo_on_the_machines_code_prints_the_report_path(tmp_path):
    """Also on a machine whose bubblewrap does not work (a stand-in that fails comes first on PATH): the demo runs
    and says plainly that the programs ran without isolation and how to install bubblewrap."""
    out = tmp_path / "demo"
    (fake := tmp_path / "bin" / "bwrap").parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    cmd = [sys.executable, "-m", "opencoder.cli", "demo", "--out", str(out), "--max-mb", "1.5", "--workers", "1"]
    cmd += ["--train-steps", "5", "--eval-tasks", "1", "--synth-seeds", "1", "--synth-max-tokens", "8"]
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)  # minutes on a loaded machine
    assert done.returncode == 0, done.stderr[-3000:]
    assert "bubblewrap is missing or does not work here" in done.stderr
    assert "apt-get install bubblewrap" in " ".join(done.stderr.split())  # the console may wrap the line
    report = out / "run" / "report.html"
    assert done.stdout.strip().splitlines()[-1] == str(report)
    assert "total" in done.stderr and "pretrain" in done.stderr  # the per-step wall times
    html = report.read_text()
    assert "<h2>Funnel</h2>" in html and "<h2>Languages</h2>" in html
    manifest = json.loads((out / "run" / "manifest.json").read_text())
    stages = manifest["stages"]
    assert [s["name"] for s in stages][:5] == ["read", "preprocess", "notebook", "langid", "exact_dedup"]
    assert all(s["in"] == s["kept"] + s["removed"] for s in stages)
    labels = {i["label"] for i in manifest["inputs"]}
    assert "python-stdlib" in labels and sum(i["bytes"] for i in manifest["inputs"]) <= 1_500_000
    kept = pq.read_table(out / "run" / "kept", columns=["id", "lang"])
    assert kept.num_rows == stages[-1]["kept"] and "python" in kept.column("lang").to_pylist()


def test_steps_run_in_order_and_fresh_starts_over(tmp_path, monkeypatch):
    seen = []

    def step(name):
        def run(ctx):
            seen.append((name, ctx.run_dir.is_dir()))
            (ctx.run_dir / name).write_text(name)
            return ctx.run_dir / name

        return demo.Step(name, run, lambda ctx: ctx.run_dir / name)

    monkeypatch.setattr(demo, "DEMO_STEPS", [step("first"), step("second")])
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "stale").write_text("from an earlier demo")
    (tmp_path / "run" / "first").write_text("first")
    ctx = demo.run_demo(tmp_path, max_bytes=1, workers=1)
    assert seen == [("second", True)] and ctx.skipped == ["first"]
    assert ctx.outputs == {"first": tmp_path / "run" / "first", "second": tmp_path / "run" / "second"}
    ctx = demo.run_demo(tmp_path, max_bytes=1, workers=1, fresh=True)
    assert seen == [("second", True), ("first", True), ("second", True)] and not ctx.skipped
    assert not (tmp_path / "run" / "stale").exists()
