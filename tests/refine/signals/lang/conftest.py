"""Helpers for the language-signal tests: one language module's signals on a snippet, real files of this machine."""

import pytest
import xxhash

from opencoder.io.corpus import discover_candidates, sample_corpus
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


def corpus_texts(label_prefix: str, suffix: str, budget: int, largest: int = 20_000) -> list[tuple[str, str]]:
    """(path, text) of real ``suffix`` files from the machine's own corpus (opencoder.io.corpus), roots whose
    label starts with ``label_prefix``: files of at most ``largest`` bytes, spread by path hash, ``budget`` bytes
    in all. Each test asserts a minimum number of files, so that it cannot pass on none."""
    candidates = [c for c in discover_candidates() if c.label.startswith(label_prefix)]
    paths = [path for root in sample_corpus(candidates) for path in root.paths() if path.suffix == suffix]
    texts = []
    for path in sorted(paths, key=lambda p: xxhash.xxh64_intdigest(str(p).encode())):
        size = path.stat().st_size
        if 0 < size <= min(largest, budget):
            texts.append((str(path), path.read_bytes().decode("utf-8", "replace")))
            budget -= size
    return texts


@pytest.fixture(scope="session")
def corpus():
    return corpus_texts
