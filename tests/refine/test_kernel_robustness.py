"""The compiled kernels (signals/_kernel.c, _bytescan.c) on hostile input: odd buffers, huge sizes, legacy str.

They read untrusted files, so each case here is one that once gave a wrong value (or undefined behaviour, which
a build with -fsanitize=address,undefined makes visible) instead of the value of the definition.
"""

from __future__ import annotations

import numpy as np

from opencoder.refine import _bytescan


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
