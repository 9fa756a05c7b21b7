"""Quality signals (SPEC §1.5.2): 32 ``qsc_doc_*``, 33 ``qsc_code_*``, 53 language-specific ones.

Layout: ``document.py`` (the shared per-document context, ``CodeDocument``), ``text.py`` (normalisation,
words, n-grams), ``comments.py`` (code/comment split), ``doc.py`` and ``code.py`` (the general signals),
one module per language in ``LANGUAGE_MODULES`` (written by the language-signal engineer), ``runner.py``
(computes all signals for a batch under per-signal timeouts).

A language module exposes either ``SIGNALS: dict[str, Callable[[CodeDocument], float | int | bool | None]]``
or
``compute(doc: CodeDocument) -> dict[str, float | int | bool | None]``; the runner calls it only for documents
whose ``lang`` is the module's language (module ``c`` for lang "c", ``cpp`` for "cpp", and so on).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

# Programming languages with their own signals; the module name is the language name.
LANGUAGE_MODULES: tuple[str, ...] = ("c", "cpp", "csharp", "go", "html", "java", "javascript", "python")

_C_FAMILY = (
    "cate_bitsstdc",
    "cate_var_zero",
    "frac_lines_func_ratio",
    "frac_lines_goto",
    "frac_lines_preprocessor_directives",
    "frac_lines_print",
    "nums_lines_main",
    "score_lines_no_logic",
)
_LEGAL_NAMES = ("frac_words_legal_class_name", "frac_words_legal_func_name", "frac_words_legal_var_name")
# The 53 language-specific signal names of the released code, by language (SPEC §1.5.2). The signals table
# has a column for each, null for documents of other languages, whether or not the module exists yet.
LANGUAGE_SIGNAL_NAMES: dict[str, tuple[str, ...]] = {
    "c": tuple(f"qsc_codec_{s}" for s in _C_FAMILY),
    "cpp": tuple(f"qsc_codecpp_{s}" for s in _C_FAMILY),
    "csharp": tuple(
        f"qsc_codecsharp_{s}"
        for s in ("cate_var_zero", "frac_lines_func_ratio", "frac_lines_print", "score_lines_no_logic")
    ),
    "go": tuple(
        f"qsc_codego_{s}"
        for s in (
            "cate_testfile",
            "cate_var_zero",
            "frac_lines_func_ratio",
            "frac_lines_print",
            "score_lines_no_logic",
        )
    ),
    "html": ("qsc_codehtml_cate_ast", "qsc_codehtml_frac_words_text", "qsc_codehtml_num_chars_text"),
    "java": tuple(
        f"qsc_codejava_{s}"
        for s in (
            "cate_var_zero",
            "frac_lines_func_ratio",
            "frac_lines_print",
            *_LEGAL_NAMES,
            "frac_words_no_modifier",
            "score_lines_no_logic",
        )
    ),
    "javascript": tuple(
        f"qsc_codejavascript_{s}"
        for s in (
            "cate_ast",
            "cate_var_zero",
            "frac_lines_func_ratio",
            "frac_lines_print",
            *_LEGAL_NAMES,
            "num_statement_line",
            "score_lines_no_logic",
        )
    ),
    "python": tuple(
        f"qsc_codepython_{s}"
        for s in (
            "cate_ast",
            "cate_var_zero",
            "frac_lines_func_ratio",
            "frac_lines_import",
            "frac_lines_pass",
            "frac_lines_print",
            "frac_lines_simplefunc",
            "score_lines_no_logic",
        )
    ),
}

Signal = Callable[..., "float | int | bool | None"]


def language_module(lang: str) -> ModuleType | None:
    """The signal module for ``lang``, or None when the language has no specific signals (or none yet)."""
    if lang not in LANGUAGE_MODULES:
        return None
    try:
        return importlib.import_module(f"{__name__}.{lang}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{lang}":
            raise
        return None
