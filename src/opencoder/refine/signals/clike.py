"""Signals shared by C (``qsc_codec_*``) and C++ (``qsc_codecpp_*``): regex counts over the comment-stripped code.

Line-anchored patterns use ``^[^\\S\\n]*`` where the released ones have ``^\\s*`` (same matches counted, no
retries across blank lines), and the stdlib ``re`` engine where it measured faster than ``regex``; the include and
class patterns are written literal first (``#(?<=^[^\\S\\n]*#)...``, regex's variable-length lookbehind), so the
search skips from one "#" or "class" to the next (same counts, 3-5x faster).
The function pattern is the released one, rewritten without its ambiguous ``\\w*\\s*(\\*+)?\\s+`` run (which
backtracks polynomially on long runs of words) and with a possessive type-word loop; it matches the same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import regex

from opencoder.refine.signals.langutil import (
    RE_SPACE,
    RE_SPACE_IN_LINE,
    RegexFamily,
    flag,
    line_fraction,
    per_code_line,
)
from opencoder.refine.signals.text import count_matching_lines

FUNCTION = re.compile(r"\b(?:[a-zA-Z_]\w*+(?:\s*\*+)?\s++)++\*?\s*[a-zA-Z_]\w*\([^)]*\)\s*")
MAIN = regex.compile(r"\bmain\s*\([^)]*\)\s*\{")
INCLUDE = regex.compile(  # re's ^[^\S\n]*#\s*include\s+["<][^">]+[">], literal first (see langutil.RE_SPACE)
    rf'#(?<=^{RE_SPACE_IN_LINE}*#){RE_SPACE}*include{RE_SPACE}+["<][^">]+[">]', regex.MULTILINE
)
CLASS = regex.compile(r"class(?<=^[^\S\n]*class)\s+\w+\s*(?::[^{]*)?\{", regex.MULTILINE)
SIMPLE_VARIABLE = re.compile(
    r"^[^\S\n]*(?:unsigned\s+)?(?:int|float|double|char|bool|std::string|auto)\s+\w+\s*;", re.MULTILINE
)
SIMPLE_RETURN = re.compile(
    r"""^[^\S\n]*return\s*(?:(?:\w+|\d+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|true|false|nullptr)\s*)?;\s*$""",
    re.MULTILINE,
)
# A declaration: type word(s), optional pointers, a name (maybe an array), an optional initialiser, more names.
VARIABLE = regex.compile(
    r"\b\w+(?:\s+\w+)?\s+\**\s*[\w\[\]]+\s*(?:=\s*[^;]*)?(?:,\s*\**\s*[\w\[\]]+\s*(?:=\s*[^;]*)?)*\s*;"
)
FAMILY = RegexFamily("clike", FUNCTION, (INCLUDE, SIMPLE_VARIABLE, SIMPLE_RETURN, CLASS), VARIABLE)
HEADER_EXTENSIONS = frozenset({"h", "hpp", "hxx", "hh", "h++"})
_DIRECTIVES = "include|define|if|ifdef|ifndef|else|elif|endif|error|pragma|warning|undef|line"
# Line patterns for text.count_matching_lines (matches stay in a line: [^\S\n] where the per-line ones had \s)
_DIRECTIVE_OPC = regex.compile(rf"#[^\S\n]*(?:{_DIRECTIVES})|struct|using")
_DIRECTIVE = regex.compile(rf"#(?<=^[^\S\n]*#)[^\S\n]*(?:{_DIRECTIVES})\b|\bstruct\b|\busing\b", regex.MULTILINE)


def cate_bitsstdc(doc) -> float:
    return flag("bits/stdc++.h" in doc.code_text.strip().lower()[:200])


def nums_lines_main(doc) -> float:
    return float(len(MAIN.findall(doc.code_text)))


def frac_lines_preprocessor_directives(doc) -> float | None:
    """Directive lines (or lines with ``struct``/``using``) per code line; None for header files."""
    if doc.ext in HEADER_EXTENSIONS:
        return None
    pattern = _DIRECTIVE_OPC if doc.compat == "opc" else _DIRECTIVE
    return per_code_line(doc, count_matching_lines(doc.code_text, pattern))


def signals(prefix: str, print_needles: tuple[str, ...], print_fixed: str) -> dict[str, Callable]:
    """The eight C-family signals named ``qsc_<prefix>_*``; ``print_*`` define the print-line test."""
    return {
        f"qsc_{prefix}_frac_lines_func_ratio": FAMILY.frac_lines_func_ratio,
        f"qsc_{prefix}_cate_bitsstdc": cate_bitsstdc,
        f"qsc_{prefix}_nums_lines_main": nums_lines_main,
        f"qsc_{prefix}_frac_lines_goto": line_fraction("goto", fixed=r"\bgoto\b"),
        f"qsc_{prefix}_cate_var_zero": FAMILY.cate_var_zero,
        f"qsc_{prefix}_score_lines_no_logic": FAMILY.score_lines_no_logic,
        f"qsc_{prefix}_frac_lines_print": line_fraction(*print_needles, fixed=print_fixed),
        f"qsc_{prefix}_frac_lines_preprocessor_directives": frac_lines_preprocessor_directives,
    }
