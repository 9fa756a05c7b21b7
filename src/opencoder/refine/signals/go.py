"""Go signals (``qsc_codego_*``, SPEC §1.5.2): regex counts over the comment-stripped code.

compat opc reproduces three released bugs: ``cate_var_zero`` is always 0.0 (an int compared with a list),
``cate_testfile`` tests the file name without its extension (so ``x_test.go`` never counts), and a multi-line
``import ( ... )`` block counts as one import line (the in-block flag is reset on every line).
"""

from __future__ import annotations

import regex

from opencoder.refine.signals.langutil import RegexFamily, flag, line_fraction

FUNCTION = regex.compile(
    r"^func\s+(?:\(\s*\w+\s+\*?\w+\s*\))?\s*\w+\s*\([^)]*\)\s*(?:\([^)]+\)|[\w\[\]]+)?\s*", regex.MULTILINE
)
STRUCT_OR_INTERFACE = regex.compile(r"^[^\S\n]*type\s+\w+\s+(?:struct|interface)\s*\{[^}]*\}", regex.MULTILINE)
SIMPLE_RETURN = regex.compile(r"^[^\S\n]*return(?:\s+[^;\n]+)?\s*;?\s*$", regex.MULTILINE)
SIMPLE_VARIABLE = regex.compile(r"^[^\S\n]*var\s+\w+\s+\w+\s*;?\s*$", regex.MULTILINE)
VARIABLE = regex.compile(
    r"^[^\S\n]*(?:(?:var|const)\s+\w+(?:,\s*\w+)*\s+[\w\[\]\*]+"
    r"|(?:var|const)\s+\w+(?:,\s*\w+)*(?:\s+[\w\[\]\*]+)?\s*=\s*[^;\n]+"
    r"|\w+(?:\s*,\s*\w+)*\s*:=\s*[^;\n]+"
    r"|(?:var|const)\s+\(\s*(?:\w+\s+[\w\*\[\]]+\s*)+\))",
    regex.MULTILINE,
)
SINGLE_IMPORT = regex.compile(r'^import\s+"[^"]+"$')


def import_lines(code: str, compat: str) -> int:
    """Lines of ``import "x"`` statements and of ``import ( ... )`` blocks (the opening line and each inner line)."""
    count = 0
    in_block = False
    for line in code.split("\n"):
        stripped = line.strip()
        if SINGLE_IMPORT.match(stripped) or stripped == "import (":
            count += 1
            in_block = stripped == "import (" and compat != "opc"
        elif in_block:
            count += 1
            in_block = stripped != ")"
    return count


def cate_testfile(doc) -> float:
    name = doc.filename.lower()
    if doc.compat == "opc":  # the released notebook passes the name without its extension
        name = name.rpartition(".")[0] if "." in name else name
    return flag(name.endswith("_test.go"))


FAMILY = RegexFamily(
    "go",
    FUNCTION,
    (lambda doc: import_lines(doc.code_text, doc.compat), SIMPLE_VARIABLE, SIMPLE_RETURN, STRUCT_OR_INTERFACE),
    VARIABLE,
    var_zero_opc=0.0,
)

SIGNALS = {
    "qsc_codego_cate_testfile": cate_testfile,
    "qsc_codego_frac_lines_func_ratio": FAMILY.frac_lines_func_ratio,
    "qsc_codego_cate_var_zero": FAMILY.cate_var_zero,
    "qsc_codego_score_lines_no_logic": FAMILY.score_lines_no_logic,
    "qsc_codego_frac_lines_print": line_fraction("fmt.Print", fixed=r"\bfmt\.Print"),
}
