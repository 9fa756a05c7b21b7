"""HTML signals (``qsc_codehtml_*``, SPEC §1.5.2): the visible text as BeautifulSoup (``html.parser``) extracts it.

``get_text()`` of bs4 >= 4.10 leaves out comments, doctypes, processing instructions and the contents of
``<script>``, ``<style>`` and ``<template>``. The parse result is cached; a parser failure (RecursionError on
pathological nesting, or any bs4 error) gives ``cate_ast = 0.0`` and null text signals.
"""

from __future__ import annotations

import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from opencoder.refine.signals.langutil import PRECISION, flag


def visible_text_length(doc) -> int | None:
    """Characters of ``BeautifulSoup(text, "html.parser").get_text()``, or None when parsing fails."""

    def run() -> int | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
                return len(BeautifulSoup(doc.text, "html.parser").get_text())
        except Exception:
            return None

    return doc.memo("html.text_length", run)


def cate_ast(doc) -> float:
    return flag(visible_text_length(doc) is not None)


def frac_words_text(doc) -> float | None:
    length = visible_text_length(doc)
    if length is None or not doc.text:
        return None
    return round(length / len(doc.text), PRECISION)


def num_chars_text(doc) -> float | None:
    length = visible_text_length(doc)
    return None if length is None else float(length)


SIGNALS = {
    "qsc_codehtml_cate_ast": cate_ast,
    "qsc_codehtml_frac_words_text": frac_words_text,
    "qsc_codehtml_num_chars_text": num_chars_text,
}
