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
