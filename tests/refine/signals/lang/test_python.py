"""Python signals on hand-made snippets; expected values worked out by hand in the comments."""

import pytest

SRC = """import os
from sys import path


class A:
    x = 1
    y: int = 2

    def f(self):
        return self.x


def g(a):
    for i in range(a):
        print(i)
    pass
"""
# 11 code lines: import os | from sys import path | class A: | x = 1 | y: int = 2 | def f(self): | return self.x
#                def g(a): | for i in range(a): | print(i) | pass


def test_python_signals(signals):
    s = signals(SRC, "python")
    assert len(s) == 8
    assert s["cate_ast"] == 1.0
    assert s["frac_lines_func_ratio"] == round(2 / 11, 8)  # f, g
    assert s["cate_var_zero"] == 0.0  # x = 1 assigns a Name
    assert s["frac_lines_pass"] == round(1 / 11, 8)
    assert s["frac_lines_import"] == round(2 / 11, 8)
    assert s["frac_lines_simplefunc"] == round(1 / 11, 8)  # f's body is a single return
    # 2 functions + 2 import lines + 1 class + 1 "return ..." line + 2 class-body assignments (x, y) = 8
    assert s["score_lines_no_logic"] == round(8 / 11, 8)
    assert s["frac_lines_print"] == round(1 / 11, 8)


def test_comments_and_docstrings_are_not_code_lines(signals):
    # code lines: def f(): | pass  -> pass 1/2; the docstring and the comment do not count
    s = signals('def f():\n    """Doc."""\n    # pass the test\n    pass\n', "python")
    assert s["frac_lines_pass"] == 0.5
    assert s["cate_var_zero"] == 1.0  # no assignment, no for target, no arguments


# 3 code lines; "password", "reprint" and "important" hold the substrings the released code counts
SUBSTRINGS = "password = get()\nreprint(password)\nimportant = 1\n"


@pytest.mark.parametrize(
    ("compat", "expected"),
    [
        ("opc", {"pass": round(2 / 3, 8), "print": round(1 / 3, 8), "import": round(1 / 3, 8)}),
        ("fixed", {"pass": 0.0, "print": 0.0, "import": 0.0}),
    ],
)
def test_substring_matches_only_in_opc(signals, compat, expected):
    s = signals(SUBSTRINGS, "python", compat)
    assert {k: s[f"frac_lines_{k}"] for k in expected} == expected


def test_parse_failure_gives_documented_values(signals):
    s = signals("def f(:\n    return 1\n", "python")
    assert s["cate_ast"] == 0.0
    for name in ("frac_lines_func_ratio", "cate_var_zero", "frac_lines_simplefunc", "score_lines_no_logic"):
        assert s[name] is None
    assert s["frac_lines_print"] == 0.0  # line signals do not need the tree


def test_parser_breaking_nesting_is_a_parse_failure(signals):
    deep = "x = " + "1+" * 200_000 + "1\n"  # RecursionError inside ast.parse
    assert signals(deep, "python")["cate_ast"] == 0.0
    assert signals("x = " + "-" * 200_000 + "1\n", "python")["cate_ast"] == 0.0  # MemoryError in the parser
    assert signals("x = 1\0\n", "python")["cate_ast"] == 0.0  # NUL byte: ValueError/SyntaxError


def test_nested_class_members_are_not_counted(signals):
    # lines: class A: | class B: | y = 1 | x = 2  -> 2 classes + 1 simple var (x; B is nested in A) = 3 / 4
    assert signals("class A:\n    class B:\n        y = 1\n    x = 2\n", "python")["score_lines_no_logic"] == 0.75
