"""Go signals (``qsc_codego_*``, SPEC §1.5.2): regex counts over the comment-stripped code.

compat opc reproduces three released bugs: ``cate_var_zero`` is always 0.0 (an int compared with a list),
``cate_testfile`` tests the file name without its extension (so ``x_test.go`` never counts), and a multi-line
``import ( ... )`` block counts as one import line (the in-block flag is reset on every line).
"""

from __future__ import annotations

import regex

from opencoder.refine.signals.langutil import flag, line_fraction, per_code_line

FUNCTION = regex.compile(
    r"^func\s+(?:\(\s*\w+\s+\*?\w+\s*\))?\s*\w+\s*\([^)]*\)\s*(?:\([^)]+\)|[\w\[\]]+)?\s*", regex.MULTILINE
)
STRUCT_OR_INTERFACE = regex.compile(r"^\s*type\s+\w+\s+(?:struct|interface)\s*\{[^}]*\}", regex.MULTILINE)
SIMPLE_RETURN = regex.compile(r"^\s*return(?:\s+[^;\n]+)?\s*;?\s*$", regex.MULTILINE)
SIMPLE_VARIABLE = regex.compile(r"^\s*var\s+\w+\s+\w+\s*;?\s*$", regex.MULTILINE)
VARIABLE = regex.compile(
    r"^\s*(?:(?:var|const)\s+\w+(?:,\s*\w+)*\s+[\w\[\]\*]+"
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


def _functions(doc) -> int:
    return doc.memo("go.functions", lambda: len(FUNCTION.findall(doc.code_text)))


def frac_lines_func_ratio(doc) -> float | None:
    return per_code_line(doc, _functions(doc))


def cate_var_zero(doc) -> float:
    if doc.compat == "opc":
        return 0.0
    return flag(VARIABLE.search(doc.code_text) is None)


def score_lines_no_logic(doc) -> float | None:
    code = doc.code_text
    count = (
        _functions(doc)
        + import_lines(code, doc.compat)
        + len(SIMPLE_VARIABLE.findall(code))
        + len(SIMPLE_RETURN.findall(code))
        + len(STRUCT_OR_INTERFACE.findall(code))
    )
    return per_code_line(doc, count)


SIGNALS = {
    "qsc_codego_cate_testfile": cate_testfile,
    "qsc_codego_frac_lines_func_ratio": frac_lines_func_ratio,
    "qsc_codego_cate_var_zero": cate_var_zero,
    "qsc_codego_score_lines_no_logic": score_lines_no_logic,
    "qsc_codego_frac_lines_print": line_fraction("fmt.Print", fixed=r"\bfmt\.Print"),
}
