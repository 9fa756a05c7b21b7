import json
import math
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from train_paths import SFT

from opencoder.errors import OpencoderError
from opencoder.train.loop import train
from opencoder.train.recipe import load_recipe
from opencoder.train.sft import load_sft_examples
from opencoder.train.tokenizer import load_tokenizer

RECIPES = Path(__file__).resolve().parents[2] / "src" / "opencoder" / "recipes"
FAST = {"model": "tiny", "lr": 5e-3, "warmup_steps": 2, "seq_len": 64, "global_batch": 8, "micro_batch": 4}


def _metrics(run) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def pretrained(tokens_dir, tmp_path_factory):
    """A 16-step tiny pretraining run with checkpoints at steps 8 and 16."""
    run = tmp_path_factory.mktemp("pretrain")
    recipe = load_recipe("pretrain", data=[{"path": str(tokens_dir)}], max_steps=16, save_every=8, **FAST)
    train(recipe, run)
    return run


def test_loss_falls_and_metrics_are_logged(pretrained):
    rows = _metrics(pretrained)
    assert [r["step"] for r in rows] == list(range(1, 17))
    assert rows[-1]["loss"] < rows[0]["loss"] - 1.0  # from ~ln(1024)=6.9 towards the unigram entropy
    assert rows[0]["lr"] == pytest.approx(2.5e-3) and rows[-1]["lr"] == pytest.approx(5e-3)
    assert all(r["tokens"] == 8 * 64 and r["tokens_per_s"] > 0 and r["mfu"] is None for r in rows)


def test_resume_after_a_crash_reproduces_the_loss_curve(pretrained, tmp_path):
    crashed = tmp_path / "run"
    shutil.copytree(pretrained, crashed)
    shutil.rmtree(crashed / "checkpoints" / "step-00000016")  # as if killed between steps 8 and 16
    (crashed / "checkpoints" / "latest").write_text("step-00000008")
    shutil.rmtree(crashed / "hf")
    recipe = load_recipe("pretrain", data=[json.loads((pretrained / "recipe.json").read_text())["data"][0]],
                         max_steps=16, save_every=8, **FAST)  # fmt: skip
    train(recipe, crashed)
    expected, resumed = _metrics(pretrained), _metrics(crashed)
    assert [r["step"] for r in resumed] == list(range(1, 17))
    for a, b in zip(expected, resumed, strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-6) and b["lr"] == a["lr"]


def test_export_loads_with_automodel_and_generates(pretrained):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(pretrained / "hf")
    tok = AutoTokenizer.from_pretrained(pretrained / "hf")
    assert model.config.vocab_size == 1024 and model.config.num_hidden_layers == 2
    prompt = tok("def main():", return_tensors="pt")
    out = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    assert out.shape[1] > prompt["input_ids"].shape[1]
    assert isinstance(tok.decode(out[0]), str)


def test_anneal_from_a_stable_checkpoint_on_a_mixture(pretrained, tokens_dir, tmp_path):
    data = [{"path": str(tokens_dir), "weight": 0.84}, {"path": str(tokens_dir), "weight": 0.16}]
    recipe = load_recipe("anneal", data=data, init=str(pretrained), max_steps=4, **{**FAST, "lr": 3e-4})
    train(recipe, tmp_path)
    rows = _metrics(tmp_path)
    assert rows[0]["lr"] == pytest.approx(3e-4) and rows[-1]["lr"] == pytest.approx(1e-5)
    assert rows[0]["loss"] < 6.0  # starts from the pretrained weights, not from scratch (~6.9)


@pytest.mark.parametrize("packing", [False, True])
def test_sft_from_the_exported_model(pretrained, tmp_path, packing):
    recipe = load_recipe("sft1", data=[{"path": str(SFT)}], init=str(pretrained), packing=packing,
                         **{**FAST, "seq_len": 256, "warmup_steps": 1})  # fmt: skip
    last = train(recipe, tmp_path)
    rows = _metrics(tmp_path)
    sequences = load_sft_examples([SFT], load_tokenizer(pretrained / "hf"), 256, packing)
    assert len(sequences) == 40 or (packing and len(sequences) < 40)
    assert len(rows) == math.ceil(len(sequences) / 8) and last["epoch"] >= 1.0  # stage 1: one epoch
    assert all(r["tokens"] <= 8 * 256 for r in rows)
    assert (tmp_path / "hf" / "model.safetensors").is_file()


def test_bad_inputs_fail_before_compute(pretrained, tokens_dir, tmp_path):
    data = [{"path": str(tokens_dir)}]
    with pytest.raises(OpencoderError, match="has 1024 tokens but model tiny a vocabulary of 512"):
        train(load_recipe("pretrain", data=data, max_steps=2, vocab_size=512, **FAST), tmp_path / "a")
    with pytest.raises(OpencoderError, match="global_batch 8 is not divisible by micro_batch 3"):
        train(load_recipe("pretrain", data=data, max_steps=2, **{**FAST, "micro_batch": 3}), tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    with pytest.raises(OpencoderError, match="lr_peak"):
        load_recipe("pretrain", data=data, lr_peak=1.0, **FAST)
    bad = tmp_path / "sft.yaml"
    bad.write_text("stage: sft2\n")
    with pytest.raises(OpencoderError, match=r"sft\.yaml: recipe is for stage 'sft2'"):
        load_recipe("sft1", bad, model="tiny")


def test_seq_len_beyond_the_model_context_is_a_recipe_error(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text("model: tiny\nseq_len: 512\n")
    with pytest.raises(
        OpencoderError, match=r"long\.yaml: invalid recipe \(seq_len: 512 exceeds model tiny's context of 256\)"
    ):
        load_recipe("pretrain", path)
    with pytest.raises(OpencoderError, match=r"^invalid recipe \(seq_len: 257 exceeds"):
        load_recipe("pretrain", model="tiny", seq_len=257)
    assert load_recipe("pretrain", path, seq_len=256).seq_len == 256  # the flag wins; the full context is allowed


@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_corrupt_checkpoint_is_named(pretrained, tokens_dir, tmp_path, damage):
    run = tmp_path / "run"
    shutil.copytree(pretrained / "checkpoints", run / "checkpoints")
    victim = run / "checkpoints" / "step-00000016" / ("model.safetensors" if damage == "truncate" else "trainer.pt")
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\0" * len(data))
    recipe = load_recipe("pretrain", data=[{"path": str(tokens_dir)}], max_steps=18, **FAST)
    with pytest.raises(OpencoderError, match=f"{victim}: corrupt checkpoint file"):
        train(recipe, run)


def test_cli_interface(tokens_dir, tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "opencoder.cli", "train", "--stage", "pretrain", "--model", "tiny",
           "--data", str(tokens_dir), "--out", str(run), "--max-steps", "2"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [r["step"] for r in _metrics(run)] == [1, 2]
    assert {"step", "loss", "lr", "tokens_per_s", "mfu"} <= set(_metrics(run)[0])
    assert (run / "hf" / "config.json").is_file() and (run / "hf" / "tokenizer.json").is_file()
    assert done.stdout.splitlines()[-1] == f"done at step 2: {run / 'hf'}"
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == f"already complete at step 2: {run / 'hf'}"
    bad = subprocess.run([*cmd[:-1], "0"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "max_steps" in bad.stderr


def test_ctrl_c_says_that_rerunning_resumes(tokens_dir, tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "opencoder.cli", "train", "--stage", "pretrain", "--model", "tiny", "--seq-len", "64",
           "--data", str(tokens_dir), "--out", str(run), "--max-steps", "100000"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()  # the first step's line: the loop is running
    assert first.startswith("step 1 "), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert stderr.strip().splitlines()[-1] == "interrupted: rerun the same command to resume where it stopped"
    assert "Traceback" not in stderr


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_recipes_are_valid(path):
    stage = yaml.safe_load(path.read_text()).get("stage")
    if stage in ("pretrain", "anneal", "sft1", "sft2"):
        recipe = load_recipe(stage, path)
        assert recipe.global_batch % recipe.micro_batch == 0
