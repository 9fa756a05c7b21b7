"""Text machinery shared by every signal: line splitting, normalisation, words and word n-grams.

Follows SPEC §1.5.2 "Shared text machinery". Normalisation is applied to the whole text at once with one
``str.translate`` table instead of character loops: none of its steps maps to or from ``\\n`` and word
splitting ignores runs of whitespace, so the words equal those of the line-by-line original.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import NamedTuple

import regex

from opencoder.refine.signals import kernel

# wordpunct_tokenize (nltk) is exactly this pattern, with the stdlib ``re``.
WORDPUNCT = re.compile(r"\w+|[^\w\s]+")
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what ``\s`` / str.isspace match below 128
# ``\s`` matches exactly the characters of str.isspace, so these agree with str.split / str.isspace.
LINE = re.compile(r"[^\n]*\n|[^\n]+")
# The only ASCII characters normalisation leaves that are neither ``\w`` nor ``\s``.
_ASCII_SYMBOLS = re.compile("[\x08\x1b\x7f]")

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
# The same table for ASCII text as a bytes.translate table plus the characters it deletes.
_ASCII_NORM = bytes(ord(_NORM_TABLE.get(b, chr(b))[:1] or "\0") for b in range(256))
_ASCII_DELETE = bytes(b for b in range(128) if _NORM_TABLE.get(b) == "")
# And as a map for the kernel: each ASCII character's normalised, lower-cased character, 0 where it is deleted.
_ASCII_WORD_MAP = bytes(_ASCII_NORM[b] if b not in _ASCII_DELETE else 0 for b in range(128)).lower()
_NON_ASCII_SPECIAL = re.compile("[" + "".join(re.escape(chr(c)) for c in _NORM_TABLE if c >= 128) + "]")


def split_lines(text: str) -> list[str]:
    """Lines split on ``\\n`` keeping the newline; no empty line after a final newline (dolma)."""
    return LINE.findall(text)


def count_matching_lines(text: str, pattern: re.Pattern[str] | regex.Pattern[str]) -> int:
    """How many ``\\n``-separated lines of ``text`` hold a match of ``pattern`` (``re`` or ``regex``).

    Equals ``sum(bool(pattern.search(line)) for line in split_lines(text))`` for a pattern that never matches
    across a newline (spell whitespace ``[^\\S\\n]``) and whose anchors and lookarounds treat ``\\n`` like the
    edge of the string (compile ``^``/``$`` MULTILINE); it costs one search per matching line, in C, instead of
    one per line. Over ``doc.code_text`` it counts code lines: a blank line holds nothing that needs a character.
    Put a literal first where you can (a lookbehind after it for what must precede): the engine then skips
    ahead to it.
    """
    count = pos = 0
    while (found := pattern.search(text, pos)) is not None:
        count += 1
        pos = text.find("\n", found.start()) + 1
        if pos == 0:
            break
    return count


def normalize(text: str) -> str:
    """SPEC normalisation (control chars, half-width punctuation, punctuation -> space, lowercase, NFKC).

    Whitespace is not collapsed here: callers split on it. Digits are kept.
    """
    if text.isascii():  # the common case, at C speed: NFKC leaves ASCII as it is
        return text.encode("ascii").translate(_ASCII_NORM, _ASCII_DELETE).lower().decode("ascii")
    # ASCII bytes of UTF-8 are never part of a multi-byte character, so the byte table applies as is;
    # the few non-ASCII characters of the table (full-width punctuation, thin spaces) go by regex.
    text = text.encode("utf-8", "surrogatepass").translate(_ASCII_NORM, _ASCII_DELETE).decode("utf-8", "surrogatepass")
    text = _NON_ASCII_SPECIAL.sub(lambda m: _NORM_TABLE[ord(m.group())], text).lower()
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def normalized_words(normalized: str) -> list[str]:
    """The wordpunct words of a normalised text.

    Normalised ASCII holds only letters, digits, whitespace and the symbols BS, ESC and DEL (punctuation became
    spaces), so without those three its wordpunct tokens are exactly its whitespace-separated pieces.
    """
    if normalized.isascii() and not _ASCII_SYMBOLS.search(normalized):
        return normalized.split()
    words: list[str] = []
    for piece in normalized.split():  # only pieces with a symbol in them need the regex
        if piece.isalnum():
            words.append(piece)
        else:
            words += WORDPUNCT.findall(piece)
    return words


def wordpunct(text: str) -> list[str]:
    """nltk's ``wordpunct_tokenize``: runs of word characters or runs of other non-space characters."""
    return WORDPUNCT.findall(text)


class WordStats(NamedTuple):
    """What the word signals need from a document's normalised words, computed in one compiled pass."""

    num_words: int
    distinct_words: int
    word_chars: int  # characters of all words together
    top_ngrams: dict[int, float]  # n = 2..4: frac_chars_top_{n}grams
    dupe_ngrams: dict[int, float]  # n = 5..10: frac_chars_dupe_{n}grams


def word_stats(source: str | list[str]) -> WordStats:
    """Word counts and n-gram fractions of a normalised text (its wordpunct words) or of a list of words.

    top_n: characters of the most frequent word n-gram times its count / all word characters; 0 if it occurs
    once; ties go to the n-gram seen first (``Counter.most_common``). dupe_n: characters of the words covered by
    an n-gram occurring twice or more (overlaps counted once) / all word characters. Computed by ``_kernel.c``,
    which compares words and n-grams by 64-bit hashes of their code points (collisions ~2**-64).
    """
    return _word_stats(kernel.word_stats(source))


def _word_stats(values: tuple) -> WordStats:
    num, distinct, chars, *fractions = values
    top, dupe = fractions[:3], fractions[3:]
    return WordStats(
        num, distinct, chars, dict(zip(range(2, 5), top, strict=True)), dict(zip(range(5, 11), dupe, strict=True))
    )


def text_word_stats(text: str) -> WordStats:
    """``word_stats(normalize(text))``; an ASCII text is read once by the kernel, through the normalisation's
    character map, without building the normalised copy."""
    if text.isascii():
        return _word_stats(kernel.ascii_word_stats(text, _ASCII_WORD_MAP))
    return word_stats(normalize(text))


class CharClass:
    """A set of ASCII characters, whose runs the kernel finds in one pass over a text."""

    def __init__(self, chars: str) -> None:
        if not chars.isascii():
            raise ValueError(f"CharClass takes ASCII characters, not {chars!r}")
        self.chars = chars
        self.members = bytes(int(chr(c) in chars) for c in range(128))

    def runs(self, text: str, min_length: int) -> list[tuple[int, int]]:
        """(start, end) of the maximal runs of at least ``min_length`` (>= 1) characters of the class in ``text``."""
        return kernel.class_runs(text, self.members, min_length)
