"""Text machinery shared by every signal: line splitting, normalisation, words and word n-grams.

Follows SPEC §1.5.2 "Shared text machinery". Normalisation is applied to the whole text at once with one
``str.translate`` table instead of character loops: none of its steps maps to or from ``\\n`` and word
splitting ignores runs of whitespace, so the words equal those of the line-by-line original.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

import numpy as np

# wordpunct_tokenize (nltk) is exactly this pattern, with the stdlib ``re``.
WORDPUNCT = re.compile(r"\w+|[^\w\s]+")
WHITESPACE = re.compile(r"\s+")
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what ``\s`` / str.isspace match below 128

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
_NON_ASCII_SPECIAL = re.compile("[" + "".join(re.escape(chr(c)) for c in _NORM_TABLE if c >= 128) + "]")


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
    if text.isascii():  # the common case, at C speed: NFKC leaves ASCII as it is
        return text.encode("ascii").translate(_ASCII_NORM, _ASCII_DELETE).lower().decode("ascii")
    # ASCII bytes of UTF-8 are never part of a multi-byte character, so the byte table applies as is;
    # the few non-ASCII characters of the table (full-width punctuation, thin spaces) go by regex.
    text = text.encode("utf-8", "surrogatepass").translate(_ASCII_NORM, _ASCII_DELETE).decode("utf-8", "surrogatepass")
    text = _NON_ASCII_SPECIAL.sub(lambda m: _NORM_TABLE[ord(m.group())], text).lower()
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def normalized_words(normalized: str) -> list[str]:
    """The wordpunct words of a normalised text.

    Normalised ASCII holds only letters, digits, whitespace and ESC (punctuation became spaces), so without
    ESC its wordpunct tokens are exactly its whitespace-separated pieces.
    """
    if normalized.isascii() and "\x1b" not in normalized:
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


def ngrams(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Consecutive word n-grams (none when there are fewer than n words)."""
    return list(zip(*(words[i:] for i in range(n)), strict=False)) if len(words) >= n else []


_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant: n-gram hashes wrap modulo 2**64


def word_ids(words: Sequence[str]) -> np.ndarray:
    """Each word replaced by its 64-bit ``hash`` (equal words, equal ids; only compared within one process)."""
    return np.fromiter(map(hash, words), dtype=np.int64, count=len(words)).view(np.uint64)


def next_ngram_hashes(previous: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """Hashes of the word n-grams from those of the (n-1)-grams (for n == 1, pass ``ids`` as ``previous``).

    Equal n-grams get equal hashes; distinct ones collide with probability ~2**-64, so counting hashes counts
    n-grams without building tuples.
    """
    with np.errstate(over="ignore"):
        return previous[:-1] * _HASH_MULTIPLIER + ids[n - 1 :] + np.uint64(1)


def frac_chars_top_ngram(hashes: np.ndarray, lengths: np.ndarray, n: int) -> float:
    """Characters of the most frequent n-gram times its count / all word characters; 0 if it occurs once.

    Ties go to the n-gram seen first, as ``Counter.most_common`` does.
    """
    if len(hashes) == 0:
        return 0.0
    ordered = np.sort(hashes)
    bounds = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    counts = np.diff(bounds)
    top = int(counts.max())
    if top <= 1:
        return 0.0
    start = int(np.flatnonzero(np.isin(hashes, ordered[bounds[:-1][counts == top]]))[0])
    return float(lengths[start : start + n].sum()) * top / float(lengths.sum())


def frac_chars_dupe_ngrams(ids: np.ndarray, lengths: np.ndarray, first: int, last: int) -> dict[int, float]:
    """For n in first..last: characters of words covered by an n-gram occurring >= 2 times (overlaps counted
    once) / all word characters.

    An n-gram that repeats starts with an (n-1)-gram that repeats, so each n only looks at the positions
    where the (n-1)-gram was a repeat: the work shrinks as n grows.
    """
    total = float(lengths.sum())
    size = len(ids)
    result = dict.fromkeys(range(first, last + 1), 0.0)
    if size < first or total == 0:
        return result
    hashes = ids
    for n in range(2, first + 1):
        hashes = next_ngram_hashes(hashes, ids, n)
    starts = np.arange(len(hashes))
    for n in range(first, last + 1):
        if n > first:
            keep = starts + n <= size
            starts = starts[keep]
            with np.errstate(over="ignore"):
                hashes = hashes[keep] * _HASH_MULTIPLIER + ids[starts + n - 1] + np.uint64(1)
        if len(starts) == 0:
            break
        order = np.argsort(hashes)
        same = hashes[order[1:]] == hashes[order[:-1]]
        repeated = np.zeros(len(hashes), dtype=bool)
        repeated[order[1:][same]] = True
        repeated[order[:-1][same]] = True
        starts, hashes = starts[repeated], hashes[repeated]
        depth = np.bincount(starts, minlength=size + 1) - np.bincount(starts + n, minlength=size + 1)
        covered = np.cumsum(depth)[:size] > 0
        result[n] = float(lengths[covered].sum()) / total
    return result


def code_points(text: str) -> np.ndarray:
    """The text as an array of Unicode code points (one uint32 per character)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def char_class(chars: str) -> np.ndarray:
    """A 128-entry lookup table: True for the given ASCII characters."""
    table = np.zeros(128, dtype=bool)
    table[[ord(c) for c in chars]] = True
    return table


def clip_ascii(points: np.ndarray) -> np.ndarray:
    """Code points as uint8 indexes into a 128-entry class table: every non-ASCII character becomes DEL (127),
    which no class holds."""
    return np.minimum(points, 127).astype(np.uint8)


def runs(clipped: np.ndarray, table: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """(start, end) of the maximal runs of at least ``min_length`` characters in the ASCII class ``table``
    (``clipped``: see clip_ascii)."""
    edges = np.flatnonzero(np.diff(table[clipped].view(np.int8), prepend=0, append=0))
    starts, ends = edges[::2], edges[1::2]
    keep = ends - starts >= min_length
    return list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True))
