"""Text machinery shared by every signal: line splitting, normalisation, words and word n-grams.

Follows SPEC §1.5.2 "Shared text machinery". Normalisation is applied to the whole text at once with one
``str.translate`` table instead of character loops: none of its steps maps to or from ``\\n`` and word
splitting ignores runs of whitespace, so the words equal those of the line-by-line original.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Sequence

import regex

# wordpunct_tokenize (nltk) is exactly this pattern.
WORDPUNCT = regex.compile(r"\w+|[^\w\s]+")
WHITESPACE = regex.compile(r"\s+")
CJK = regex.compile(r"[\u4e00-\u9fff]")

# Control characters the released code maps to "" (or a space for thin / zero-width spaces).
_CONTROL_TO_NORM: dict[str, str] = {
    chr(c): "" for c in [*range(0x00, 0x08), *range(0x0E, 0x1B), *range(0x1C, 0x20)]
} | {"\u2009": " ", "\u200b": " ", "\u202c": ""}
_FULL_PUNCT_TO_HALF: dict[str, str] = {chr(ord(c) + 0xFEE0): c for c in string.punctuation} | {
    "。": ".",
    "、": ",",
    "《": '"',
    "》": '"',
    "【": "[",
    "】": "]",
    "「": "'",
    "」": "'",
    "“": '"',
    "”": '"',
    "￥": "¥",
    "‘": "'",
    "’": "'",
}


def _normalisation_table() -> dict[int, str]:
    """control chars -> full-width to half-width -> ASCII punctuation to space, folded into one table."""

    def step(c: str) -> str:
        c = _CONTROL_TO_NORM.get(c, c)
        c = "".join(_FULL_PUNCT_TO_HALF.get(x, x) for x in c)
        return "".join(" " if x in string.punctuation else x for x in c)

    chars = set(_CONTROL_TO_NORM) | set(_FULL_PUNCT_TO_HALF) | set(string.punctuation)
    return {ord(c): step(c) for c in chars if step(c) != c}


_NORM_TABLE = _normalisation_table()


def split_lines(text: str) -> list[str]:
    """Lines split on ``\\n`` keeping the newline; no empty line after a final newline (dolma)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def normalize(text: str) -> str:
    """SPEC normalisation (control chars, half-width punctuation, punctuation -> space, lowercase, NFKC).

    Whitespace is not collapsed here: callers split on it. Digits are kept.
    """
    text = text.translate(_NORM_TABLE).lower()
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def wordpunct(text: str) -> list[str]:
    """nltk's ``wordpunct_tokenize``: runs of word characters or runs of other non-space characters."""
    return WORDPUNCT.findall(text)


def ngrams(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Consecutive word n-grams (none when there are fewer than n words)."""
    return list(zip(*(words[i:] for i in range(n)), strict=False)) if len(words) >= n else []
