"""C# signals (``qsc_codecsharp_*``, SPEC §1.5.2): regex counts over the comment-stripped code.

compat opc: ``cate_var_zero`` is always 0.0, as in the released code (it compares a list with 0).
"""

from __future__ import annotations

import regex

from opencoder.refine.signals.langutil import RegexFamily, line_fraction

FUNCTION = regex.compile(
    r"^[^\S\n]*(?:(?:public|protected|private|internal)\s+)?(?:(?:static|virtual|override|abstract|async)\s+)?"
    r"(?!\s*(?:public|private|protected|if|else)\s*)(?:<\w+>)?\s*\w+\s+\w+\s*\([^)]*\)",
    regex.MULTILINE,
)
VARIABLE = regex.compile(
    r"\b(?:int|float|double|char|string|var|bool|byte|sbyte|short|ushort|uint|long|ulong|decimal)\s+\w+"
)
SIMPLE_VARIABLE = regex.compile(
    r"\b(?:int|float|double|char|string|bool|byte|sbyte|short|ushort|uint|long|ulong|decimal)\s+\w+\s*;"
)
USING = regex.compile(r"^[^\S\n]*using\s+[a-zA-Z0-9_.]+\s*;", regex.MULTILINE)
CLASS = regex.compile(r"\b(?:public|private|protected|internal|static|abstract|sealed)?\s*class\s+\w+")
SIMPLE_RETURN = regex.compile(r"^[^\S\n]*return\b(?:\s+[^;\n]+)?\s*;", regex.MULTILINE)


FAMILY = RegexFamily("csharp", FUNCTION, (USING, SIMPLE_VARIABLE, SIMPLE_RETURN, CLASS), VARIABLE, var_zero_opc=0.0)

SIGNALS = {
    "qsc_codecsharp_frac_lines_func_ratio": FAMILY.frac_lines_func_ratio,
    "qsc_codecsharp_cate_var_zero": FAMILY.cate_var_zero,
    "qsc_codecsharp_score_lines_no_logic": FAMILY.score_lines_no_logic,
    "qsc_codecsharp_frac_lines_print": line_fraction("Console.WriteLine", fixed=r"\bConsole\.WriteLine\b"),
}
