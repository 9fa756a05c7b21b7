"""C, C++ and C# signals on hand-made snippets; expected values worked out by hand in the comments."""

import pytest

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
