"""C, C++ and C# signals on hand-made snippets (expected values worked out by hand in the comments); rewritten
patterns against the ones they replace."""

import re

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from opencoder.refine.signals import clike
from opencoder.refine.signals.text import count_matching_lines, split_lines

C_SRC = """#include <stdio.h>
int count;
static int add(int a, int b) {
    return a;
}
int main(void) {
    printf("%d", add(1, 2));
    goto done;
done:
    return 0;
}
"""
# 11 code lines. Functions: add, main (2). includes 1, "int count;" 1 simple variable, returns "return a;" and
# "return 0;" (2), classes 0.


@pytest.mark.parametrize("lang", ["c", "cpp"])
def test_c_family_signals(signals, lang):
    s = signals(C_SRC, lang)
    assert len(s) == 8
    assert s["frac_lines_func_ratio"] == round(2 / 11, 8)
    assert s["cate_bitsstdc"] == 0.0
    assert s["nums_lines_main"] == 1.0
    assert s["frac_lines_goto"] == round(1 / 11, 8)
    assert s["cate_var_zero"] == 0.0
    assert s["score_lines_no_logic"] == round((2 + 1 + 1 + 2 + 0) / 11, 8)
    assert s["frac_lines_print"] == round(1 / 11, 8)
    assert s["frac_lines_preprocessor_directives"] == round(1 / 11, 8)  # the #include line


def test_c_family_details(signals):
    assert signals(C_SRC, "c", path="x/y.h")["frac_lines_preprocessor_directives"] is None  # headers: None
    assert signals("#include <bits/stdc++.h>\nint main() {}\n", "cpp")["cate_bitsstdc"] == 1.0
    # 2 code lines; cout counts for C++ only
    assert signals("int x;\nstd::cout << x;\n", "cpp")["frac_lines_print"] == 0.5
    assert signals("int x;\nstd::cout << x;\n", "c")["frac_lines_print"] == 0.0
    assert signals("void f() {}\n", "c")["cate_var_zero"] == 1.0
    assert signals("/* only a comment */\n", "c")["frac_lines_func_ratio"] is None  # no code lines


# 4 code lines: "gotoxy", "sprintf" and "destruct_all" hold the substrings goto, printf and struct
SUBSTRINGS = 'int x;\ngotoxy(1, 2);\nsprintf(buf, "a");\ndestruct_all();\n'


@pytest.mark.parametrize(("compat", "expected"), [("opc", 0.25), ("fixed", 0.0)])
def test_c_substrings_only_in_opc(signals, compat, expected):
    s = signals(SUBSTRINGS, "c", compat)
    assert s["frac_lines_goto"] == s["frac_lines_print"] == s["frac_lines_preprocessor_directives"] == expected


CS_SRC = """using System;
class Program {
    static int count;
    public static int Add(int a, int b) {
        return a;
    }
    static void Main() {
        Console.WriteLine("hi");
    }
}
"""
# 10 code lines. Functions Add, Main (2); "using System;" 1; "int count;" 1; "return a;" 1; "class Program" 1.


def test_csharp_signals(signals):
    s = signals(CS_SRC, "csharp")
    assert len(s) == 4
    assert s["frac_lines_func_ratio"] == 0.2  # 2 / 10
    assert s["score_lines_no_logic"] == 0.6  # (2 + 1 + 1 + 1 + 1) / 10
    assert s["frac_lines_print"] == 0.1  # 1 / 10
    assert s["cate_var_zero"] == 0.0


def test_csharp_var_zero_never_fires_in_opc(signals):
    no_vars = "class A {\n    void F() {\n        Console.WriteLine(1);\n    }\n}\n"
    assert signals(no_vars, "csharp")["cate_var_zero"] == 1.0
    assert signals(no_vars, "csharp", "opc")["cate_var_zero"] == 0.0


# The include and class patterns as they were before they were written literal first (the include one in re)
BEFORE = {
    clike.INCLUDE: re.compile(r'^[^\S\n]*#\s*include\s+["<][^">]+[">]', re.MULTILINE),
    clike.CLASS: regex.compile(r"^[^\S\n]*class\s+\w+\s*(?::[^{]*)?\{", regex.MULTILINE),
}
# The directive-line patterns as they were, searched in each code line on its own
_DIRECTIVES = "include|define|if|ifdef|ifndef|else|elif|endif|error|pragma|warning|undef|line"
LINES_BEFORE = {
    clike._DIRECTIVE: regex.compile(rf"^[^\S\n]*#\s*(?:{_DIRECTIVES})\b|\bstruct\b|\busing\b"),
    clike._DIRECTIVE_OPC: regex.compile(rf"#\s*(?:{_DIRECTIVES})|struct|using"),
}
TOKENS = ["#", "include", "class", "<a.h>", '"b.h"', "<", ">", "A", ":", "{", "x", " ", "\t", "\n", "\n", "\r"]
TOKENS += ["\x0c", "\x1c", "\x1f", "\x85", "\u2028", "\xa0", "é", "define", "if", "struct", "using", "destructor"]


def _same_counts(text: str) -> bool:
    lines = [line for line in split_lines(text) if not line.isspace()]
    same = [len(pattern.findall(text)) == len(before.findall(text)) for pattern, before in BEFORE.items()]
    same += [
        count_matching_lines(text, pattern) == sum(before.search(line) is not None for line in lines)
        for pattern, before in LINES_BEFORE.items()
    ]
    return all(same)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
@example("#\ninclude <a.h>\n#\x1c define X\n  class A\n{\n")  # a line end inside a would-be match
def test_rewritten_patterns_count_what_the_ones_before_counted(text):
    assert _same_counts(text)


def test_rewritten_patterns_on_real_headers(corpus):
    headers = corpus("usr-include", ".h", 300_000)
    assert len(headers) >= 20, "needs the C library's headers in /usr/include (libc6-dev, which gcc brings)"
    for path, text in headers:
        assert _same_counts(text), path
