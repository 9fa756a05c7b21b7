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

import pytest
import yaml

from opencoder.ablate import load_ablation, run_ablation
from opencoder.errors import OpencoderError

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


def test_bad_ablation_files_name_the_key(tmp_path):
    with pytest.raises(OpencoderError, match="variants"):
        load_ablation(_spec(tmp_path, variants=[]))
    with pytest.raises(OpencoderError, match="repeat"):
        load_ablation(_spec(tmp_path, variants=[{"name": "a"}, {"name": "a"}]))
    with pytest.raises(OpencoderError, match=r"corpus\.bogus"):
        load_ablation(_spec(tmp_path, corpus={"bogus": 1}))


@pytest.mark.parametrize("name", ["dedup-granularity", "stars"])
def test_shipped_ablations_are_valid(name):
    spec = load_ablation(REPO / "src" / "opencoder" / "recipes" / "ablations" / f"{name}.yaml")
    from opencoder.engine.recipe import parse_recipe

    for v in spec.variants:
        parse_recipe({"stages": v.stages or [{"name": "langid"}]}, f"{name}: {v.name}")  # stage names and params


def test_cli_help_lists_ablate():
    done = subprocess.run([sys.executable, "-m", "opencoder.cli", "ablate", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "ablation.html" in done.stdout
