"""The torchrun path on CPU: 2 processes with gloo give the same losses as one process with accumulation."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from opencoder.train.loop import train
from opencoder.train.recipe import load_recipe

RECIPE = {"model": "tiny", "lr": 5e-3, "warmup_steps": 2, "seq_len": 64, "global_batch": 8, "micro_batch": 2}


def _losses(run: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_two_ranks_match_one_process(tokens_dir, tmp_path, strategy):
    recipe_file = tmp_path / "recipe.yaml"
    recipe_file.write_text(yaml.safe_dump({**RECIPE, "parallel": strategy}))
    single = tmp_path / "single"
    train(load_recipe("pretrain", recipe_file, data=[{"path": str(tokens_dir)}], max_steps=4), single)
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun) if torchrun.exists() else shutil.which("torchrun"), "--standalone", "--nproc_per_node=2",
           "-m", "opencoder.cli", "train", "--stage", "pretrain", "--recipe", str(recipe_file),
           "--data", str(tokens_dir), "--out", str(tmp_path / "ddp"), "--max-steps", "4"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _losses(tmp_path / "ddp") == pytest.approx(_losses(single), rel=1e-5)
    assert (tmp_path / "ddp" / "hf" / "model.safetensors").is_file()
