"""Sandbox throughput per language: programs per second through bubblewrap on this machine, and the share of each
run spent compiling, beside Python's in the same run (the same pool, the same workers).

Each language runs the same small program (a function, three assertions, a print) N times:
    PYTHONPATH=src python benchmarks/language_throughput.py [--programs 12] [--workers 3] [--languages cpp,javascript]
"""

from __future__ import annotations

import argparse
import time

from opencoder.sandbox import Limits, Program, Sandbox, run_many
from opencoder.sandbox.languages import LANGUAGES
from opencoder.sandbox.pool import default_workers

PROGRAMS = {
    "python": "def add(a, b):\n    return a + b\n\nfor x in range(3):\n    assert add(x, 1) == x + 1\nprint('ok')\n",
    "cpp": "#include <cassert>\n#include <cstdio>\nlong add(long a, long b) { return a + b; }\n"
    'int main() { for (long x = 0; x < 3; x++) assert(add(x, 1) == x + 1); puts("ok"); }\n',
    "java": "class Problem {\n  static long add(long a, long b) { return a + b; }\n"
    "  public static void main(String[] args) { for (long x = 0; x < 3; x++) assert add(x, 1) == x + 1; "
    'System.out.println("ok"); }\n}\n',
    "csharp": "using System;\nusing System.Diagnostics;\nclass Problem {\n"
    "  static long Add(long a, long b) { return a + b; }\n"
    "  static void Main() { for (long x = 0; x < 3; x++) Debug.Assert(Add(x, 1) == x + 1); "
    'Console.WriteLine("ok"); }\n}\n',
    "typescript": "declare var require: any;\nconst assert = require('node:assert');\n"
    "function add(a: number, b: number): number { return a + b; }\n"
    "for (let x = 0; x < 3; x++) assert.deepEqual(add(x, 1), x + 1);\nconsole.log('ok');\n",
    "javascript": "const assert = require('node:assert');\nfunction add(a, b) { return a + b; }\n"
    "for (let x = 0; x < 3; x++) assert.deepEqual(add(x, 1), x + 1);\nconsole.log('ok');\n",
    "php": "<?php\nfunction add($a, $b) { return $a + $b; }\n"
    'for ($x = 0; $x < 3; $x++) { if (add($x, 1) !== $x + 1) { throw new Exception("Test failed!"); } }\n'
    'echo "ok\\n";\n',
    "bash": "add() {\n  echo $(( $1 + $2 ))\n}\n"
    "for x in 0 1 2; do [[ $(add $x 1) = $((x + 1)) ]] || exit 1; done\necho ok\n",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--programs", type=int, default=12, help="programs per language")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--languages", default=",".join(PROGRAMS), help="comma-separated (python is the baseline)")
    args = parser.parse_args()
    sandbox = Sandbox(Limits(timeout=30.0))
    print(f"isolated: {sandbox.isolated}, workers: {args.workers}, programs per language: {args.programs}")
    print(f"{'language':<12}{'programs/s':>12}{'vs python':>11}{'compile share':>15}{'passed':>8}")
    baseline = None
    for name in ["python", *[n for n in args.languages.split(",") if n != "python"]]:
        if (why := LANGUAGES[name].unavailable()) is not None:
            print(f"{name:<12}  unavailable: {why}")
            continue
        programs = [Program(PROGRAMS[name], language=name)] * args.programs
        start = time.monotonic()
        results = run_many(sandbox, programs, workers=args.workers)
        rate = len(results) / (time.monotonic() - start)
        baseline = baseline or rate
        share = sum(r.compile_seconds for r in results) / max(sum(r.seconds for r in results), 1e-9)
        passed = sum(r.passed for r in results)
        print(f"{name:<12}{rate:>12.2f}{rate / baseline:>10.2f}x{share:>14.0%}{passed:>5}/{len(results)}")


if __name__ == "__main__":
    main()
