"""Reference solutions through the whole harness: HumanEval, HumanEval+ with base AND plus inputs (too slow for the
test suite: the canonical solutions take minutes on the plus inputs), MBPP and MBPP-sanitized. Prints pass@1,
the tasks that fail with their reasons, and programs/s.

    python benchmarks/eval_canonical.py [--benchmarks humaneval+ mbpp]
"""

from __future__ import annotations

import argparse
import time

from opencoder.eval.benchmarks import load_benchmark
from opencoder.eval.scoring import Sample, Scorer
from opencoder.sandbox import Sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmarks", nargs="+", default=["humaneval", "humaneval+", "mbpp", "mbpp_sanitized"])
    args = parser.parse_args()
    sandbox = Sandbox()
    for name in args.benchmarks:
        benchmark = load_benchmark(name)
        prefix = benchmark.family == "humaneval"
        samples = [Sample(t.task_id, 0, (t.prompt if prefix else "") + t.canonical) for t in benchmark.tasks]
        start = time.monotonic()
        scores = Scorer(benchmark, sandbox).score(samples)
        seconds = time.monotonic() - start
        solved = sum(row["correct"] for row in scores.per_task)
        base = f", base {scores.pass_at_k_base['pass@1']:.4f}" if scores.pass_at_k_base else ""
        print(
            f"{name:15s} pass@1 {scores.pass_at_k['pass@1']:.4f}{base} ({solved}/{len(scores.per_task)}), "
            f"{scores.programs_run} programs in {seconds:.0f} s ({scores.programs_run / seconds:.1f}/s)"
        )
        for row in scores.per_task:
            if row["correct"] < row["n"]:
                print(f"    {row['task_id']}: {'; '.join(row['reasons'])[:200]}")


if __name__ == "__main__":
    main()
