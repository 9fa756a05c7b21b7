"""The compiled kernels (signals/_kernel.c, _bytescan.c) on hostile input: odd buffers, huge sizes, legacy str.

They read untrusted files, so each case here is one that once gave a wrong value (or undefined behaviour, which
a build with -fsanitize=address,undefined makes visible) instead of the value of the definition.
"""

from __future__ import annotations

import ctypes
import warnings

import numpy as np
import pytest

from opencoder.refine import _bytescan
from opencoder.refine.signals import kernel
from opencoder.refine.signals.text import word_stats


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
    ]
    for function, args in calls:
        assert function(legacy_str(text), *args) == function(text, *args), function.__name__
    assert kernel.word_stats([legacy_str(w) for w in text.split()]) == kernel.word_stats(text.split())


def test_a_list_of_empty_words_has_no_character_fractions():
    """No word characters at all: the fractions are 0.0 (they were 0 / 0, NaN)."""
    stats = word_stats([""] * 12)
    assert (stats.num_words, stats.distinct_words, stats.word_chars) == (12, 1, 0)
    assert set(stats.top_ngrams.values()) == set(stats.dupe_ngrams.values()) == {0.0}
