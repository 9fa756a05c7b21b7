"""Java signals (``qsc_codejava_*``, SPEC §1.5.2): regex matches over the comment-stripped code.

compat opc reproduces the released name checks, which test the *second character* of each matched declaration
(``line[1]`` of a string) instead of the declared name, and ``frac_words_no_modifier``, which counts functions
*with* an access modifier (and never a class: ``"public" in (text, name)`` tests tuple membership).
"""

from __future__ import annotations

import regex

from opencoder.refine.signals.langutil import flag, line_fraction, per_code_line, ratio

_MODIFIERS = r"(?:(?:public|protected|private|final|static)\s+)*"
_TYPE = r"(?:int|float|boolean|char|double|String|(?:[A-Z][\w<>]*))"
# Group 1 is the released pattern's capture (the match without leading whitespace); "name" the declared name.
FUNCTION = regex.compile(
    r"^\s*((?:(?:public|protected|private|static)\s+)*(?!\s*(?:public|private|protected|else|if)\s*)(?:<\w+>)?"
    r"\s*\w+\s+(?P<name>\w+)\s*\([^\)]*\)(?:\s*throws\s+[\w\, ]+)?)",
    regex.MULTILINE,
)
VARIABLE = regex.compile(rf"^\s*({_MODIFIERS}{_TYPE}\s+(?P<name>\w+)\s*(?:\s*=\s*[^;]+)?;)", regex.MULTILINE)
SIMPLE_VARIABLE = regex.compile(rf"^\s*{_MODIFIERS}{_TYPE}\s+\w+\s*;", regex.MULTILINE)
IMPORT = regex.compile(r"^\s*import\s+[\w\.\*]+\s*;\s*$", regex.MULTILINE)
SIMPLE_RETURN = regex.compile(r'^\s*return(?:;|\s+(?:\w*|"[^"\\]*(?:\\.[^"\\]*)*")\s*;\s*)$', regex.MULTILINE)
CLASS = regex.compile(
    r"^\s*((?:public\s+|protected\s+|private\s+)?(?:final\s+|abstract\s+)?class\s+(?P<name>[\w<>]+))",
    regex.MULTILINE,
)
ACCESS = regex.compile(r"\b(?:public|protected|private)\b")
LEGAL_VARIABLE = regex.compile(r"[a-z][a-zA-Z0-9]*")
LEGAL_FUNCTION = regex.compile(r"[a-zA-Z][a-zA-Z0-9]*")
LEGAL_CLASS = regex.compile(r"[A-Z][a-zA-Z0-9]*")


def _matches(doc, key: str, pattern: regex.Pattern) -> list[tuple[str, str]]:
    """(released capture, declared name) of each match, computed once per document."""
    return doc.memo(f"java.{key}", lambda: [(m[1], m["name"]) for m in pattern.finditer(doc.code_text)])


def _functions(doc) -> list[tuple[str, str]]:
    return _matches(doc, "functions", FUNCTION)


def _classes(doc) -> list[tuple[str, str]]:
    return _matches(doc, "classes", CLASS)


def cate_var_zero(doc) -> float:
    return flag(VARIABLE.search(doc.code_text) is None)


def frac_lines_func_ratio(doc) -> float | None:
    return per_code_line(doc, len(_functions(doc)))


def score_lines_no_logic(doc) -> float | None:
    code = doc.code_text
    count = (
        len(_functions(doc))
        + len(IMPORT.findall(code))
        + len(SIMPLE_VARIABLE.findall(code))
        + len(SIMPLE_RETURN.findall(code))
        + len(_classes(doc))
    )
    return per_code_line(doc, count)


def frac_words_no_modifier(doc) -> float | None:
    """Functions and classes declared without an access modifier, over all of them."""
    functions, classes = _functions(doc), _classes(doc)
    if doc.compat == "opc":
        count = sum(any(word in text for word in ("public", "protected", "private")) for text, _ in functions)
    else:
        count = sum(ACCESS.search(text) is None for text, _ in functions + classes)
    return ratio(count, len(functions) + len(classes))


def _legal_fraction(matches: list[tuple[str, str]], legal: regex.Pattern, compat: str) -> float | None:
    # the released check reads text[1], the declaration's second character, for functions and variables
    names = [text[1] if compat == "opc" else name for text, name in matches]
    return ratio(sum(legal.fullmatch(name) is not None for name in names), len(names))


def frac_words_legal_var_name(doc) -> float | None:
    return _legal_fraction(_matches(doc, "variables", VARIABLE), LEGAL_VARIABLE, doc.compat)


def frac_words_legal_func_name(doc) -> float | None:
    return _legal_fraction(_functions(doc), LEGAL_FUNCTION, doc.compat)


def frac_words_legal_class_name(doc) -> float | None:
    return _legal_fraction(_classes(doc), LEGAL_CLASS, "fixed")  # the released class check reads the name


SIGNALS = {
    "qsc_codejava_cate_var_zero": cate_var_zero,
    "qsc_codejava_frac_lines_func_ratio": frac_lines_func_ratio,
    "qsc_codejava_score_lines_no_logic": score_lines_no_logic,
    "qsc_codejava_frac_words_no_modifier": frac_words_no_modifier,
    "qsc_codejava_frac_words_legal_var_name": frac_words_legal_var_name,
    "qsc_codejava_frac_words_legal_func_name": frac_words_legal_func_name,
    "qsc_codejava_frac_words_legal_class_name": frac_words_legal_class_name,
    "qsc_codejava_frac_lines_print": line_fraction("System.out.print", fixed=r"\bSystem\.out\.print"),
}
