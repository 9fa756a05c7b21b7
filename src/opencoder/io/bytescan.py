"""The plain-Python twin of ``io/_bytescan.c``: the same ``scan`` with the same results, for an install without a
compiler. ``io/decode.py`` takes the compiled one when it is built."""

from __future__ import annotations

import numpy as np

NUL, HIGH, BOM = 1, 2, 4
# Control bytes: 0x00-0x08, 0x0E-0x1A, 0x1C-0x1F and 0x7F (tab, the newlines, form feed, vertical tab and escape
# are text).
CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
# The byte order marks the decoder reads (io/decode.py): UTF-8, UTF-16 LE and BE, UTF-32 BE (UTF-32 LE's, FF FE 00 00,
# starts with UTF-16 LE's).
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def scan(data: object, offsets: object, sniff_bytes: int, flags: np.ndarray, control: np.ndarray) -> None:
    """For value i of a large binary column (its values buffer ``data``, its n + 1 int64 ``offsets``): flags[i] gets
    NUL, HIGH (a byte above 0x7F) and BOM (starts with one of ``BOMS``); control[i] the number of control
    bytes among its first ``sniff_bytes``."""
    view = memoryview(data).cast("B")  # type: ignore[arg-type]
    off = np.frombuffer(memoryview(offsets).cast("B"), dtype=np.int64)  # type: ignore[arg-type]
    n = len(off) - 1
    if n < 0 or len(flags) < n or len(control) < n:
        raise ValueError("scan: offsets need n + 1 values, flags n bytes and control n int64s")
    for i in range(n):
        start, end = int(off[i]), int(off[i + 1])
        if start < 0 or start > end or end > len(view):
            raise ValueError(f"scan: value {i} lies outside the data buffer")
        value = bytes(view[start:end])
        flags[i] = NUL * (b"\0" in value) | HIGH * (not value.isascii()) | BOM * value.startswith(BOMS)
        window = value[:sniff_bytes]
        control[i] = len(window) - len(window.translate(None, CONTROL))
