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
from opencoder.eval import multiple, multiple_static, programs
from opencoder.eval.benchmarks import Task, load_benchmark
from opencoder.eval.multiple_languages import SHORT, TRANSLATORS
from opencoder.eval.prompting import build_prompt, multiple_solution, stop_words
from opencoder.sandbox import Limits, Outcome, Sandbox, run_many
from opencoder.sandbox import languages as langs

FIXTURES = Path(__file__).parent.parent / "fixtures" / "multiple"
LANGUAGES = list(TRANSLATORS)
COMPILED = ("cpp", "java", "csharp", "typescript")
# How each interpreted language reports a program that does not parse: a stub's failure must not be one of these
# (a compiled language's is a failure whose reason starts "compile error").
SYNTAX_ERRORS = {"javascript": "SyntaxError", "php": "Parse error", "bash": "syntax error"}
# One change to a correct solution of HumanEval/2 (a float), 8 (a tuple) and 111 (a map) that makes it wrong.
MUTATIONS = {
    "javascript": {"HumanEval/2": ("1.0", "2.0"), "HumanEval/8": ("p]", "p + 1]"), "HumanEval/111": ("= v", "= v + 1")},
    "typescript": {"HumanEval/2": ("1.0", "2.0"), "HumanEval/8": ("p]", "p + 1]"), "HumanEval/111": ("= v", "= v + 1")},
    "php": {"HumanEval/2": ("1.0", "2.0"), "HumanEval/8": ("numbers))", "numbers) + 1)"),
            "HumanEval/111": ("$v == $most", "$v != $most")},
    "bash": {"HumanEval/2": ("int($1)", "int($1) + 1"), "HumanEval/8": ("$s $p", "$s $s"),
             "HumanEval/111": ("== most", "!= most")},
    "cpp": {"HumanEval/2": ("- std::floor", "+ std::floor"), "HumanEval/8": ("(s, p)", "(s, p + 1)"),
            "HumanEval/111": ("v == most", "v != most")},
    "java": {"HumanEval/2": ("1.0f", "2.0f"), "HumanEval/8": ("(s, p)", "(s, p + 1)"),
             "HumanEval/111": ("== most", "!= most")},
    "csharp": {"HumanEval/2": ("1.0f", "2.0f"), "HumanEval/8": ("(s, p)", "(s, p + 1)"),
               "HumanEval/111": ("== most", "!= most")},
}  # fmt: skip


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


TYPED_PROMPT = (
    "from typing import List, Optional, Tuple\n\n\n"
    "def stats(xs: List[int], scale, names: dict) -> Tuple[float, Optional[str]]:\n"
    '    """ Mean and first name.\n    >>> stats([1, 2], 2, {\'a\': 1})\n    (1.5, \'a\')\n    """\n'
)
TYPED_TEST = (
    "def check(candidate):\n    assert candidate([], 1, {}) == (0, None)\n"
    "    assert candidate([1, 2], 2.5, {'a': 1}) == (1.5, 'a')\n"
)
TYPED_BODIES = {
    "cpp": "    float s = 0;\n    for (long x : xs) s += x;\n    std::optional<std::string> first;\n"
    "    if (!names.empty()) first = names.begin()->first;\n"
    "    return std::make_tuple(xs.empty() ? 0.0f : s / xs.size(), first);\n",
    "java": "        float s = 0;\n        for (long x : xs) s += x;\n"
    "        return Pair.with(xs.isEmpty() ? 0.0f : s / xs.size(), names.keySet().stream().findFirst());\n",
    "csharp": "        float s = 0;\n        foreach (long x in xs) s += x;\n"
    "        return Tuple.Create(xs.Count == 0 ? 0.0f : s / xs.Count, names.Keys.FirstOrDefault());\n",
    "typescript": "  const s = xs.reduce((a, b) => a + b, 0);\n"
    "  return [xs.length ? s / xs.length : 0.0, Object.keys(names)[0]];\n}\n",
}


def test_typed_signatures_come_from_annotations_completed_by_the_tests():
    """`scale` has no annotation (its values 1 and 2.5 make it a float), `names` is a bare dict ({'a': 1} makes it
    dict[str, int]); values are written as the declared types (0 as a float, None as the empty optional)."""
    problem = multiple.humaneval_problem("t", TYPED_PROMPT, TYPED_TEST, "stats")
    prompt, tests = multiple_static.Cpp().translate(problem)
    assert prompt.endswith(
        '// >>> stats((std::vector<long>({1, 2})), (2.0f), (std::map<std::string,long>({{"a", 1}})))\n'
        '// std::make_tuple(1.5f, "a")\n'
        "std::tuple<float, std::optional<std::string>> stats(std::vector<long> xs, float scale, "
        "std::map<std::string,long> names) {\n"
    )
    assert "    assert(candidate((std::vector<long>()), (1.0f), (std::map<std::string,long>())) == " \
        "(std::make_tuple(0.0f, std::nullopt)));" in tests  # fmt: skip
    prompt, tests = multiple_static.Java().translate(problem)
    assert prompt.endswith("    public static Pair<Float, Optional<String>> stats(ArrayList<Long> xs, float scale, "
                           "HashMap<String,Long> names) {\n")  # fmt: skip
    assert '.equals(Pair.with(1.5f, Optional.of("a"))));' in tests
    prompt, tests = multiple_static.CSharp().translate(problem)
    assert (
        "public static Tuple<float, string> Stats(List<long> xs, float scale, Dictionary<string,long> names)" in prompt
    )
    assert "Debug.Assert(DeepEquals(Stats(new List<long>(), 1.0f, new Dictionary<string,long>(){}), " \
        "Tuple.Create(0.0f, (string)null)));" in tests  # fmt: skip
    prompt, _ = multiple_static.TypeScript().translate(problem)
    assert prompt.endswith("function stats(xs: number[], scale: number, names: {[key: string]: number}): "
                           "[number, string | undefined] {\n")  # fmt: skip


@pytest.mark.parametrize("lang", COMPILED)
def test_typed_translation_compiles_and_passes_a_correct_solution(sandbox, lang):
    _need(lang)
    prompt, tests = TRANSLATORS[lang]().translate(multiple.humaneval_problem("t", TYPED_PROMPT, TYPED_TEST, "stats"))
    task = Task("t", prompt, "", "stats", tests, language=lang)
    right = sandbox.run(programs.multiple_program(task, prompt + TYPED_BODIES[lang]))
    assert right.passed, (right.reason, right.stderr[-500:])
    wrong = sandbox.run(programs.multiple_program(task, prompt + TYPED_BODIES[lang].replace("0.0", "1.0", 1)))
    assert wrong.outcome is Outcome.FAILED and not wrong.reason.startswith("compile error")


def test_a_cpp_function_without_return_is_a_compile_error(sandbox):
    """Falling off the end of a non-void function is undefined behaviour that passed tests by luck."""
    _need("cpp")
    task = load_benchmark("multipl-humaneval-cpp").by_id()["HumanEval/3"]  # below_zero: bool
    result = sandbox.run(programs.multiple_program(task, task.prompt + "    // the balance starts at zero\n"))
    assert result.outcome is Outcome.FAILED and "return-type" in result.reason + result.stderr


@pytest.mark.parametrize(
    "lang, annotation, reason",
    [
        ("cpp", "List[Any]", "no cpp type for any"),
        ("java", "Union[int, str]", "no java type for union"),
        ("csharp", "Tuple[int, int, int, int, int]", ""),
        ("typescript", "Set[int]", "type annotation not translated"),
    ],
)
def test_types_a_language_cannot_write_drop_the_problem(lang, annotation, reason):
    prompt = f'from typing import *\n\n\ndef f(x: {annotation}) -> int:\n    """Doc."""\n'
    problem = multiple.humaneval_problem("t", prompt, "def check(candidate):\n    assert candidate([1]) == 1\n", "f")
    if not reason:  # C# writes any tuple; its values must still fit the declared type
        with pytest.raises(multiple.Untranslatable, match=re.escape("[1] is not a tuple")):
            TRANSLATORS[lang]().translate(problem)
        return
    with pytest.raises(multiple.Untranslatable, match=re.escape(reason)):
        TRANSLATORS[lang]().translate(problem)
    mixed_tests = "def check(candidate):\n    assert candidate(1) == 1\n    assert candidate('a') == 2\n"
    mixed = multiple.humaneval_problem("t", 'def g(x):\n    """Doc."""\n', mixed_tests, "g")
    with pytest.raises(multiple.Untranslatable, match="values of mixed types: int and str"):
        TRANSLATORS[lang]().translate(mixed)


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


@pytest.mark.parametrize("source, kept_at_least", [("humaneval", 145), ("mbpp", 345)])
def test_benchmarks_keep_most_problems_and_count_the_dropped(source, kept_at_least):
    python_total = {"humaneval": 164, "mbpp": 427}[source]
    for lang in LANGUAGES:
        bench = load_benchmark(f"multipl-{source}-{SHORT[lang]}")
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
    head = sh.prompt[: sh.prompt.rstrip("\n").rfind("\n") + 1]  # the shebang and the docstring comment
    assert multiple_solution(sh, answer) == head + "has_close_elements() {\n    echo false\n"
    # C++ and Java: the block's function goes into the prompt's frame (includes; imports and class) left open.
    cpp = load_benchmark("multipl-humaneval-cpp").tasks[0]
    answer = "Sure:\n```cpp\n#include <vector>\nbool has_close_elements(std::vector<float> n, float t) {\n" \
        "    return false;\n}\n```\n"  # fmt: skip
    solution = multiple_solution(cpp, answer)
    assert solution.startswith("#include<assert.h>\n#include<bits/stdc++.h>\n// Check if")
    assert solution.endswith("\nbool has_close_elements(std::vector<float> n, float t) {\n    return false;\n")
    java = load_benchmark("multipl-humaneval-java").tasks[0]
    answer = "```java\nimport java.util.*;\nclass Solution {\n    public static boolean hasCloseElements(" \
        "ArrayList<Float> n, float t) {\n        return false;\n    }\n}\n```"  # fmt: skip
    solution = multiple_solution(java, answer)
    assert solution.startswith(java.prompt[:40]) and "class Solution" not in solution
    assert solution.endswith("hasCloseElements(ArrayList<Float> n, float t) {\n        return false;\n")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("source", ["humaneval", "mbpp"])
def test_every_test_program_runs_with_a_stub_body_and_fails_it(sandbox, lang, source):
    """All problems of the interpreted languages; six spread over each benchmark of a compiled one (a compile
    takes seconds here; benchmarks/multiple_validity.py compiles them all, results in benchmarks/RESULTS.md)."""
    _need(lang)
    bench = load_benchmark(f"multipl-{source}-{SHORT[lang]}")
    tasks = bench.tasks[:: len(bench.tasks) // 6 + 1] if lang in COMPILED else bench.tasks
    stub = TRANSLATORS[lang]().stub()
    results = run_many(sandbox, [programs.multiple_program(t, t.prompt + stub) for t in tasks])
    wrong = [
        (t.task_id, r.outcome.value, r.reason[:200], r.stderr[-200:])
        for t, r in zip(tasks, results, strict=True)
        if r.outcome is not Outcome.FAILED
        or r.reason.startswith("compile error")
        or SYNTAX_ERRORS.get(lang, "compile error") in r.stderr
    ]
    assert wrong == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_correct_solutions_pass(sandbox, lang):
    """At least 15 problems, with floats (2), tuples (8), None (12), a map (111) and empty lists (42)."""
    _need(lang)
    bodies = json.loads((FIXTURES / f"{lang}.json").read_text())
    assert len(bodies) >= 15
    tasks = load_benchmark(f"multipl-humaneval-{SHORT[lang]}").by_id()
    chosen = [tasks[task_id] for task_id in bodies]
    results = run_many(sandbox, [programs.multiple_program(t, t.prompt + bodies[t.task_id]) for t in chosen])
    failed = [(t.task_id, r.reason, r.stderr[-300:]) for t, r in zip(chosen, results, strict=True) if not r.passed]
    assert failed == []
    # The same solutions with one result changed fail: floats, tuples and maps are compared, not ignored.
    wrong = MUTATIONS[lang]
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
