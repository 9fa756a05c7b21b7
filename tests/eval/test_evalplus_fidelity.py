"""HumanEval+ scored as EvalPlus scores it: a time limit per input (max(1 s, 4 x the canonical's time on it)), the
solution exec'd into its own namespace (its `__main__` block does not run), and no import preamble."""

from __future__ import annotations

import pytest

from opencoder.eval.benchmarks import Benchmark, load_benchmark
from opencoder.eval.scoring import Sample, Scorer
from opencoder.sandbox import Limits, Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(Limits(timeout=3.0))


def _only(name: str, *task_ids: str) -> Benchmark:
    benchmark = load_benchmark(name)
    benchmark.tasks = [t for t in benchmark.tasks if t.task_id in task_ids]
    return benchmark


def _reasons(scores) -> list[str]:
    return [s.reason for s in scores.samples]


def test_each_input_has_its_own_time_limit(sandbox):
    """HumanEval/53 has 105 base inputs: 0.05 s per call is 5 s in all, over the 3 s a whole program gets, but
    far within each input's 1 s; one call of 1.5 s on one input fails, with the input named."""
    benchmark = _only("humaneval+", "HumanEval/53")
    prompt = benchmark.tasks[0].prompt
    slow = prompt + "    import time\n    time.sleep(0.05)\n    return x + y\n"
    stuck = prompt + "    import time\n    if (x, y) == (0, 1):\n        time.sleep(1.5)\n    return x + y\n"
    scores = Scorer(benchmark, sandbox, plus=False).score(
        [Sample("HumanEval/53", 0, slow), Sample("HumanEval/53", 1, stuck)]
    )
    assert [s.passed for s in scores.samples] == [True, False], _reasons(scores)
    assert "time limit of 1.00 s exceeded" in scores.samples[1].reason


def test_a_main_block_does_not_run(sandbox):
    benchmark = _only("humaneval+", "HumanEval/0", "HumanEval/2")
    tasks = benchmark.by_id()
    samples = [
        Sample(task_id, 0, tasks[task_id].prompt + tasks[task_id].canonical + block)
        for task_id, block in (
            ("HumanEval/0", '\nif __name__ == "__main__":\n    raise SystemExit(3)\n'),
            ("HumanEval/2", '\nif __name__ == "__main__":\n    print(input())\n'),
        )
    ]
    scores = Scorer(benchmark, sandbox, plus=False).score(samples)
    assert all(s.passed for s in scores.samples), _reasons(scores)


def test_the_import_preamble_is_off_for_evalplus_and_a_switch():
    """A sample that forgot `import math` passes with OpenCodeEval's preamble, fails without (as in EvalPlus)."""
    sandbox = Sandbox(Limits(timeout=3.0))
    code = "def truncate_number(number: float) -> float:\n    return number - math.floor(number)\n"
    plus = _only("humaneval+", "HumanEval/2")
    plain = _only("humaneval", "HumanEval/2")
    default_plus = Scorer(plus, sandbox, plus=False).score([Sample("HumanEval/2", 0, code)])
    assert not default_plus.samples[0].passed and "NameError" in default_plus.samples[0].reason
    assert Scorer(plus, sandbox, plus=False, imports=True).score([Sample("HumanEval/2", 0, code)]).samples[0].passed
    assert Scorer(plain, sandbox).score([Sample("HumanEval/2", 0, code)]).samples[0].passed
    assert not Scorer(plain, sandbox, imports=False).score([Sample("HumanEval/2", 0, code)]).samples[0].passed
