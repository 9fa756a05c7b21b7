"""MultiPL-E benchmarks built from the Python originals: the translation, the dropped problems, and the harness's
validity per language (every test program runs with a stub body and fails it; correct solutions pass; floats,
tuples, maps and empty collections compare as MultiPL-E compares them)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from opencoder.errors import OpencoderError
from opencoder.eval import multiple, programs
from opencoder.eval.benchmarks import load_benchmark
from opencoder.eval.prompting import build_prompt, multiple_solution, stop_words
from opencoder.sandbox import Limits, Outcome, Sandbox, run_many
from opencoder.sandbox import languages as langs

FIXTURES = Path(__file__).parent.parent / "fixtures" / "multiple"
LANGUAGES = list(multiple.TRANSLATORS)
# How each language reports a program that does not parse: a stub's failure must not be one of these.
SYNTAX_ERRORS = {"javascript": "SyntaxError", "php": "Parse error", "bash": "syntax error"}


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(Limits(timeout=20))


def _need(lang: str) -> None:
    if (why := langs.language(lang).unavailable()) is not None:
        pytest.skip(why)


def test_translation_of_a_prompt_and_its_tests():
    problem = multiple.humaneval_problem(
        "HumanEval/x",
        'from typing import List\n\n\ndef pairs(xs: List[int], d: dict) -> tuple:\n    """ Pairs.\n'
        '    >>> pairs([1, 2], {\'a\': 1.5})\n    (3, None)\n    """\n',
        "\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate([], {}) == (0, None)\n"
        "    assert candidate([1], {'k': -2.5}) == (3 * 5, True)\n    assert True\n    assert not candidate([9], {})\n"
        "    assert abs(candidate([1], {}) - 0.3) < 1e-6\n",
        "pairs",
    )
    js_prompt, js_tests = multiple.JavaScript().translate(problem)
    assert js_prompt == ('//Pairs.\n//>>> pairs([1, 2], {"a": 1.5})\n//[3, undefined]\nfunction pairs(xs, d){\n')
    assert "  assert.deepEqual(candidate([], {}),[0, undefined]);" in js_tests
    assert '  assert.deepEqual(candidate([1], {"k": -2.5}),[15, true]);' in js_tests
    assert "  assert.deepEqual(candidate([9], {}),false);" in js_tests
    assert js_tests.count("assert.deepEqual") == 3  # `assert True` and the tolerance test are not translated
    php_prompt, php_tests = multiple.PHP().translate(problem)
    assert php_prompt.startswith('<?php\n// Pairs.\n// >>> pairs(array(1, 2), array("a" => 1.5))\n')
    assert php_prompt.endswith("function pairs($xs, $d) {\n")
    assert 'if (candidate(array(1), array("k" => -2.5)) !== array(15, true))' in php_tests
    sh_prompt, sh_tests = multiple.Bash().translate(problem)
    assert sh_prompt == '#!/bin/bash\n# Pairs.\n# >>> $(pairs "1 2" "a,1.5")\n# "3 None"\npairs() {\n'
    assert sh_tests.startswith("}\n")  # the function's closing brace is a stop sequence
    assert '    [[ "$(candidate "" "")" = "0 None" ]]' in sh_tests
    assert '    [[ "$(candidate "1" "k,-2.5")" = "15 true" ]]' in sh_tests


@pytest.mark.parametrize(
    "test, reason",
    [
        ("def check(candidate):\n    for x in range(3):\n        assert candidate(x) == x\n", "not `assert f(x) == y`"),
        ("def check(candidate):\n    assert candidate(1) == {1, 2}\n", "expression not translated"),
        ("def check(candidate):\n    assert True\n", "no test"),
    ],
)
def test_problems_outside_the_method_are_dropped_with_a_reason(test, reason):
    prompt = 'def f(x):\n    """Doc."""\n'
    with pytest.raises(multiple.Untranslatable, match=re.escape(reason)):
        multiple.JavaScript().translate(multiple.humaneval_problem("t", prompt, test, "f"))
    with pytest.raises(multiple.Untranslatable, match="more than one function"):
        multiple.humaneval_problem("t", "def g():\n    return 1\n\n" + prompt, test, "f")


@pytest.mark.parametrize("source, kept_at_least", [("humaneval", 145), ("mbpp", 370)])
def test_benchmarks_keep_most_problems_and_count_the_dropped(source, kept_at_least):
    python_total = {"humaneval": 164, "mbpp": 427}[source]
    for lang in LANGUAGES:
        bench = load_benchmark(f"multipl-{source}-{multiple.SHORT[lang]}")
        assert len(bench.tasks) >= kept_at_least
        assert len(bench.tasks) + len(bench.dropped) == python_total
        assert all(reason for reason in bench.dropped.values())
        assert bench.language == lang and all(t.language == lang for t in bench.tasks)
        ids = [t.task_id for t in bench.tasks]
        assert len(ids) == len(set(ids))
    with pytest.raises(OpencoderError, match="multipl-humaneval-js"):
        load_benchmark("multipl-humaneval-cobol")


def test_prompts_and_stop_sequences_are_multiple_s():
    bench = load_benchmark("multipl-humaneval-js")
    task = bench.tasks[0]
    assert build_prompt(bench, task, chat=False) == task.prompt
    assert stop_words(False, bench) == ("\nfunction ", "\n/*", "\n//", "\nconsole.log")
    completion = "  return true;\n}\n\nconsole.log(has_close_elements([1], 2));\n"
    assert multiple_solution(task, completion) == task.prompt + "  return true;\n}\n"
    chat = "Here it is:\n```javascript\nfunction has_close_elements(a, t) { return false; }\n```\n"
    assert multiple_solution(task, chat) == "function has_close_elements(a, t) { return false; }\n"
    sh = load_benchmark("multipl-humaneval-sh").tasks[0]
    answer = "```bash\nhas_close_elements() {\n    echo false\n}\n```"
    assert multiple_solution(sh, answer) + "\n" + sh.test == ("has_close_elements() {\n    echo false\n\n" + sh.test)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("source", ["humaneval", "mbpp"])
def test_every_test_program_runs_with_a_stub_body_and_fails_it(sandbox, lang, source):
    _need(lang)
    bench = load_benchmark(f"multipl-{source}-{multiple.SHORT[lang]}")
    stub = multiple.TRANSLATORS[lang]().stub()
    results = run_many(sandbox, [programs.multiple_program(t, t.prompt + stub) for t in bench.tasks])
    wrong = [
        (t.task_id, r.outcome.value, r.stderr[-200:])
        for t, r in zip(bench.tasks, results, strict=True)
        if r.outcome is not Outcome.FAILED or SYNTAX_ERRORS[lang] in r.stderr
    ]
    assert wrong == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_correct_solutions_pass(sandbox, lang):
    """At least 15 problems, with floats (2), tuples (8), None (12), a map (111) and empty lists (42)."""
    _need(lang)
    bodies = json.loads((FIXTURES / f"{lang}.json").read_text())
    assert len(bodies) >= 15
    tasks = load_benchmark(f"multipl-humaneval-{multiple.SHORT[lang]}").by_id()
    chosen = [tasks[task_id] for task_id in bodies]
    results = run_many(sandbox, [programs.multiple_program(t, t.prompt + bodies[t.task_id]) for t in chosen])
    failed = [(t.task_id, r.reason, r.stderr[-300:]) for t, r in zip(chosen, results, strict=True) if not r.passed]
    assert failed == []
    # The same solutions with one result changed fail: floats, tuples and maps are compared, not ignored.
    wrong = {"HumanEval/2": ("1.0", "2.0"), "HumanEval/8": ("p]", "p + 1]"), "HumanEval/111": ("= v", "= v + 1")}
    if lang == "bash":
        wrong = {"HumanEval/2": ("int($1)", "int($1) + 1"), "HumanEval/8": ("$s $p", "$s $s"),
                 "HumanEval/111": ("== most", "!= most")}  # fmt: skip
    if lang == "php":
        wrong = {"HumanEval/2": ("1.0", "2.0"), "HumanEval/8": ("numbers))", "numbers) + 1)"),
                 "HumanEval/111": ("$v == $most", "$v != $most")}  # fmt: skip
    mutated = [
        programs.multiple_program(tasks[task_id], tasks[task_id].prompt + bodies[task_id].replace(old, new, 1))
        for task_id, (old, new) in wrong.items()
    ]
    assert all(bodies[task_id].count(old) >= 1 for task_id, (old, _) in wrong.items())
    assert [r.outcome for r in run_many(sandbox, mutated)] == [Outcome.FAILED] * len(mutated)


def test_tests_are_translated_from_equalities_only():
    """Every translated case comes from an `==` assertion of the original (counted on HumanEval)."""
    bench = load_benchmark("multipl-humaneval-js")
    python = {t.task_id: t for t in load_benchmark("humaneval").tasks}
    for task in bench.tasks:
        nodes = list(ast.walk(ast.parse(python[task.task_id].test)))
        equalities = sum(isinstance(n, ast.Compare) and isinstance(n.ops[0], ast.Eq | ast.Is) for n in nodes)
        bare = sum(isinstance(n, ast.Assert) and isinstance(n.test, ast.Call | ast.UnaryOp) for n in nodes)
        assert 0 < task.test.count("assert.deepEqual(") <= equalities + bare


def test_eval_scores_multiple_samples_end_to_end(tmp_path, monkeypatch):
    _need("javascript")
    from opencoder.eval.run import EvalOptions, evaluate_samples

    bodies = json.loads((FIXTURES / "javascript.json").read_text())
    lines = [{"task_id": task_id, "completion": body} for task_id, body in list(bodies.items())[:4]]
    lines.append({"task_id": "HumanEval/0", "completion": "  return 42;\n}\n"})
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps(line) + "\n" for line in lines))
    options = EvalOptions(benchmark="multipl-humaneval-js", out=tmp_path / "out", samples=samples, timeout=20)
    scores = evaluate_samples(options)
    assert scores.pass_at_k == {"pass@1": pytest.approx(4 / 5)}
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["benchmark"] == "multipl-humaneval-js"
    assert set(results["dropped_problems"]) >= {"HumanEval/10", "HumanEval/32"}
    # A missing toolchain is an error before anything runs, never a score of zero.
    monkeypatch.setitem(langs.LANGUAGES, "javascript", langs.Language("javascript", "main.js", ("node",),
                                                                      tools=("opencoder-no-such-node",)))  # fmt: skip
    with pytest.raises(OpencoderError, match="not installed"):
        evaluate_samples(options)
