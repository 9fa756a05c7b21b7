"""A trained checkpoint served the standard way: `opencoder train`'s HF export (a tiny Llama with random weights and
a tokenizer trained here) under `transformers serve` on 127.0.0.1, evaluated by `opencoder eval --server`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("fastapi")  # transformers[serving]
pytest.importorskip("uvicorn")

from opencoder.cli import app  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "python-docs-sample.jsonl.gz"
SERVE_START_S = 180


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    from opencoder.train.export import export_hf
    from opencoder.train.tokenizer import train_tokenizer

    root = tmp_path_factory.mktemp("served")
    tok = transformers.AutoTokenizer.from_pretrained(train_tokenizer([DOCS], root / "tok", vocab_size=512))
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=512, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    return export_hf(transformers.LlamaForCausalLM(config).state_dict(), config, tok, root / "hf")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(exported, tmp_path_factory):
    serve = shutil.which("transformers", path=os.path.dirname(sys.executable)) or shutil.which("transformers")
    if serve is None:
        pytest.skip("the transformers CLI is not installed")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [serve, "serve", str(exported), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVE_START_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_eval_through_transformers_serve(server, exported, tmp_path):
    from typer.testing import CliRunner

    out = tmp_path / "eval"
    args = ["eval", "--benchmark", "humaneval", "--server", server, "--model-name", str(exported), "--base",
            "--limit", "2", "--max-tokens", "16", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert data["n_samples"] == 2 and data["generation_failures"] == {}
    assert 0.0 <= data["pass@k"]["pass@1"] <= 1.0
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert all(s["completion"] for s in samples)  # the server generated text for each prompt
