"""Go and Java signals on hand-made snippets; expected values worked out by hand in the comments."""

import pytest

GO_SRC = """package main

import (
\t"fmt"
\t"os"
)

type Point struct {
\tX int
}

func add(a int, b int) int {
\treturn a
}

func main() {
\tvar n int
\tfmt.Println(add(1, 2), os.Args, n)
}
"""
# 15 code lines. Functions add, main (2); "var n int" 1 simple variable; "return a" 1; "type Point struct" 1.
# Import lines: fixed counts "import (", "fmt", "os", ")" (4); opc only "import (" (1).


@pytest.mark.parametrize(("compat", "imports"), [("fixed", 4), ("opc", 1)])
def test_go_signals(signals, compat, imports):
    s = signals(GO_SRC, "go", compat, path="pkg/main.go")
    assert len(s) == 5
    assert s["cate_testfile"] == 0.0
    assert s["frac_lines_func_ratio"] == round(2 / 15, 8)
    assert s["score_lines_no_logic"] == round((2 + imports + 1 + 1 + 1) / 15, 8)
    assert s["frac_lines_print"] == round(1 / 15, 8)
    assert s["cate_var_zero"] == 0.0


@pytest.mark.parametrize(("compat", "expected"), [("fixed", 1.0), ("opc", 0.0)])
def test_go_bugs_fixed_by_default(signals, compat, expected):
    no_vars = "package main\n\nfunc main() {\n\tfmt.Println(1)\n}\n"
    assert signals(no_vars, "go", compat)["cate_var_zero"] == expected
    assert signals(no_vars, "go", compat, path="pkg/add_test.go")["cate_testfile"] == expected


JAVA_SRC = """import java.util.List;

public class Shape {
    private int sides;
    String Name;

    public int getSides() {
        return sides;
    }

    void Print_it() {
        System.out.println(Name);
    }
}
class Helper {
}
"""
# 13 code lines. Functions getSides, Print_it (2); 1 import; simple fields "private int sides;", "String Name;" (2);
# "return sides;" 1; classes Shape, Helper (2).


def test_java_signals(signals):
    s = signals(JAVA_SRC, "java")
    assert len(s) == 8
    assert s["cate_var_zero"] == 0.0
    assert s["frac_lines_func_ratio"] == round(2 / 13, 8)
    assert s["score_lines_no_logic"] == round((2 + 1 + 2 + 1 + 2) / 13, 8)
    assert s["frac_lines_print"] == round(1 / 13, 8)
    assert s["frac_words_legal_class_name"] == 1.0  # Shape, Helper
    assert s["frac_words_legal_var_name"] == 0.5  # sides yes, Name no (starts upper-case)
    assert s["frac_words_legal_func_name"] == 0.5  # getSides yes, Print_it no (underscore)
    assert s["frac_words_no_modifier"] == 0.5  # Print_it and Helper of 4 declarations


def test_java_released_name_checks_in_opc(signals):
    s = signals(JAVA_SRC, "java", "opc")
    # the released check reads the 2nd character: "private ..."[1] = "r", "String ..."[1] = "t" -> 2 / 2
    assert s["frac_words_legal_var_name"] == 1.0
    assert s["frac_words_legal_func_name"] == 1.0  # "public ..."[1] = "u", "void ..."[1] = "o"
    assert s["frac_words_no_modifier"] == 0.25  # counts functions WITH a modifier (getSides) over 4
    assert signals("class A {\n    void f() {}\n}\n", "java")["cate_var_zero"] == 1.0


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("csharp", "MyConsole.WriteLine(x);"),
        ("java", "MySystem.out.println(x);"),
        ("javascript", "myconsole.log(x);"),
        ("go", "myfmt.Println(x)"),
        ("cpp", "scout(x);"),
    ],
)
def test_print_needles_need_a_word_boundary_unless_opc(signals, lang, line):
    text = f"int y;\n{line}\n"  # 2 code lines, the second holds the print needle inside a longer name
    assert signals(text, lang, "opc")["frac_lines_print"] == 0.5
    assert signals(text, lang)["frac_lines_print"] == 0.0
