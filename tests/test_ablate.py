"""`opencoder ablate` end to end at the smallest size: real stdlib code with planted duplicates, two variants
(no dedup, file-level dedup), real tokenizer and tiny-model training, held-out loss per checkpoint, one page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from opencoder.ablate import load_ablation, run_ablation
from opencoder.ablate.sources import NAMED, pairs
from opencoder.errors import OpencoderError
from opencoder.io.benchmark_files import MBPP_TEST_RANGE

STDLIB = Path(sysconfig.get_paths()["stdlib"])
REPO = Path(__file__).resolve().parents[1]


def _corpus(root: Path) -> Path:
    files = sorted((STDLIB / "json").glob("*.py")) + sorted(STDLIB.glob("[a-c]*.py"))[:20]
    for i, src in enumerate(files):
        for copy in range(1 + (i % 3 == 0)):  # every third file twice, in another repository
            dst = root / f"repo{copy}" / src.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    return root


def _spec(tmp: Path, **changes) -> Path:
    spec = {
        "name": "tiny-test",
        "seed": 3,
        "corpus": {"paths": [str(_corpus(tmp / "corpus"))], "languages": ["python"]},
        "validation_share": 0.15,
        "validation_windows": 8,
        "vocab_size": 512,
        "train": {"model": "tiny", "seq_len": 32, "micro_batch": 4, "global_batch": 4, "max_steps": 4, "lr": 3e-3},
        "eval_every": 2,
        "variants": [{"name": "none", "stages": []}, {"name": "file", "stages": [{"name": "exact_dedup"}]}],
        **changes,
    }
    path = tmp / "ablation.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_two_variants_train_alike_and_the_page_shows_one_curve_each(tmp_path):
    page = run_ablation(_spec(tmp_path), tmp_path / "out", workers=1, log=lambda _: None)
    out = tmp_path / "out"
    held = {v: json.loads((out / "variants" / v / "train" / "held_out.json").read_text()) for v in ("none", "file")}
    for data in held.values():
        assert data["steps"] == [2, 4] and all(0 < x < 10 for x in data["loss"])
    recipes = [json.loads((out / "variants" / v / "train" / "recipe.json").read_text()) for v in ("none", "file")]
    assert recipes[0] == recipes[1] | {"data": recipes[0]["data"]}  # same seed, model, budget; only the data differ
    kept = {v: json.loads((out / "variants" / v / "tokens" / "meta.json").read_text()) for v in ("none", "file")}
    assert kept["file"]["num_documents"] < kept["none"]["num_documents"]  # the planted copies went
    html = page.read_text()
    chart = re.search(r'<svg[^>]*aria-label="held-out loss vs step".*?</svg>', html, re.S).group(0)
    assert chart.count("<polyline") == 2 and ">none<" in chart and ">file<" in chart
    assert "What a tiny CPU run can and cannot show" in html
    scatter = re.search(r'<svg[^>]*aria-label="PCA of the kept documents".*?</svg>', html, re.S).group(0)
    assert scatter.count("<g ") == 2  # one point set per variant
    again = run_ablation(_spec(tmp_path), out, workers=1, log=lambda _: None)  # every step's output exists
    assert again.read_text().count("<polyline") == html.count("<polyline")


def test_phases_continue_from_one_shared_pretraining_and_score_the_task_set(tmp_path):
    """Annealing with and without MBPP's training split, and two SFT stages in turn, after one pretraining."""
    phase = {"max_steps": 2, "lr": 1e-3, "warmup_steps": 0}
    sft = {**phase, "seq_len": 256}
    hq = [{"source": "pool", "weight": 0.8}, {"source": "mbpp:train", "weight": 0.2}]
    variants = [
        {"name": "hq", "phases": [{"stage": "anneal", "train": phase, "data": hq}]},
        {"name": "plain", "phases": [{"stage": "anneal", "train": phase, "data": [{"source": "pool"}]}]},
        {"name": "two-stage", "phases": [{"stage": "sft1", "train": sft, "data": [{"source": "pool:functions"}]},
                                         {"stage": "sft2", "train": sft, "data": [{"source": "mbpp:train"}]}]},
    ]  # fmt: skip
    spec = _spec(tmp_path, variants=variants, task_validation="mbpp:validation", task_max_tokens=256)
    page = run_ablation(spec, tmp_path / "out", workers=1, log=lambda _: None)
    out = tmp_path / "out" / "variants"
    assert (out / "hq" / "train" / "hf").is_dir()  # the first variant pretrains ...
    assert not (out / "plain" / "train").exists() and not (out / "two-stage" / "train").exists()  # ... for all three
    anneal = json.loads((out / "hq" / "phases" / "1-anneal" / "recipe.json").read_text())
    assert anneal["init"] == str(out / "hq" / "train")
    assert [Path(d["path"]) for d in anneal["data"]] == [out / "hq" / "tokens", tmp_path / "out" / "sources" /
                                                         "mbpp_train" / "tokens"]  # fmt: skip
    assert [Path(d["path"]) for d in json.loads((out / "plain" / "phases" / "1-anneal" / "recipe.json").read_text())[
        "data"]] == [out / "hq" / "tokens"]  # fmt: skip
    sft2 = json.loads((out / "two-stage" / "phases" / "2-sft2" / "recipe.json").read_text())
    assert sft2["init"] == str(out / "two-stage" / "phases" / "1-sft1")
    for name, phases in (("hq", ["1-anneal"]), ("two-stage", ["1-sft1", "2-sft2"])):
        held = [json.loads((out / "hq" / "train" / "held_out.json").read_text())]
        held += [json.loads((out / name / "phases" / p / "held_out.json").read_text()) for p in phases]
        assert all(len(h["task_loss"]) == len(h["steps"]) > 0 for h in held)
        assert all(0 < x < 20 for h in held for x in h["task_loss"] + h["loss"])
    html = page.read_text()
    task_chart = re.search(r'<svg[^>]*aria-label="task answer loss vs step[^"]*".*?</svg>', html, re.S).group(0)
    assert task_chart.count("<polyline") == 3
    assert "anneal from step 4" in html and "sft1 from step 4, sft2 from step 6" in html


def test_named_sources_hold_what_they_say(tmp_path):
    train, validation = pairs("mbpp:train", tmp_path), pairs("mbpp:validation", tmp_path)
    assert (len(train), len(validation)) == (374, 90)
    ids = {int(r["id"].split("/")[1]) for r in train + validation}
    assert not ids & set(MBPP_TEST_RANGE)  # never a task MBPP is evaluated on
    assert all("assert " in r["instruction"] and "def " in r["output"] for r in train)
    module = (
        "class A:\n"
        "    def method(self, x):\n"
        '        """Return x doubled, as a method does."""\n'
        "        y = x * 2\n"
        "        return y\n"
        "def short(a):\n"
        '    """Three lines are enough for a pair."""\n'
        "    return a\n"
        "def undocumented(a):\n"
        "    b = a\n"
        "    return b\n"
        "def terse(a):\n"
        '    """Tiny."""\n'
        "    return a\n"
    )
    pool = tmp_path / "pool.parquet"
    pq.write_table(pa.table({"id": ["m.py", "x.c"], "text": [module, module], "lang": ["python", "c"]}), pool)
    found = pairs("pool:functions", pool)
    assert [r["id"] for r in found] == ["m.py#method@2", "m.py#short@6"]
    assert found[0]["output"].startswith('def method(self, x):\n    """Return x doubled')  # dedented
    assert found[0]["instruction"].startswith("Write a Python function `method(self, x)`.")


def test_bad_ablation_files_name_the_key(tmp_path):
    with pytest.raises(OpencoderError, match="variants"):
        load_ablation(_spec(tmp_path, variants=[]))
    with pytest.raises(OpencoderError, match="repeat"):
        load_ablation(_spec(tmp_path, variants=[{"name": "a"}, {"name": "a"}]))
    with pytest.raises(OpencoderError, match=r"corpus\.bogus"):
        load_ablation(_spec(tmp_path, corpus={"bogus": 1}))
    with pytest.raises(OpencoderError, match=r"variants\.0\.phases\.0\.stage"):
        load_ablation(_spec(tmp_path, variants=[{"name": "a", "phases": [{"stage": "pretrain", "data": []}]}]))


def test_a_task_set_whose_prompts_all_fill_the_budget_stops_the_run(tmp_path):
    spec = _spec(tmp_path, task_validation="mbpp:validation", task_max_tokens=8)
    with pytest.raises(OpencoderError, match=r"task_validation mbpp:validation: every prompt fills task_max_tokens"):
        run_ablation(spec, tmp_path / "out", workers=1, log=lambda _: None)
    assert not (tmp_path / "out" / "variants").exists()  # stopped before any training


def test_a_phase_source_that_is_neither_named_nor_a_file_stops_the_run(tmp_path):
    variants = [{"name": "a", "phases": [{"stage": "anneal", "data": [{"source": "mbpp:tran"}]}]}]
    with pytest.raises(OpencoderError, match="source mbpp:tran: neither a named source"):
        run_ablation(_spec(tmp_path, variants=variants), tmp_path / "out", workers=1, log=lambda _: None)


@pytest.mark.parametrize("name", ["dedup-granularity", "stars", "annealing", "two-stage-sft"])
def test_shipped_ablations_are_valid(name):
    spec = load_ablation(REPO / "src" / "opencoder" / "recipes" / "ablations" / f"{name}.yaml")
    from opencoder.engine.recipe import parse_recipe
    from opencoder.train.recipe import load_recipe

    for v in spec.variants:
        parse_recipe({"stages": v.stages or [{"name": "langid"}]}, f"{name}: {v.name}")  # stage names and params
        for phase in v.phases:
            assert {d.source for d in phase.data} <= set(NAMED)  # runs on any machine
            load_recipe(phase.stage, **{"model": "tiny", **phase.train})  # every key a training recipe's


def test_cli_help_lists_ablate():
    done = subprocess.run([sys.executable, "-m", "opencoder.cli", "ablate", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "ablation.html" in done.stdout
