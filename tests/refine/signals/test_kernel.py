"""The compiled kernel (``_kernel.c``: ``text.word_stats``, ``kernel.*``) gives the values of the plain definitions.

The reference below counts words and n-grams with Counter and tuples, one Python step per word (the definitions
in SPEC §1.5.2); it lives only here. Inputs: real files of this machine (opencoder.io.corpus) and hand-made edge
cases (empty, one word, one word repeated, every storage width of str, lone surrogates, very long words).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from opencoder.io.corpus import default_corpus
from opencoder.refine.signals import kernel
from opencoder.refine.signals.document import CodeDocument
from opencoder.refine.signals.text import (
    WORDPUNCT,
    WordStats,
    normalize,
    normalized_words,
    text_word_stats,
    word_stats,
)


def reference_stats(words: list[str]) -> WordStats:
    """Word counts and n-gram fractions by their definitions."""
    total = sum(map(len, words))
    top = {}
    for n in (2, 3, 4):  # Counter.most_common: the first-seen of the most frequent n-grams
        grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1)).most_common(1)
        top[n] = sum(map(len, grams[0][0])) * grams[0][1] / total if grams and grams[0][1] > 1 else 0.0
    dupe = {}
    for n in range(5, 11):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        counts = Counter(grams)
        covered = [False] * len(words)
        for i, gram in enumerate(grams):
            if counts[gram] > 1:
                covered[i : i + n] = [True] * n
        dupe[n] = sum(len(w) for w, c in zip(words, covered, strict=True) if c) / total if total else 0.0
    return WordStats(len(words), len(set(words)), total, top, dupe)


EDGE_CASES = [
    "",
    "   \n\t ",
    "word",
    "word word",
    "a " * 5000,
    "ab cd ef gh ij " * 7 + "kl",
    "x_y\x08z \x1b \x7f a\x08b",  # BS, ESC and DEL: symbols between words, as wordpunct sees them
    "é ü 中文 ∑∑ 中文 é ü 中文 ∑∑ 中文 é ü 中文",  # one and two bytes per character
    "😀 a 😀 a 😀 a 😀 a 😀 a 😀 a",  # four bytes per character
    "\ud800x \udfff y \ud800x \udfff y \ud800x \udfff y",  # lone surrogates
    "x" * 200_000 + " y " + "x" * 200_000 + " y " + "x" * 200_000,  # very long words
    "n0 \u306e n0 \u306e x",  # equal bytes, different widths: different words
    "".join(map(chr, range(128))) * 3 + "a\0b c\x01d A-B a-b",  # every ASCII character; deleted ones join words
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_kernel_equals_the_definitions_on_edge_cases(text):
    normalised = normalize(text)
    assert word_stats(normalised) == reference_stats(WORDPUNCT.findall(normalised))
    assert text_word_stats(text) == reference_stats(WORDPUNCT.findall(normalised))
    assert word_stats(text) == reference_stats(WORDPUNCT.findall(text))
    assert normalized_words(normalised) == WORDPUNCT.findall(normalised)


def test_kernel_equals_the_definitions_on_random_repetitive_words():
    rng = random.Random(2)
    for _ in range(300):
        words = [rng.choice(["a", "bb", "ccc", "d", "é", "\u306e"]) for _ in range(rng.randint(0, 60))]
        assert word_stats(" ".join(words)) == reference_stats(words), words
        assert word_stats(words) == reference_stats(words), words


def test_kernel_equals_the_definitions_on_real_files():
    texts = []
    for root in default_corpus(600_000):
        for rel in root.files:
            data = (Path(root.root) / rel).read_bytes()
            if data and b"\0" not in data[:8000]:
                texts.append(data.decode("utf-8", "replace"))
    assert len(texts) >= 50
    for text in texts:
        normalised = normalize(text)
        assert word_stats(normalised) == reference_stats(WORDPUNCT.findall(normalised))
        assert text_word_stats(text) == word_stats(normalised)
        assert kernel.longest_line(text) == longest_line_reference(text)
        assert kernel.hex_word_chars(text) == sum(map(len, HEX_WORD.findall(text)))


def test_a_list_of_words_is_taken_as_given():
    # Chinese text documents hand their (jieba or per-ideograph) words over as a list: a word may hold spaces.
    stats = word_stats(["a b", "a b", "c"])
    assert (stats.num_words, stats.distinct_words, stats.word_chars) == (3, 2, 7)
    doc = CodeDocument("中文中文", doc_type="text")
    assert doc.nl_lang == "zh"
    assert doc.word_stats == reference_stats(doc.normalized_words)


def test_kernel_rejects_what_is_not_text_or_words():
    with pytest.raises(TypeError, match="word 1 is int"):
        word_stats(["a", 1])
    with pytest.raises(TypeError, match="str or a list of str"):
        word_stats(b"bytes")


HEX_WORD = re.compile(r"\b0[xX][0-9a-fA-F]+\b")


def longest_line_reference(text: str) -> int:
    pieces = text.split("\n")
    return max(max((len(p) + 1 for p in pieces[:-1]), default=0), len(pieces[-1]))


def test_line_and_hex_word_kernels_equal_their_definitions():
    texts = [t for t in EDGE_CASES] + ["\n", "a\n\nbcd", "x\n" * 3 + "yyyy", "é\n😀😀"]
    texts += ["0x1F", "0x1g 0x2 _0x3 é0x4 0x5é 0x6_ x0x7 (0xAbC) 0X12,0x", "0x1F\n0xff" * 3, "00x1 0x"]
    rng = random.Random(5)
    pieces = ["0x", "0X", "1f", "G", "_", " ", "\n", "é", "9", "x", ","]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    for text in texts:
        assert kernel.longest_line(text) == longest_line_reference(text), text
        assert kernel.hex_word_chars(text) == sum(map(len, HEX_WORD.findall(text))), text
