"""Bytes to text, in one place (SPEC §1.2): the size cap, the binary check, byte order marks, and UTF-8 with a cp1252
fallback.

The readers hand over raw bytes (``content``); files over the cap are not even read (``max_bytes``, passed to the
reader) and arrive as nulls. ``decode`` then decides each file: over the cap (``too_large``); a file that starts with
a UTF-16 or UTF-32 byte order mark is decoded by it (``undecodable`` if it is not), and its text checked as below;
binary (a NUL byte
anywhere, or more than ``binary_control_ratio`` control bytes in the first ``sniff_bytes``: tab, newlines, form
feed, vertical tab and escape count as text); UTF-8 (a leading BOM is dropped); else cp1252 when the result still
looks like text (at most ``fallback_max_high_ratio`` of the bytes above 0x7F, as in Western text with a few
accents); else ``undecodable``. The ``preprocess`` stage is this function; a run without it decodes with
``decode_lossy`` (invalid UTF-8 replaced), so every stage sees ``text``.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from opencoder.io.bytescan import CONTROL
from opencoder.io.settings import Strict
from opencoder.io.tables import make_removed, one_array, validity_bitmap
from opencoder.kernels import compiled_or

bytescan = compiled_or("opencoder.io._bytescan", "opencoder.io.bytescan")

_HIGH = bytes(range(128, 256))
_BOM = codecs.BOM_UTF8
# Byte order marks other than UTF-8's, longest first (UTF-32 LE's starts with UTF-16 LE's): the codec that reads them.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def wide_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) for bytes that start with a UTF-16 or UTF-32 byte order mark and decode by it, (None, why not)
    when they start with one and do not decode (a UTF-32 LE mark may be UTF-16 LE text starting with U+0000), and
    (None, None) without such a mark."""
    why = None
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), None
            except UnicodeDecodeError as err:
                why = why or f"not {codec} after its byte order mark ({err.reason} at byte {err.start})"
    return None, why


class DecodeParams(Strict):
    """The ``preprocess`` stage's parameters."""

    max_bytes: int = Field(8_000_000, ge=1, description="files larger than this are dropped (too_large)")
    sniff_bytes: int = Field(8192, ge=1, description="bytes inspected for control characters")
    binary_control_ratio: float = Field(0.3, ge=0, le=1, description="above this share of control bytes: binary")
    fallback_encoding: str | None = Field("cp1252", description="tried when UTF-8 fails; null: no fallback")
    fallback_max_high_ratio: float = Field(0.3, ge=0, le=1, description="fallback only if few bytes are > 0x7F")


class Decoded(NamedTuple):
    """``decode``'s result: the batch with ``text`` (null where dropped) in place of ``content``, the rows still
    kept, the removed rows and how many kept files the fallback encoding decoded."""

    batch: pa.Table
    keep: np.ndarray
    removed: pa.Table
    fallback: int


def screen(data: bytes | None, size: int, p: DecodeParams) -> tuple[str, str] | None:
    """(reason, detail) when a file is too large or binary, else None."""
    if data is None or size > p.max_bytes:
        return "too_large", f"{size} bytes > {p.max_bytes}"
    if b"\0" in data:
        return "binary", "contains NUL bytes"
    sample = data[: p.sniff_bytes]
    control = len(sample) - len(sample.translate(None, CONTROL))
    if control > p.binary_control_ratio * len(sample):
        return "binary", f"{control} of the first {len(sample)} bytes are control characters"
    return None


def classify(data: bytes | None, size: int, p: DecodeParams) -> tuple[str | None, str | None, str | None]:
    """(text, reason, detail) for one file's bytes: text when kept, reason when dropped; detail says why,
    or which fallback encoding decoded a kept file."""
    if data is not None and size <= p.max_bytes:
        wide, why = wide_text(data)
        if why is not None and wide is None:
            return None, "undecodable", why
        if wide is not None:  # the text's own bytes are checked: a UTF-16 text holds NUL bytes
            dropped = screen(wide.encode("utf-8", "surrogatepass"), size, p)
            return (None, *dropped) if dropped is not None else (wide, None, None)
    dropped = screen(data, size, p)
    if dropped is not None:
        return None, *dropped
    try:
        return data.decode("utf-8-sig" if data.startswith(_BOM) else "utf-8"), None, None
    except UnicodeDecodeError as err:
        utf8_error = f"not UTF-8 ({err.reason} at byte {err.start})"
    if p.fallback_encoding:
        high = len(data) - len(data.translate(None, _HIGH))
        if high <= p.fallback_max_high_ratio * len(data):
            try:
                return data.decode(p.fallback_encoding), None, f"decoded as {p.fallback_encoding}"
            except UnicodeDecodeError:
                pass
    return None, "undecodable", utf8_error


def plain_files(content: pa.Array, sizes: np.ndarray, p: DecodeParams) -> np.ndarray:
    """Which files pass the byte checks and are UTF-8 without a BOM: the common case, taken in bulk. The byte
    checks of ``screen`` run in one ``bytescan.scan`` over the reader's buffer; only files with bytes above 0x7F
    are then decoded here, to check that they are UTF-8."""
    n = len(content)
    offsets = np.frombuffer(content.buffers()[1], dtype=np.int64)[content.offset : content.offset + n + 1]
    data = content.buffers()[2] or b""
    flags = np.zeros(n, dtype=np.uint8)
    control = np.zeros(n, dtype=np.int64)
    bytescan.scan(data, offsets, p.sniff_bytes, flags, control)
    window = np.minimum(np.diff(offsets), p.sniff_bytes)
    plain = content.is_valid().to_numpy(zero_copy_only=False) & (sizes <= p.max_bytes)
    plain &= (flags & (bytescan.NUL | bytescan.BOM)) == 0
    plain &= ~(control > p.binary_control_ratio * window)
    view = memoryview(data)
    for i in np.flatnonzero(plain & ((flags & bytescan.HIGH) != 0)).tolist():
        try:
            str(view[offsets[i] : offsets[i + 1]], "utf-8")
        except UnicodeDecodeError:
            plain[i] = False
    return plain


def decode(batch: pa.Table, live: np.ndarray | None, p: DecodeParams, stage: str) -> Decoded:
    """Decide and decode the live rows (None: all) of a batch holding ``content`` (or ``text``, re-checked as bytes);
    removed rows name ``stage``."""
    if "content" in batch.column_names:
        content = one_array(batch.column("content"))
        batch = batch.drop_columns(["content"] + (["text"] if "text" in batch.column_names else []))
    else:
        content = one_array(batch.column("text")).cast(pa.large_binary())
        batch = batch.drop_columns(["text"])
    sizes = pc.fill_null(batch.column("size"), 0).to_numpy()
    keep = np.ones(len(content), dtype=bool) if live is None else live.copy()
    # Bulk path: files that pass ``plain_files`` become text as a view of the same buffers (the others masked as
    # null), without a copy or a second UTF-8 validation; only the rest go through ``classify`` one by one.
    plain = plain_files(content, sizes, p) & keep
    batch = _with_text(batch, as_text(content, plain))
    slow = np.flatnonzero(keep & ~plain)
    if len(slow) == 0:  # the common case: nothing dropped, nothing decoded another way
        return Decoded(batch, keep, make_removed(batch.slice(0, 0), stage, []), 0)
    decided = [classify(content[i].as_py(), int(sizes[i]), p) for i in slow.tolist()]
    dropped = np.array([reason is not None for _, reason, _ in decided], dtype=bool)  # (text, reason, detail)
    drops = [d for d, x in zip(decided, dropped, strict=True) if x]
    keeps = [d for d, x in zip(decided, dropped, strict=True) if not x]  # with a BOM or in the fallback encoding
    gone = slow[dropped]
    removed = make_removed(
        batch.take(gone), stage, [reason for _, reason, _ in drops], detail=[detail for _, _, detail in drops]
    )
    keep[gone] = False
    others = slow[~dropped]  # the kept ones among them: their text is decoded here
    if len(others):
        patch = pa.array(_scatter(len(keep), others, [text for text, _, _ in keeps]), pa.large_string())
        i = batch.schema.get_field_index("text")
        batch = batch.set_column(i, batch.field(i), pc.coalesce(batch.column(i), patch))
    return Decoded(batch, keep, removed, sum(detail is not None for _, _, detail in keeps))


def decode_lossy(docs: pa.Table) -> pa.Table:
    """Text for runs without the preprocess stage: UTF-16/32 by their byte order mark, else UTF-8, invalid bytes
    replaced."""
    texts = [None if b is None else _lossy(b) for b in docs.column("content").to_pylist()]
    return docs.drop_columns(["content"]).append_column(
        pa.field("text", pa.large_string()), pa.array(texts, pa.large_string())
    )


def _lossy(data: bytes) -> str:
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            return data.decode(codec, "replace")
    return data.decode("utf-8", "replace")


def as_text(content: pa.Array, keep: np.ndarray) -> pa.Array:
    """``content`` (large binary) as large strings, null where ``keep`` is False, sharing its buffers (no copy,
    no validation: the caller has checked that the kept values are UTF-8)."""
    bits = validity_bitmap(keep, content.offset)
    return pa.Array.from_buffers(
        pa.large_string(), len(content), [bits, *content.buffers()[1:]], null_count=-1, offset=content.offset
    )


def _scatter(n: int, positions: np.ndarray, values: list) -> list:
    out = [None] * n
    for i, v in zip(positions.tolist(), values, strict=True):
        out[i] = v
    return out


def _with_text(batch: pa.Table, text: pa.Array) -> pa.Table:
    return batch.append_column(pa.field("text", pa.large_string()), text)
