"""AST answer extraction on the shapes models really produce."""

from __future__ import annotations

from opencoder.eval.sanitize import longest_valid_span, sanitize

CHAT_ANSWER = """Sure! Here is the solution:

```python
import math

def helper(x):
    return x * 2

def solve(n):
    # doubles then rounds up
    return math.ceil(helper(n))

def unused():
    return 0

print(solve(3))
assert solve(1) == 2
```

This works because doubling is easy.
"""


def test_chat_answer_keeps_imports_and_what_the_entry_point_reaches():
    assert sanitize(CHAT_ANSWER, "solve") == (
        "import math\ndef helper(x):\n    return x * 2\ndef solve(n):\n    return math.ceil(helper(n))\n"
    )


def test_without_entry_point_every_definition_with_a_return_is_kept():
    code = sanitize("X = 3\ndef f():\n    return X\ndef g():\n    pass\nclass C:\n    pass\nf()\n")
    assert code == "X = 3\ndef f():\n    return X\nclass C:\n    pass\n"


def test_a_later_definition_wins():
    assert sanitize("def f():\n    return 1\ndef f():\n    return 2\n", "f") == "def f():\n    return 2\n"


def test_base_model_completion_cut_mid_statement():
    text = "def add(a, b):\n    return a + b\n\ndef broken(:\n    return\n"
    assert sanitize(text, "add") == "def add(a, b):\n    return a + b\n"


def test_longest_span_counts_non_blank_lines():
    text = "x = (\n\n\ny = 1\nz = 2\n"
    assert longest_valid_span(text) == "\n\ny = 1\nz = 2"


def test_nothing_garbage_and_tabs():
    assert sanitize("", "f") == ""
    assert sanitize("\x00\x01\udcff garbage ))) ", "f") == ""
    assert sanitize("def f(x):\n\treturn x\r\n", "f") == "def f(x):\n    return x\n"


def test_only_the_first_hundred_lines_are_read():
    text = "\n".join(f"# filler {i}" for i in range(100)) + "\ndef f():\n    return 1\n"
    assert sanitize(text, "f") == ""
