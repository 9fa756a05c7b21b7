"""The compiled kernels (signals/_kernel.c, _pyfacts.c, _bytescan.c) on hostile input: odd buffers, huge sizes,
legacy str.

They read untrusted files. Each hand-made case here once gave a wrong value (or undefined behaviour, which
`make sanitize` makes visible) instead of the value of the definition; the hypothesis tests run every entry point
on random text of each storage width and on random slices of binary columns.
"""

from __future__ import annotations

import ctypes
import re
import warnings

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencoder.io import _bytescan
from opencoder.io.bytescan import BOMS
from opencoder.io.bytescan import CONTROL as _CONTROL
from opencoder.refine.signals import kernel
from opencoder.refine.signals.text import WORDPUNCT, CharClass, normalize, text_word_stats, word_stats


def scan(data, offsets, sniff: int, control=None) -> tuple[list[int], list[int]]:
    """(flags, control counts) of the values of a binary column given as its data and offsets buffers."""
    n = len(np.frombuffer(offsets, dtype=np.int64)) - 1
    flags = np.zeros(n, dtype=np.uint8)
    control = np.zeros(n, dtype=np.int64) if control is None else control
    _bytescan.scan(data, offsets, sniff, flags, control)
    return flags.tolist(), np.frombuffer(control, dtype=np.int64)[:n].tolist()


def test_byte_scan_takes_unaligned_and_overlapping_buffers():
    """Offsets and counts at any address (a memoryview one byte in), and a count buffer that overlaps the offsets:
    the kernel reads the offsets it checked, not what its own writes left there."""
    data = b"aaa\x01\x01" + b"aaaa\x01"
    expected = scan(data, np.array([0, 5, 10], dtype=np.int64), 8)
    assert expected == ([0, 0], [2, 1])
    unaligned = memoryview(bytearray(25))[1:]
    unaligned[:] = np.array([0, 5, 10], dtype=np.int64).tobytes()
    assert scan(data, unaligned, 8, control=memoryview(bytearray(17))[1:]) == expected
    offsets = np.array([0, 5, 10], dtype=np.int64)
    assert scan(data, offsets, 8, control=offsets[1:]) == expected  # counts written over the offsets


def test_byte_scan_counts_control_bytes_beyond_four_gib():
    """A sniff window over 2**32 bytes is counted in full (a 32-bit count wrapped). The zeros come from calloc:
    untouched pages read as the shared zero page, so this needs little real memory."""
    n = 2**32 + 3
    zeros = np.zeros(n, dtype=np.uint8)
    assert scan(zeros, np.array([0, n], dtype=np.int64), n) == ([_bytescan.NUL], [n])


def legacy_str(text: str) -> str:
    """``text`` as a str of the legacy API (PyUnicode_FromUnicode(NULL, n), then its wchar_t buffer filled),
    which Python < 3.12 keeps in a non-canonical form until PyUnicode_READY; C extensions may still make them."""
    api = ctypes.pythonapi
    api.PyUnicode_FromUnicode.restype, api.PyUnicode_FromUnicode.argtypes = (
        ctypes.py_object,
        [ctypes.c_void_p, ctypes.c_ssize_t],
    )
    api.PyUnicode_AsUnicode.restype, api.PyUnicode_AsUnicode.argtypes = ctypes.c_void_p, [ctypes.py_object]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy = api.PyUnicode_FromUnicode(None, len(text))
        (ctypes.c_wchar * len(text)).from_address(api.PyUnicode_AsUnicode(legacy))[:] = text
    return legacy


@pytest.mark.skipif(not hasattr(ctypes.pythonapi, "PyUnicode_FromUnicode"), reason="Python >= 3.12 has no legacy str")
def test_signal_kernels_read_a_legacy_str_as_its_text():
    """Every entry point gives for a legacy str what it gives for the same text made the usual way (they read
    its length as 0 before)."""
    text = "0x1F é\nbb 😀 a\nbb 0x1F 'x' // c\n"
    calls = [
        (kernel.word_stats, ()),
        (kernel.char_counts, ()),
        (kernel.code_line_stats, ()),
        (kernel.longest_line, ()),
        (kernel.hex_word_chars, ()),
        (kernel.string_literals, (0,)),
        (kernel.split_comments, (1,)),
        (kernel.python_facts, ()),
        (kernel.class_runs, (RUN_CLASS.members, 1)),
    ]
    for function, args in calls:
        assert function(legacy_str(text), *args) == function(text, *args), function.__name__
    assert kernel.word_stats([legacy_str(w) for w in text.split()]) == kernel.word_stats(text.split())


def test_a_list_of_empty_words_has_no_character_fractions():
    """No word characters at all: the fractions are 0.0 (they were 0 / 0, NaN)."""
    stats = word_stats([""] * 12)
    assert (stats.num_words, stats.distinct_words, stats.word_chars) == (12, 1, 0)
    assert set(stats.top_ngrams.values()) == set(stats.dupe_ngrams.values()) == {0.0}


# Texts of every storage width of str (1, 2 and 4 bytes a character, lone surrogates among them) and soups of the
# delimiters the scans look for, with NULs, odd spaces and escapes.
DELIMITERS = ["'", '"', "'''", '"""', "`", "\\", "\n", "//", "/*", "*/", "#", "--", "<!--", "-->", "rb", " ", "0x"]
DELIMITERS += ["def ", "class ", "lambda", "for ", " in ", ":", "=", "(", ")", "@", ";", "\t", "\r", "\x0c"]
DELIMITERS += ["f'", 'f"', "{", "}", "{{", "[", "]"]
DELIMITERS += ["1f", "_", "},", "\0", "\x0b", "\x1c", "\x85", "\u3000", "é", "中", "٣", "😀", "\ud800", "\udfff"]
TEXTS = st.one_of(
    st.text(st.characters(max_codepoint=127), max_size=200),
    st.text(st.characters(max_codepoint=255), max_size=200),
    st.text(st.characters(max_codepoint=0xFFFF), max_size=200),
    st.text(st.characters(min_codepoint=0x10000), max_size=50),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=50),
    st.lists(st.one_of(st.sampled_from(DELIMITERS), st.text(max_size=3)), max_size=60).map("".join),
)

RUN_CLASS = CharClass("0123456789abcdefx\\,")  # for class_runs: hex pairs and their separators


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_signal_kernels_on_random_text_of_every_width(text):
    """Each entry point on random text: its definition where it is short to write, its invariants elsewhere."""
    assert kernel.word_stats(text) == kernel.word_stats(WORDPUNCT.findall(text))
    assert text_word_stats(text) == word_stats(normalize(text))  # ASCII: read through the normalisation map
    assert kernel.char_counts(text) == tuple(sum(map(test, text)) for test in (str.isspace, str.isalpha, str.isdigit))
    lines = [line for line in ("".join(c for c in line if not c.isspace()) for line in text.split("\n")) if line]
    assert kernel.code_line_stats(text)[0] == len(lines)
    assert kernel.longest_line(text) == max(map(len, re.findall(r"[^\n]*\n|[^\n]+", text)), default=0)
    for mode in (0, 1, 2):
        assert all(literal and literal in text for literal in kernel.string_literals(text, mode))
    for syntax in range(7):
        code, comments = kernel.split_comments(text, syntax)
        assert len(code) + sum(map(len, comments)) == len(text)
    assert kernel.class_runs(text, RUN_CLASS.members, 2) == [m.span() for m in re.finditer(r"[0-9a-fx\\,]{2,}", text)]
    functions, simple_functions, classes, class_vars, _ = kernel.python_facts(text)  # text that seldom parses
    assert 0 <= simple_functions <= functions <= text.count("def") and 0 <= classes <= text.count("class")
    assert 0 <= class_vars <= text.count("=") + text.count(":")


VALUES = st.lists(st.one_of(st.none(), st.binary(max_size=30), st.sampled_from([b"\0", b"\x7f", b"\xef\xbb\xbf"])))


@settings(max_examples=300, deadline=None)
@given(VALUES, st.data())
def test_byte_scan_on_random_slices(values, data):
    """Any slice of a binary column (offset, nulls, empty): the counts and flags of its own values."""
    whole = pa.array(values, pa.large_binary())
    start = data.draw(st.integers(0, len(whole)))
    content = whole.slice(start, data.draw(st.integers(0, len(whole) - start)))
    offsets = np.frombuffer(content.buffers()[1], dtype=np.int64)[content.offset : content.offset + len(content) + 1]
    flags, control = scan(content.buffers()[2] or b"", offsets, 8)
    for value, flag, count in zip(content.to_pylist(), flags, control, strict=True):
        value = value or b""
        assert count == len(value[:8]) - len(value[:8].translate(None, _CONTROL))
        assert (
            flag
            == (b"\0" in value) * _bytescan.NUL
            + (not value.isascii()) * _bytescan.HIGH
            + value.startswith(BOMS) * _bytescan.BOM
        )


def test_kernels_survive_each_allocation_failing():
    """The n-th allocation fails (CPython's fault injection), for each n: a MemoryError or the right value, never a
    crash, a wrong value or an error left set. (numpy's buffer export can fail first: getargs makes it a TypeError.)"""
    testcapi = pytest.importorskip("_testcapi")
    text = "x = 'a' + \"b\" // c /* d */ # e\n'''doc'''\nword word word word word\n" * 20 + "é 中 😀 \ud800 0x1F"
    data = b"ab\0\x01\xef\xbb\xbfxyz" * 10
    offsets = np.array([0, 3, 10, 50, len(data)], dtype=np.int64)
    calls = [
        lambda: kernel.word_stats(text),
        lambda: kernel.word_stats(text.split()),
        lambda: text_word_stats(text.encode("ascii", "replace").decode("ascii")),
        lambda: kernel.char_counts(text),
        lambda: kernel.code_line_stats(text),
        *[lambda mode=mode: kernel.string_literals(text, mode) for mode in range(3)],
        *[lambda syntax=syntax: kernel.split_comments(text, syntax) for syntax in range(7)],
        lambda: kernel.class_runs(text, RUN_CLASS.members, 1),
        lambda: kernel.python_facts(text + "class A:\n    x = y = lambda a=1: a\n" * 40),
        lambda: scan(data, offsets, 8),
    ]
    for call in calls:
        expected, failures = call(), 0
        errors = (MemoryError, TypeError) if call is calls[-1] else MemoryError
        for n in range(150):
            testcapi.set_nomemory(n, n + 1)
            try:
                assert call() == expected
            except errors:
                failures += 1
            finally:
                testcapi.remove_mem_hooks()
        assert failures > 0  # the kernel's own allocations are among the first 150
