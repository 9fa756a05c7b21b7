"""The plain-Python twin of ``io/_treeread.c``: the same ``read_files`` with the same results, for an install
without a compiler. ``io/readers.py`` takes the compiled one when it is built (a Python call per file costs a quarter
as much again as the syscalls)."""

from __future__ import annotations

import os
import stat

import numpy as np

DONE, FAILED, NO_ROOM = 0, 1, 2
GROW_READ = 1 << 20


def read_files(
    prefix: bytes,
    rels: list[str],
    start: int,
    stop: int,
    data: np.ndarray,
    used: int,
    ends: np.ndarray,
    sizes: np.ndarray,
    valid: np.ndarray,
    slot: int,
    max_bytes: int,
    stop_bytes: int,
) -> tuple[int, int, int, int]:
    """Read the files ``prefix + rels[i]`` for i from ``start`` on into ``data`` from ``used`` on; see
    ``io/_treeread.c`` for the contract. Returns (index, used, status, code)."""
    if not (0 <= start <= stop <= len(rels)) or not (0 <= used <= len(data)) or stop - start > len(ends) - slot:
        raise ValueError("read_files: start/stop/used/slot outside the lists and buffers")
    if b"\0" in prefix:
        raise ValueError("read_files: embedded null byte in the prefix")
    buf = memoryview(data).cast("B")
    index, status, code = start, DONE, 0
    while index < stop:
        rel = os.fsencode(rels[index])
        if b"\0" in rel:  # as os.open refuses it: never a shorter path
            raise ValueError("read_files: embedded null byte in a path")
        try:
            fd = os.open(prefix + rel, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as err:
            return index, used, FAILED, err.errno or 0
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return index, used, FAILED, 0
            k = slot + index - start
            before = used
            if 0 <= max_bytes < st.st_size:  # only the size is needed to drop it
                valid[k] = 0
            else:
                status, code, used = _read_whole(fd, st.st_size, buf, used)
                if status != DONE:
                    return index, used, status, code
                valid[k] = 1
        except OSError as err:
            return index, used, FAILED, err.errno or 0
        finally:
            os.close(fd)
        ends[k] = used
        sizes[k] = used - before if valid[k] else st.st_size
        index += 1
        if used >= stop_bytes:
            break
    return index, used, DONE, 0


def _read_whole(fd: int, size: int, buf: memoryview, used: int) -> tuple[int, int, int]:
    """The open file ``fd`` read to its end into ``buf`` from ``used`` on: (DONE, 0, new used), or (NO_ROOM, bytes
    of buffer needed, used) with nothing kept."""
    at, want = used, size + 1  # one byte more than the size: to see that it grew
    while True:
        if want > len(buf) - at:
            return NO_ROOM, at + want, used
        n = os.readv(fd, [buf[at : at + want]])
        if n == 0:
            return DONE, 0, at
        at += n
        want = want - n if n < want else GROW_READ
