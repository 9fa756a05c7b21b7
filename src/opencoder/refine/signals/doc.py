"""The 32 natural-language signals (``qsc_doc_*``) for text documents (SPEC §1.5.2).

Several of them are the same computation as a general code signal (the released code registers one class under
both names); those functions live here and code.py reuses them. Values are raw; the runner rounds floats to 8
decimals. A signal returns None where it does not apply (e.g. no lines).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from importlib import resources

from opencoder.refine.signals import kernel
from opencoder.refine.signals.document import CodeDocument

SENTENCE = re.compile(r"\b[^.!?。！？؟]+[.!?。！？؟]*")
SENTENCE_SPLIT = re.compile(r"[.?!\n]")
LINK = re.compile(r"\(https?://\S+\)")
HTML_TAG = re.compile(r"<.*?>")
READMORE = (
    "...",
    "…",
    "全文",
    "详情",
    "详细",
    "更多",
    "المزيد",
    "تفاصيل",
    "اقرأ المزيد",
    "もっと",
    "詳細",
    "もっと読む",
)
BULLETS = (
    "\u2022\u2023\u2043\u204c\u204d\u2219"
    + "".join(map(chr, range(0x25A0, 0x25B0)))
    + "\u25cb\u25cf\u25e6\u25c6\u25c7\u25c8\u25c9\u25ca\u25d0\u25d1\u25d2\u25d3\u25d4\u25d5\u25d6\u25d8"
    + "\u25d9\u25e2\u25e3\u25e4\u25e5\u25ef\u2611\u2612\u2b1b\u2b1c\u2b24\u2b1e\u2b1f\u29be"
)
CODE_RELATED_NAMES = frozenset({"readme", "notes", "todo", "description", "cmakelists", "read.me"})
# RedPajama's English stop words (from github.com/6/stopwords-json), used by frac_words_redpajama_stop.
STOP_WORDS_EN = frozenset(
    json.loads(resources.files("opencoder.refine.signals").joinpath("data/stopwords_en.json").read_text())
)


# ---------------------------------------------------------------- shared with the code signals


def frac_chars_replacement_symbols(doc: CodeDocument) -> float | None:
    """Share of U+FFFD replacement characters (decoding damage)."""
    return doc.text.count("\ufffd") / len(doc.text) if doc.text else None


def num_words(doc: CodeDocument) -> int:
    """Number of normalised words."""
    return doc.word_stats.num_words


def num_chars(doc: CodeDocument) -> int:
    """Length of the text in characters."""
    return len(doc.text)


def mean_word_length(doc: CodeDocument) -> float | None:
    """Mean length of the normalised words."""
    stats = doc.word_stats
    return stats.word_chars / stats.num_words if stats.num_words else None


def frac_words_unique(doc: CodeDocument) -> float | None:
    """Distinct normalised words / all normalised words."""
    stats = doc.word_stats
    return stats.distinct_words / stats.num_words if stats.num_words else None


def top_ngram(n: int) -> Callable[[CodeDocument], float]:
    """frac_chars_top_{n}grams: characters of the most frequent word n-gram x its count / word characters."""
    return lambda doc: doc.word_stats.top_ngrams[n]


def dupe_ngrams(n: int) -> Callable[[CodeDocument], float]:
    """frac_chars_dupe_{n}grams: chars covered by word n-grams seen twice or more / word chars."""
    return lambda doc: doc.word_stats.dupe_ngrams[n]


def frac_chars_digital(doc: CodeDocument) -> float:
    """Digits / visible (non-whitespace) characters; 1.0 for a document with none (as released)."""
    visible = doc.num_visible_chars
    return doc.char_counts["digit"] / visible if visible else 1.0


def frac_chars_whitespace(doc: CodeDocument) -> float:
    """Whitespace characters / all characters; 1.0 for an empty document (as released)."""
    return doc.char_counts["space"] / len(doc.text) if doc.text else 1.0


def frac_chars_alphabet(doc: CodeDocument) -> float:
    """Letters / visible characters; 0.0 for a document with none (as released)."""
    visible = doc.num_visible_chars
    return doc.char_counts["alpha"] / visible if visible else 0.0


# ---------------------------------------------------------------- text-only signals


def num_lines(doc: CodeDocument) -> int:
    return doc.num_lines


def num_sentences(doc: CodeDocument) -> int:
    """Runs of text up to sentence-final punctuation (RedPajama's pattern with CJK/Arabic stops)."""
    return len(SENTENCE.findall(doc.text))


def num_chars_sentence_length_mean(doc: CodeDocument) -> float:
    """Mean length of the pieces between ``.``, ``?``, ``!`` and newlines."""
    pieces = SENTENCE_SPLIT.split(doc.text)
    return sum(map(len, pieces)) / len(pieces)


def entropy_unigram(doc: CodeDocument) -> float | None:
    """Shannon entropy (natural log) of the normalised word distribution."""
    total = len(doc.normalized_words)
    if not total:
        return None
    return -sum(c / total * math.log(c / total) for c in Counter(doc.normalized_words).values())


def frac_chars_alphabet_en(doc: CodeDocument) -> float | None:
    """Letters / visible characters, for English text only (None otherwise)."""
    if not doc.num_visible_chars:
        return 0.0
    return frac_chars_alphabet(doc) if doc.nl_lang == "en" else None


def frac_chars_curly_bracket(doc: CodeDocument) -> float:
    """``{`` and ``}`` / all characters."""
    return (doc.text.count("{") + doc.text.count("}")) / len(doc.text) if doc.text else 0.0


def frac_words_redpajama_stop(doc: CodeDocument) -> float | None:
    """English stop words among the raw words / raw words (None for other languages)."""
    if doc.nl_lang != "en":
        return None
    if not doc.word_stats.num_words or not doc.raw_words:
        return 0.0
    return sum(w in STOP_WORDS_EN for w in doc.raw_words) / len(doc.raw_words)


def _stripped_line_counts(doc: CodeDocument) -> Counter[str]:
    """How often each stripped line occurs. Split on every newline, so after a final one an empty line more than
    ``raw_lines`` holds: it weighs nothing in the two signals below (no characters, and empty lines are left out)."""
    return doc.memo("doc.stripped_lines", lambda: Counter(map(str.strip, doc.text.split("\n"))))


def frac_chars_dupe_lines(doc: CodeDocument) -> float | None:
    """Characters of stripped lines that occur more than once / characters of all stripped lines."""
    counts = _stripped_line_counts(doc)
    total = sum(len(line) * c for line, c in counts.items())
    if not total:
        return None
    return sum(len(line) * c for line, c in counts.items() if c > 1) / total


def frac_lines_dupe_lines(doc: CodeDocument) -> float | None:
    """Non-empty stripped lines that occur more than once / all non-empty lines."""
    counts = _stripped_line_counts(doc)
    total = sum(c for line, c in counts.items() if line)
    return sum(c for line, c in counts.items() if line and c > 1) / total if total else None


def frac_chars_hex_words(doc: CodeDocument) -> float | None:
    """Characters in ``0x...`` hexadecimal words / all characters."""
    if not doc.text:
        return None
    return kernel.hex_word_chars(doc.text) / len(doc.text)


def frac_chars_hyperlink_html_tag(doc: CodeDocument) -> float | None:
    """Characters in ``(http...)`` links and ``<...>`` tags / all characters."""
    if not doc.text:
        return None
    found = LINK.findall(doc.text) + HTML_TAG.findall(doc.text)
    return sum(map(len, found)) / len(doc.text)


def frac_lines_end_with_readmore(doc: CodeDocument) -> float | None:
    """Lines ending (before closing brackets) with an ellipsis or a "read more" word."""
    lines = doc.raw_lines
    if not lines:
        return None
    return sum(line.rstrip().rstrip("]】)>》").endswith(READMORE) for line in lines) / len(lines)


def frac_lines_start_with_bullet(doc: CodeDocument) -> float | None:
    """Lines starting with a bullet symbol."""
    lines = doc.raw_lines
    return sum(line.lstrip()[:1] in BULLETS and line.strip() != "" for line in lines) / len(lines) if lines else None


def frac_words_all_caps(doc: CodeDocument) -> float | None:
    """Raw words that are all upper case."""
    words = doc.raw_words
    return sum(map(str.isupper, words)) / len(words) if words else None


def frac_words_full_bracket(doc: CodeDocument) -> float | None:
    """Raw words that are a full-width bracket 【 or 】."""
    if not doc.num_visible_chars:  # every character that is not whitespace is in a wordpunct token
        return None
    if "【" not in doc.text and "】" not in doc.text:
        return 0.0
    words = doc.raw_words
    return sum(w in ("【", "】") for w in words) / len(words)


def cate_code_related_file_name(doc: CodeDocument) -> bool:
    """README, NOTES, TODO, DESCRIPTION, CMakeLists, requirements*, READ.ME."""
    stem = doc.filename.split(".")[0].lower()
    return "requirement" in stem or stem in CODE_RELATED_NAMES or doc.filename.lower() == "read.me"


SIGNALS: dict[str, Callable[[CodeDocument], float | int | bool | None]] = {
    "qsc_doc_frac_chars_replacement_symbols": frac_chars_replacement_symbols,
    "qsc_doc_num_words": num_words,
    "qsc_doc_num_chars": num_chars,
    "qsc_doc_num_lines": num_lines,
    "qsc_doc_num_sentences": num_sentences,
    "qsc_doc_num_chars_sentence_length_mean": num_chars_sentence_length_mean,
    "qsc_doc_mean_word_length": mean_word_length,
    "qsc_doc_frac_words_unique": frac_words_unique,
    "qsc_doc_entropy_unigram": entropy_unigram,
    **{f"qsc_doc_frac_chars_top_{n}grams": top_ngram(n) for n in (2, 3, 4)},
    **{f"qsc_doc_frac_chars_dupe_{n}grams": dupe_ngrams(n) for n in range(5, 11)},
    "qsc_doc_frac_chars_dupe_lines": frac_chars_dupe_lines,
    "qsc_doc_frac_lines_dupe_lines": frac_lines_dupe_lines,
    "qsc_doc_frac_lines_end_with_readmore": frac_lines_end_with_readmore,
    "qsc_doc_frac_lines_start_with_bullet": frac_lines_start_with_bullet,
    "qsc_doc_frac_words_all_caps": frac_words_all_caps,
    "qsc_doc_frac_words_full_bracket": frac_words_full_bracket,
    "qsc_doc_frac_words_redpajama_stop": frac_words_redpajama_stop,
    "qsc_doc_frac_chars_hex_words": frac_chars_hex_words,
    "qsc_doc_frac_chars_hyperlink_html_tag": frac_chars_hyperlink_html_tag,
    "qsc_doc_frac_chars_alphabet": frac_chars_alphabet_en,
    "qsc_doc_frac_chars_digital": frac_chars_digital,
    "qsc_doc_frac_chars_whitespace": frac_chars_whitespace,
    "qsc_doc_frac_chars_curly_bracket": frac_chars_curly_bracket,
    "qsc_doc_cate_code_related_file_name": cate_code_related_file_name,
}
