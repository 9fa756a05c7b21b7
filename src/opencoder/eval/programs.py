"""Test programs: a candidate's code joined with its task's tests, ready for the sandbox.

HumanEval runs `check(entry_point)`, MBPP its assertions. Evalplus tasks (HumanEval+, MBPP+) compare the
candidate's outputs on the base or plus inputs with the canonical solution's outputs, which a first sandboxed
run of the canonical solution computes and pickles; the parent process only carries those bytes and never
unpickles them.
"""

from __future__ import annotations

import json
import re

from opencoder.eval.benchmarks import Task
from opencoder.sandbox import Limits, Program

# OpenCodeEval's execution preamble (SPEC §8.1). Only the lines whose names the program uses are prepended:
# an import nobody names cannot change the result, and skipping numpy saves ~0.2 s per program.
IMPORTS = (
    ("import math", {"math"}),
    ("import re", {"re"}),
    ("import sys", {"sys"}),
    ("import copy", {"copy"}),
    ("import datetime", {"datetime"}),
    ("import itertools", {"itertools"}),
    ("import collections", {"collections"}),
    ("import heapq", {"heapq"}),
    ("import functools", {"functools"}),
    ("import hashlib", {"hashlib"}),
    ("import numpy", {"numpy"}),
    ("import numpy as np", {"np"}),
    ("import string", {"string"}),
    ("from typing import *", None),
    ("from collections import *", None),
)
_STAR_NAMES = {
    "from typing import *": set(__import__("typing").__all__),
    "from collections import *": set(__import__("collections").__all__),
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

INPUTS_FILE = "inputs.json"
EXPECTED_FILE = "expected.pkl"
LIMITS_FILE = "limits.json"
SOLUTION_FILE = "solution.py"


def import_preamble(code: str) -> str:
    names = set(_IDENTIFIER.findall(code))
    lines = [line for line, binds in IMPORTS if names & (binds or _STAR_NAMES[line])]
    return "\n".join(lines) + "\n" if lines else ""


def with_imports(code: str, imports: bool = True) -> str:
    """The code with OpenCodeEval's import preamble in front, or as it is (imports=False, evalplus-style)."""
    return import_preamble(code) + code if imports else code


def humaneval_program(task: Task, code: str, imports: bool = True) -> Program:
    body = f"{code}\n\n{task.test}\n\ncheck({task.entry_point})\n"
    return Program(with_imports(body, imports))


def multiple_program(task: Task, code: str) -> Program:
    """A MultiPL-E program: the solution (prompt + completion), a newline, the translated test suite."""
    return Program(f"{code}\n{task.test}", language=task.language)


def mbpp_program(task: Task, code: str, imports: bool = True) -> Program:
    # The set-up code builds test data from the solution's classes (task 367), so it follows the solution;
    # OpenCodeEval puts it before, which makes task 367 fail whatever the model writes.
    body = f"{code}\n\n{task.setup}\n" + "\n".join(task.tests) + "\n"
    return Program(with_imports(body, imports))


def inputs_bytes(inputs: object) -> bytes:
    return json.dumps(inputs).encode()


def expected_file(split: str) -> str:
    return f"expected_{split}.pkl"


def times_file(split: str) -> str:
    return f"times_{split}.json"


def groundtruth_program(task: Task, code: str, splits: dict[str, list], limits: Limits) -> Program:
    """Runs the reference on every input of every split; pickles each split's outputs to expected_<split>.pkl and
    writes the seconds each input took to times_<split>.json (the per-input time limits derive from them)."""
    runner = f"""

def _groundtruth(fn={task.entry_point}):
    import copy, json, pickle, time
    with open({INPUTS_FILE!r}) as file:
        splits = json.load(file)
    for split, inputs in splits.items():
        outputs, times = [], []
        for args in inputs:
            args = copy.deepcopy(args)
            start = time.perf_counter()
            outputs.append(fn(*args))
            times.append(time.perf_counter() - start)
        with open(f"expected_{{split}}.pkl", "wb") as file:
            pickle.dump(outputs, file)
        with open(f"times_{{split}}.json", "w") as file:
            json.dump(times, file)

_groundtruth()
"""
    collect = tuple(name for split in splits for name in (expected_file(split), times_file(split)))
    files = {INPUTS_FILE: inputs_bytes(splits)}
    return Program(with_imports(code + runner), files=files, collect=collect, limits=limits)


# Loaded, then deleted, before the candidate's code runs, so that it can neither alter nor read what it is
# compared with. As in evalplus, the solution is exec'd into a namespace of its own (its `__main__` block does
# not run), and each input gets its own time limit.
_COMPARE_HEAD = f"""
def _evalplus_load():
    import json, os, pickle
    with open({INPUTS_FILE!r}) as file:
        inputs = json.load(file)
    with open({EXPECTED_FILE!r}, "rb") as file:
        expected = pickle.load(file)
    with open({LIMITS_FILE!r}) as file:
        limits = json.load(file)
    for name in ({INPUTS_FILE!r}, {EXPECTED_FILE!r}, {LIMITS_FILE!r}):
        os.remove(name)
    return inputs, expected, limits

_evalplus_inputs, _evalplus_expected, _evalplus_limits = _evalplus_load()
del _evalplus_load


def _evalplus_solution(name):
    namespace = {{"__name__": "__evalplus_solution__"}}
    with open({SOLUTION_FILE!r}, encoding="utf-8", errors="surrogateescape") as file:
        source = file.read()
    exec(compile(source, {SOLUTION_FILE!r}, "exec"), namespace)
    if name not in namespace:
        raise AssertionError(f"{{name}} is not defined")
    return namespace[name]
"""

# Equality first; then, as evalplus does, closeness with atol (1e-6 when the expected value is a float and
# the task gives none) and rtol 1e-7, with the same type and length. HumanEval/32 (find_zero) has many right
# answers: it passes when the polynomial is near zero at the returned point.
_COMPARE_TAIL = """

def _evalplus_check(fn, name, atol):
    import copy, math

    def is_floats(x):
        if isinstance(x, float):
            return True
        return isinstance(x, (list, tuple)) and bool(x) and all(isinstance(i, float) for i in x)

    def close(out, exp, tol):
        if isinstance(exp, (list, tuple)):
            return type(out) is type(exp) and len(out) == len(exp) and all(
                close(o, e, tol) for o, e in zip(out, exp))
        if isinstance(exp, (int, float)) and isinstance(out, (int, float)):
            return math.isfinite(out) and abs(out - exp) <= tol + 1e-7 * abs(exp) or out == exp
        return False

    import signal

    class InputTimeout(Exception):
        pass

    def alarm(_signum, _frame):
        raise InputTimeout()

    signal.signal(signal.SIGALRM, alarm)
    for i, (args, exp, limit) in enumerate(zip(_evalplus_inputs, _evalplus_expected, _evalplus_limits)):
        args = copy.deepcopy(args)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            out = fn(*args)
        except InputTimeout:
            raise AssertionError(f"input {i}: time limit of {limit:.2f} s exceeded") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if name == "find_zero":
            x = out
            if abs(sum(c * x ** k for k, c in enumerate(args[0]))) <= atol:
                continue
            raise AssertionError(f"input {i}: poly(xs, x) is not within {atol} of 0 at x={x!r}")
        if out == exp:
            continue
        tol = 1e-6 if atol == 0 and is_floats(exp) else atol
        if tol and type(out) is type(exp) and close(out, exp, tol):
            continue
        raise AssertionError(f"input {i}: expected {repr(exp)[:80]}, got {repr(out)[:80]}")

"""


def evalplus_program(
    task: Task, code: str, inputs: bytes, expected: bytes, input_limits: list[float], limits: Limits, imports: bool
) -> Program:
    """The candidate runs on each input within that input's limit (evalplus: max(1 s, 4 x the reference's time))."""
    check = f"_evalplus_check(_evalplus_solution({task.entry_point!r}), {task.entry_point!r}, {task.atol!r})\n"
    files = {
        INPUTS_FILE: inputs,
        EXPECTED_FILE: expected,
        LIMITS_FILE: json.dumps(input_limits).encode(),
        SOLUTION_FILE: with_imports(code, imports).encode("utf-8", errors="surrogatepass"),
    }
    return Program(_COMPARE_HEAD + _COMPARE_TAIL + check, files=files, limits=limits)
