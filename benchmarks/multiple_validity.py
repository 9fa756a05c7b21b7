"""MultiPL-E harness validity on every kept problem: each test program, with the prompt and the language's stub
body, must compile and fail (tests/eval/test_multiple.py checks a sample; compiling everything takes an hour
on 2 loaded cores). Prints, per language and benchmark, the problems kept, those whose stub program did not
compile or did not fail (listed), and the programs per second.

    PYTHONPATH=src nice python benchmarks/multiple_validity.py [--languages cpp,java] [--sources humaneval,mbpp]
"""

from __future__ import annotations

import argparse
import time

from opencoder.eval import programs
from opencoder.eval.benchmarks import load_benchmark
from opencoder.eval.multiple_languages import SHORT, TRANSLATORS
from opencoder.sandbox import Limits, Outcome, Sandbox, run_many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", default="cpp,java,csharp,typescript")
    parser.add_argument("--sources", default="humaneval,mbpp")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sandbox = Sandbox(Limits(timeout=30))
    for lang in args.languages.split(","):
        stub = TRANSLATORS[lang]().stub()
        for source in args.sources.split(","):
            bench = load_benchmark(f"multipl-{source}-{SHORT[lang]}")
            start = time.perf_counter()
            batch = [programs.multiple_program(t, t.prompt + stub) for t in bench.tasks]
            results = run_many(sandbox, batch, workers=args.workers)
            seconds = time.perf_counter() - start
            broken = [
                (t.task_id, r.outcome.value, r.reason[:300])
                for t, r in zip(bench.tasks, results, strict=True)
                if r.outcome is not Outcome.FAILED or r.reason.startswith("compile error")
            ]
            compile_share = sum(r.compile_seconds for r in results) / max(sum(r.seconds for r in results), 1e-9)
            rate = len(bench.tasks) / seconds
            print(f"{bench.name}: kept {len(bench.tasks)}, dropped {len(bench.dropped)}; stub programs that "
                  f"compiled and failed {len(bench.tasks) - len(broken)}/{len(bench.tasks)}; "
                  f"{rate:.2f} programs/s, compile share {compile_share:.0%}", flush=True)  # fmt: skip
            for row in broken:
                print("   ", *row, flush=True)


if __name__ == "__main__":
    main()
