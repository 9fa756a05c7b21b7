"""Helpers for the language-signal tests: compute one language module's signals on a snippet."""

import pytest

from opencoder.refine.signals import language_module
from opencoder.refine.signals.document import CodeDocument


def _signals(text: str, lang: str, compat: str = "fixed", path: str = "") -> dict:
    """All of ``lang``'s signals on ``text``, keyed by the name without the ``qsc_code<lang>_`` prefix."""
    doc = CodeDocument(text, lang=lang, path=path or f"src/file.{lang}", compat=compat)
    prefix = f"qsc_code{ {'c': 'c', 'cpp': 'cpp'}.get(lang, lang) }_"
    return {name.removeprefix(prefix): fn(doc) for name, fn in language_module(lang).SIGNALS.items()}


@pytest.fixture
def signals():
    return _signals
