"""langutil.line_fraction counts lines in one pass over the code text: the same counts as a loop over code lines."""

from types import SimpleNamespace

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from opencoder.refine.signals.langutil import line_fraction, per_code_line
from opencoder.refine.signals.text import split_lines

# (opc needles, fixed pattern) of every line_fraction signal (python, c, cpp, csharp, go, java, javascript)
LINE_SIGNALS = [
    (("print",), r"\bprint\b"),
    (("goto",), r"\bgoto\b"),
    (("printf",), r"\bprintf\b"),
    (("cout", "printf"), r"\b(?:cout|printf)\b"),
    (("Console.WriteLine",), r"\bConsole\.WriteLine\b"),
    (("fmt.Print",), r"\bfmt\.Print"),
    (("System.out.print",), r"\bSystem\.out\.print"),
    (("console.log",), r"\bconsole\.log\b"),
]
TOKENS = ["print", "printf", "goto", "cout", "Console.WriteLine", "fmt.Print", "System.out.print", "console.log"]
TOKENS += ["x", "_", "é", ".", "(", " ", "\t", "\n", "\n", "\r", "\x0c", "\x1c", "\x85", "\u2028"]


def _document(text: str, compat: str) -> SimpleNamespace:
    lines = [line for line in split_lines(text) if not line.isspace()]
    return SimpleNamespace(code_text=text, code_lines=lines, num_code_lines=len(lines), compat=compat)


def _per_line(doc, needles: tuple[str, ...], fixed: str) -> float | None:
    """The definition line_fraction replaced: each code line tested on its own."""
    if doc.compat == "opc":
        return per_code_line(doc, sum(any(n in line for n in needles) for line in doc.code_lines))
    return per_code_line(doc, sum(regex.search(fixed, line) is not None for line in doc.code_lines))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_line_fraction_counts_what_the_per_line_loop_counts(text):
    for compat in ("fixed", "opc"):
        doc = _document(text, compat)
        for needles, fixed in LINE_SIGNALS:
            assert line_fraction(*needles, fixed=fixed)(doc) == _per_line(doc, needles, fixed), (needles, compat)


@pytest.mark.parametrize("compat", ["fixed", "opc"])
def test_a_long_line_with_many_matches_counts_once(compat):
    doc = _document("printf(1); " * 50_000 + "\nx\nprintf\n", compat)  # one search per matching line
    assert line_fraction("printf", fixed=r"\bprintf\b")(doc) == round(2 / 3, 8)
