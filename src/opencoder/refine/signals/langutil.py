"""Helpers shared by the language-specific signal modules (python.py, c.py, ..., javascript.py).

Most language signals are "matches per code line": a count divided by the number of non-empty comment-stripped
lines (``doc.code_lines``), rounded to 8 decimals as the released code does, and null when there are no code
lines. ``doc.compat == "opc"`` selects the released code's behaviour where it differs (docs/signals-lang.md).
"""

from __future__ import annotations

from collections.abc import Callable

import regex

PRECISION = 8


def per_code_line(doc, count: int) -> float | None:
    """``count`` divided by the number of code lines; None when the document has no code lines."""
    total = len(doc.code_lines)
    return round(count / total, PRECISION) if total else None


def count_lines(doc, opc_needles: tuple[str, ...], fixed: regex.Pattern) -> int:
    """Code lines that contain one of ``opc_needles`` (compat opc: plain substrings) or match ``fixed``."""
    if doc.compat == "opc":
        return sum(any(needle in line for needle in opc_needles) for line in doc.code_lines)
    return sum(fixed.search(line) is not None for line in doc.code_lines)


def line_fraction(*opc_needles: str, fixed: str) -> Callable[[object], float | None]:
    """A signal: the fraction of code lines holding one of ``opc_needles`` (opc) or matching regex ``fixed``."""
    pattern = regex.compile(fixed)

    def signal(doc) -> float | None:
        return per_code_line(doc, count_lines(doc, opc_needles, pattern))

    return signal


def flag(value: bool) -> float:
    """Category signals are stored as 1.0 / 0.0, as the released code does."""
    return 1.0 if value else 0.0


def ratio(count: int, total: int) -> float | None:
    """``count / total`` rounded, or None when there is nothing to divide by."""
    return round(count / total, PRECISION) if total else None
