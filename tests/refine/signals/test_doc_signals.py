"""Each qsc_doc_* signal on small hand-made texts; expected values worked out by hand in the comments."""

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencoder.refine.signals import doc
from opencoder.refine.signals.document import CodeDocument
from opencoder.refine.signals.text import WORDPUNCT, split_lines

# 3 lines of 13 characters each; normalised words: hello world hello world read more (lengths 5 5 5 5 4 4 = 28).
TEXT = "Hello world.\nHello world.\nREAD MORE...\n"


def value(name: str, text: str = TEXT, **kwargs) -> object:
    return doc.SIGNALS[name](CodeDocument(text, doc_type="text", **kwargs))


def test_all_32_signals_are_registered():
    assert len(doc.SIGNALS) == 32
    assert all(name.startswith("qsc_doc_") for name in doc.SIGNALS)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("qsc_doc_num_chars", 39),  # 3 x 13
        ("qsc_doc_num_lines", 3),
        ("qsc_doc_num_words", 6),
        ("qsc_doc_mean_word_length", 28 / 6),
        ("qsc_doc_frac_words_unique", 4 / 6),  # hello world read more
        # counts 2, 2, 1, 1 of 6: -(2 * 2/6 ln 2/6 + 2 * 1/6 ln 1/6)
        ("qsc_doc_entropy_unigram", -(2 * (2 / 6) * math.log(2 / 6) + 2 * (1 / 6) * math.log(1 / 6))),
        ("qsc_doc_frac_chars_top_2grams", 10 * 2 / 28),  # "hello world" twice, 10 chars
        ("qsc_doc_frac_chars_top_3grams", 0.0),  # every 3-gram occurs once
        ("qsc_doc_frac_chars_top_4grams", 0.0),
        ("qsc_doc_frac_chars_dupe_5grams", 0.0),  # two distinct 5-grams
        ("qsc_doc_frac_chars_dupe_10grams", 0.0),  # fewer than 10 words
        ("qsc_doc_frac_chars_dupe_lines", 24 / 36),  # stripped lines of 12 chars, two equal
        ("qsc_doc_frac_lines_dupe_lines", 2 / 3),
        ("qsc_doc_frac_lines_end_with_readmore", 1 / 3),  # "READ MORE..."
        ("qsc_doc_frac_lines_start_with_bullet", 0.0),
        # raw wordpunct words: Hello world . Hello world . READ MORE ... (9), upper: READ, MORE
        ("qsc_doc_frac_words_all_caps", 2 / 9),
        ("qsc_doc_frac_words_full_bracket", 0.0),
        ("qsc_doc_frac_words_redpajama_stop", 0.0),  # case-sensitive: "Hello" is not "hello"
        ("qsc_doc_frac_chars_hex_words", 0.0),
        ("qsc_doc_frac_chars_hyperlink_html_tag", 0.0),
        ("qsc_doc_frac_chars_alphabet", 28 / 33),  # 33 visible chars, 28 letters
        ("qsc_doc_frac_chars_digital", 0.0),
        ("qsc_doc_frac_chars_whitespace", 6 / 39),  # 3 spaces, 3 newlines
        ("qsc_doc_frac_chars_curly_bracket", 0.0),
        ("qsc_doc_frac_chars_replacement_symbols", 0.0),
        ("qsc_doc_num_sentences", 3),
        # pieces between . ? ! \n: "Hello world", "", "Hello world", "", "READ MORE", "", "", "", "" -> 31 / 9
        ("qsc_doc_num_chars_sentence_length_mean", 31 / 9),
        ("qsc_doc_cate_code_related_file_name", False),
    ],
)
def test_signal_on_the_sample_text(name, expected):
    assert value(name) == pytest.approx(expected, abs=1e-9)


def test_dupe_ngrams_count_overlapping_repeats_once():
    # words a b c a b c a b d e (each 1 char, 10 chars): the 5-gram "a b c a b" starts at 0 and 3,
    # covering words 0..7 -> 8 / 10; top 2-gram "a b" x3 -> 2 * 3 / 10
    text = "a b c a b c a b d e"
    assert value("qsc_doc_frac_chars_dupe_5grams", text) == pytest.approx(0.8)
    assert value("qsc_doc_frac_chars_top_2grams", text) == pytest.approx(0.6)
    # 3-grams "a b c" and "c a b" both twice: the first seen wins -> 3 * 2 / 10
    assert value("qsc_doc_frac_chars_top_3grams", text) == pytest.approx(0.6)


def test_stop_words_bullets_brackets_links_hex_digits():
    assert value("qsc_doc_frac_words_redpajama_stop", "the cat sat on the mat") == pytest.approx(3 / 6)
    # 2 of 3 lines start with a bullet (U+2022, U+25A0)
    assert value("qsc_doc_frac_lines_start_with_bullet", "\u2022 one\n  \u25a0 two\nthree") == pytest.approx(2 / 3)
    # raw words: 【 note 】 x -> 2 of 4
    assert value("qsc_doc_frac_words_full_bracket", "【note】 x") == pytest.approx(2 / 4)
    # "(http://a.b)" 12 chars + "<b>" 3 chars, of 20
    assert value("qsc_doc_frac_chars_hyperlink_html_tag", "(http://a.b) <b> xyz") == pytest.approx(15 / 20)
    assert value("qsc_doc_frac_chars_hex_words", "0x1F zz") == pytest.approx(4 / 7)
    # visible "a1b2" -> 2 digits of 4; curly: 2 of 6 characters
    assert value("qsc_doc_frac_chars_digital", "a1 b2") == pytest.approx(2 / 4)
    assert value("qsc_doc_frac_chars_curly_bracket", "{ab}cd") == pytest.approx(2 / 6)
    assert value("qsc_doc_frac_chars_replacement_symbols", "ab\ufffd\ufffd") == pytest.approx(2 / 4)


def test_code_related_file_names():
    assert value("qsc_doc_cate_code_related_file_name", path="pkg/README.md") is True
    assert value("qsc_doc_cate_code_related_file_name", path="requirements-dev.txt") is True
    assert value("qsc_doc_cate_code_related_file_name", path="docs/guide.md") is False


def test_chinese_text_is_not_judged_on_the_latin_alphabet():
    text = "这是一个中文文档。它有两句话。"
    assert CodeDocument(text, doc_type="text").nl_lang == "zh"
    assert value("qsc_doc_frac_chars_alphabet", text) is None
    assert value("qsc_doc_frac_words_redpajama_stop", text) is None


def test_empty_text_gives_none_or_the_released_defaults():
    assert value("qsc_doc_num_words", "") == 0
    assert value("qsc_doc_mean_word_length", "") is None
    assert value("qsc_doc_frac_lines_dupe_lines", "") is None
    assert value("qsc_doc_frac_chars_whitespace", "") == 1.0  # as released
    assert value("qsc_doc_frac_chars_digital", "") == 1.0


PIECES = ["【", "】", "【】", "x", "é", "-", "_", " ", "\n", "\u3000", "\x1c", "\ud800"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_full_bracket_words_are_counted_among_the_wordpunct_tokens(text):
    words = WORDPUNCT.findall(text)
    expected = sum(w in ("【", "】") for w in words) / len(words) if words else None
    assert value("qsc_doc_frac_words_full_bracket", text) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", " ", "\n", "\r", "\t", "\x1c", "\u2028", "é"]), max_size=40).map("".join))
def test_duplicate_line_signals_equal_their_definitions_over_raw_lines(text):
    stripped = [line.strip() for line in split_lines(text)]
    counts = Counter(stripped)
    chars = sum(len(line) * c for line, c in counts.items())
    expected_chars = sum(len(line) * c for line, c in counts.items() if c > 1) / chars if chars else None
    lines = Counter(line for line in stripped if line)
    total = sum(lines.values())
    expected_lines = sum(c for c in lines.values() if c > 1) / total if total else None
    assert value("qsc_doc_frac_chars_dupe_lines", text) == expected_chars
    assert value("qsc_doc_frac_lines_dupe_lines", text) == expected_lines
