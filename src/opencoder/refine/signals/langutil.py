"""Helpers shared by the language-specific signal modules (python.py, c.py, ..., javascript.py).

Most language signals are "matches per code line": a count divided by the number of non-empty comment-stripped
lines (``doc.num_code_lines``), rounded to 8 decimals as the released code does, and null when there are no code
lines. ``doc.compat == "opc"`` selects the released code's behaviour where it differs (docs/signals-lang.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import regex

from opencoder.refine.signals.text import count_matching_lines

PRECISION = 8
# The stdlib re's \\s (str.isspace) spelled for the regex module, whose \\s leaves out \\x1c-\\x1f: for patterns
# moved from re to regex (for its variable-length lookbehind) that must match exactly what they matched before
RE_SPACE = r"[\s\x1c-\x1f]"
RE_SPACE_IN_LINE = r"(?:[^\S\n]|[\x1c-\x1f])"


def per_code_line(doc, count: int) -> float | None:
    """``count`` divided by the number of code lines; None when the document has no code lines."""
    total = doc.num_code_lines
    return round(count / total, PRECISION) if total else None


def line_fraction(*opc_needles: str, fixed: str) -> Callable[[object], float | None]:
    """A signal: the fraction of code lines holding one of ``opc_needles`` (opc: plain substrings) or a match of
    the regex ``fixed`` (which stays inside a line, see ``text.count_matching_lines``)."""
    released = regex.compile("|".join(map(regex.escape, opc_needles)))
    repaired = regex.compile(fixed, regex.MULTILINE)

    def signal(doc) -> float | None:
        return per_code_line(doc, count_matching_lines(doc.code_text, released if doc.compat == "opc" else repaired))

    return signal


def flag(value: bool) -> float:
    """Category signals are stored as 1.0 / 0.0, as the released code does."""
    return 1.0 if value else 0.0


def ratio(count: int, total: int) -> float | None:
    """``count / total`` rounded, or None when there is nothing to divide by."""
    return round(count / total, PRECISION) if total else None


Term = re.Pattern | regex.Pattern | Callable[[object], int]


@dataclass(frozen=True)
class RegexFamily:
    """The regex-defined signals that C, C++, C# and Go share: functions per line, "no logic" score, no variables.

    ``no_logic`` lists the other terms of ``score_lines_no_logic`` (imports/includes, simple variables, simple
    returns, classes): a pattern counts its matches in the comment-stripped code, a callable counts for itself.
    ``var_zero_opc`` is the value the released code returns for ``cate_var_zero`` regardless of the document (C#
    and Go compare a list with 0, so it never fires), or None where the released check works.
    """

    key: str
    function: regex.Pattern
    no_logic: tuple[Term, ...]
    variable: regex.Pattern
    var_zero_opc: float | None = None

    def functions(self, doc) -> int:
        return doc.memo(f"{self.key}.functions", lambda: len(self.function.findall(doc.code_text)))

    def frac_lines_func_ratio(self, doc) -> float | None:
        return per_code_line(doc, self.functions(doc))

    def score_lines_no_logic(self, doc) -> float | None:
        terms = (t(doc) if callable(t) else len(t.findall(doc.code_text)) for t in self.no_logic)
        return per_code_line(doc, self.functions(doc) + sum(terms))

    def cate_var_zero(self, doc) -> float:
        if doc.compat == "opc" and self.var_zero_opc is not None:
            return self.var_zero_opc
        return flag(self.variable.search(doc.code_text) is None)
