"""Reading teachers' answers, including the malformed ones small models write."""

from __future__ import annotations

import pytest

from opencoder.synth.parsing import Reject, code_and_tests, code_blocks, score, sections


def test_code_and_tests_split_one_block_or_two():
    one = "Here:\n```python\n# adds\ndef add(a, b):\n    return a + b\n\n"
    one += "assert add(1, 2) == 3\nassert add(\n    2, 2) == 4\n```"
    solution, tests = code_and_tests(one, 2)
    assert solution == "# adds\ndef add(a, b):\n    return a + b\n"
    assert tests == ["assert add(1, 2) == 3", "assert add(\n    2, 2) == 4"]
    two = "```py\ndef f():\n    return 1\n```\ntext\n```\nassert f() == 1\n```\n```js\nconsole.log(1)\n```"
    assert code_and_tests(two) == ("def f():\n    return 1\n", ["assert f() == 1"])


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("no code at all", "no closed ```python code block"),
        ("```python\ndef f():\n    return 1\n", "no closed ```python code block"),  # cut at max_tokens
        ("```python\ndef f(:\n```", "not valid Python"),
        ("```python\nx = 1\nassert x == 1\n```", "defines no function"),
        ("```python\ndef f():\n    return 1\n```", "0 assert statement(s), 1 needed"),
    ],
)
def test_malformed_answers_are_rejected_with_a_reason(answer, reason):
    with pytest.raises(Reject, match=reason.replace("(", r"\(").replace(")", r"\)")):
        code_and_tests(answer)


def test_sections_in_the_shapes_models_write():
    text = "[Task]\nDo it.\n**Analysis:** think first\n## Solution\nsol\nTest: the asserts\n"
    assert sections(text, ("Task", "Analysis", "Solution", "Test")) == {
        "Task": "Do it.", "Analysis": "think first", "Solution": "sol", "Test": "the asserts"}  # fmt: skip
    with pytest.raises(Reject, match="missing section\\(s\\): Analysis, Test"):
        sections("[Task] x\n[Solution] y\nTesting is good", ("Task", "Analysis", "Solution", "Test"))


def test_scores_and_blocks():
    assert [score(t) for t in ("8", "Score: 10/10", "I give it a 3.", " 7\n")] == [8, 10, 3, 7]
    # A judge that explains first: the number out of 10, or the one after "score"/"rate", wins over earlier ones.
    assert score("It has 2 functions and 1 class; I rate it 7 out of 10.") == 7
    assert score("Step 1 is clear, step 2 is not. Score: 4") == 4
    assert score("With 3 helpers it is clear: 9/10") == 9
    with pytest.raises(Reject):
        score("excellent code, 12.5 points")
    assert code_blocks("```c\nint x;\n```\n```python\nx = 1\n```", "python") == ["x = 1\n"]
