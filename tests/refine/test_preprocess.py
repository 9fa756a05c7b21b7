"""Preprocess: size cap, binary detection, UTF-8 with the cp1252 fallback; every drop has a reason."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from core_fixtures import stdlib_files
from hypothesis import given, settings
from hypothesis import strategies as st

from opencoder.io import _bytescan, bytescan
from opencoder.io.bytescan import BOMS
from opencoder.io.bytescan import CONTROL as _CONTROL
from opencoder.io.corpus import default_corpus
from opencoder.io.decode import DecodeParams as PreprocessParams
from opencoder.io.decode import classify, plain_files
from opencoder.refine.preprocess import Preprocess

P = PreprocessParams()


def test_real_source_decodes_unchanged():
    src = stdlib_files(1)[0]
    text, reason, _ = classify(src.read_bytes(), src.stat().st_size, P)
    assert reason is None and text == src.read_text(encoding="utf-8")


def test_size_cap_binary_and_fallbacks():
    assert classify(None, 9_000_000, P)[1] == "too_large"
    assert classify(b"x" * 20, 20, PreprocessParams(max_bytes=10))[1] == "too_large"
    assert classify(b"abc\0def", 7, P)[1] == "binary"
    assert classify(bytes(range(1, 32)) * 10, 310, P)[1] == "binary"
    assert classify(b"\xef\xbb\xbfprint(1)\n", 12, P)[0] == "print(1)\n"  # BOM dropped
    text, reason, detail = classify("caf\xe9 = 1\n".encode("cp1252"), 9, P)
    assert text == "café = 1\n" and reason is None and detail == "decoded as cp1252"
    noisy = bytes(range(128, 256)) * 4  # mostly high bytes: not text in any Western encoding
    assert classify(noisy, len(noisy), P)[1] == "undecodable"
    assert classify("é".encode("latin-1"), 1, PreprocessParams(fallback_encoding=None))[1] == "undecodable"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_text_with_a_utf16_or_utf32_byte_order_mark_is_decoded_by_it(codec, tmp_path):
    """Issue 14.5: such a file (NUL bytes in every character) was dropped as binary; through the whole preprocess
    stage (compiled byte check and classify) it is now text, and a bad one after its mark undecodable."""
    text = "# café\nprint('ü')\n"
    data = "\ufeff".encode(codec) + text.encode(codec)
    assert classify(data, len(data), P) == (text, None, None)
    assert classify(b"\xff\xfe\0\xd8", 4, P)[1] == "undecodable"  # a lone surrogate after the UTF-16 LE mark
    binary = "\ufeff\0\0\0".encode("utf-16-le")  # NULs in the text itself: still binary
    assert classify(binary, len(binary), P)[1] == "binary"
    content = pa.array([data, b"x = 1\n"], pa.large_binary())
    assert plain_files(content, np.array([len(data), 6]), P).tolist() == [False, True]  # decoded the slow way
    stage = Preprocess(P)
    batch = pa.table({"id": ["a", "b"], "size": [len(data), 6], "content": content})
    res = stage.process(batch)
    assert res.kept.column("text").to_pylist() == [text, "x = 1\n"] and res.removed.num_rows == 0


def test_batch_accounting_and_removed_rows():
    good = stdlib_files(2)
    contents = [p.read_bytes() for p in good] + [b"\0\1\2", None]
    batch = pa.table(
        {
            "id": ["a", "b", "c", "d"],
            "size": pa.array([len(c) if c else 10**8 for c in contents], pa.int64()),
            "content": pa.array(contents, pa.large_binary()),
        }
    )
    res = Preprocess(P).process(batch)
    assert res.kept.num_rows + res.removed.num_rows == 4
    assert res.kept.column("id").to_pylist() == ["a", "b"]
    assert "content" not in res.kept.column_names and res.kept.column("text")[0].as_py() == good[0].read_text()
    assert res.removed.column("reason").to_pylist() == ["binary", "too_large"]
    assert res.removed.column("stage").to_pylist() == ["preprocess"] * 2


def test_text_input_is_checked_the_same_way():
    batch = pa.table({"id": ["a", "b"], "size": [5, 3], "text": pa.array(["x = 1", "a\0b"], pa.large_string())})
    res = Preprocess(P).process(batch)
    assert res.kept.column("text").to_pylist() == ["x = 1"]
    assert res.removed.column("reason").to_pylist() == ["binary"]


def test_vectorised_and_per_file_paths_agree():
    """A batch of UTF-8 files is decoded in bulk; one non-UTF-8 file sends the batch through ``classify``."""
    contents = [p.read_bytes() for p in stdlib_files(5)] + [b"\xef\xbb\xbfx = 1\n", b"a\0b", b"\x01\x02\x03"]

    def run(extra):
        data = contents + extra
        batch = pa.table(
            {
                "id": [str(i) for i in range(len(data))],
                "size": [len(c) for c in data],
                "content": pa.array(data, pa.large_binary()),
            }
        )
        res = Preprocess(P).process(batch)
        return dict(zip(res.kept.column("id").to_pylist(), res.kept.column("text").to_pylist(), strict=True)), res

    bulk, _ = run([])
    one_by_one, res = run(["caf\xe9\n".encode("cp1252")])
    assert bulk["5"] == "x = 1\n" and "6" not in bulk and "7" not in bulk
    assert {k: v for k, v in one_by_one.items() if k != "8"} == bulk
    assert one_by_one["8"] == "café\n" and res.counters == {"decoded_fallback": 1}
    assert res.removed.column("reason").to_pylist() == ["binary", "binary"]


def test_batch_gives_what_classify_gives_file_by_file_on_real_files():
    """The bulk path (text as a view of the read buffers) against the per-file reference, on the machine's own
    code plus every awkward case, in a sliced batch (non-zero array offset)."""
    files = [p for root in default_corpus(2_000_000) for p in root.paths()][:400]
    assert len(files) >= 200  # the machine's own code (opencoder.io.corpus): the test must not pass on none
    contents = [p.read_bytes() for p in files] + [
        b"\xef\xbb\xbfx = 1\n",  # BOM
        "caf\xe9\n".encode("cp1252"),  # fallback
        b"a\0b",  # NUL
        b"\x01\x02\x03 x",  # control bytes
        bytes(range(128, 256)) * 4,  # undecodable
        "naïve = 'ü'\n".encode(),  # UTF-8, not ASCII
        b"",
        None,  # over the size cap
    ]
    batch = pa.table(
        {
            "id": [str(i) for i in range(len(contents))],
            "size": [10**8 if c is None else len(c) for c in contents],
            "content": pa.array(contents, pa.large_binary()),
        }
    ).slice(3)
    res = Preprocess(P).process(batch)
    expected = {str(i + 3): classify(c, 10**8 if c is None else len(c), P) for i, c in enumerate(contents[3:])}
    kept = dict(zip(res.kept.column("id").to_pylist(), res.kept.column("text").to_pylist(), strict=True))
    removed = dict(zip(res.removed.column("id").to_pylist(), res.removed.column("reason").to_pylist(), strict=True))
    assert kept == {k: text for k, (text, reason, _) in expected.items() if reason is None}
    assert removed == {k: reason for k, (_, reason, _) in expected.items() if reason is not None}
    assert set(removed.values()) == {"binary", "undecodable", "too_large"}
    assert res.counters == {"decoded_fallback": 1}


# Bytes that exercise every branch of the kernel: text, each kind of control byte, NUL, high bytes, the BOM.
AWKWARD = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.sampled_from(
            [b"\0", b"\x01", b"\x1b", b"\t\n\r\x0b\x0c", b"\x1f\x7f", b"\xc3\xa9", b"\xff", *BOMS, b"\xff\xfe\0\0"]
        ),
    ),
    max_size=12,
).map(b"".join)


@pytest.mark.parametrize("scanner", [_bytescan, bytescan], ids=["compiled", "python-twin"])
@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), AWKWARD), max_size=12), st.integers(0, 2), st.integers(1, 64))
def test_kernel_byte_checks_match_python(scanner, values, start, sniff):
    """The compiled byte checks and their plain-Python twin (io/bytescan.py) against the same checks written with
    bytes methods, in a sliced array."""
    content = pa.array([b"x", b"\0y", *values], pa.large_binary()).slice(start)
    n = len(content)
    offsets = np.frombuffer(content.buffers()[1], dtype=np.int64)[content.offset : content.offset + n + 1]
    flags, control = np.zeros(n, dtype=np.uint8), np.zeros(n, dtype=np.int64)
    scanner.scan(content.buffers()[2] or b"", offsets, sniff, flags, control)
    for i, data in enumerate(content.to_pylist()):
        if data is None:
            continue
        window = data[:sniff]
        assert control[i] == len(window) - len(window.translate(None, _CONTROL))
        assert bool(flags[i] & scanner.NUL) == (b"\0" in data)
        assert bool(flags[i] & scanner.HIGH) == (not data.isascii())
        assert bool(flags[i] & scanner.BOM) == data.startswith(BOMS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), AWKWARD), min_size=1, max_size=12))
def test_bulk_path_takes_exactly_the_files_classify_keeps_as_utf8(values):
    params = PreprocessParams(sniff_bytes=16, max_bytes=60)
    content = pa.array(values, pa.large_binary())
    sizes = np.array([10**6 if v is None else len(v) for v in values])
    expected = [
        v is not None and classify(v, len(v), params)[1:] == (None, None) and not v.startswith(BOMS) for v in values
    ]
    assert plain_files(content, sizes, params).tolist() == expected
