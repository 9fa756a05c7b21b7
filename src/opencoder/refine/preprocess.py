"""Preprocessing (SPEC §1.2): drop files over 8 MB, detect binary content, decode bytes to text.

Decoding: UTF-8 (a leading BOM is dropped); if that fails, cp1252 when the result still looks like text
(at most ``fallback_max_high_ratio`` of the bytes above 0x7F, as in Western text with a few accents);
otherwise the file is ``undecodable``. Binary: a NUL byte anywhere, or more than ``binary_control_ratio``
control bytes in the first ``sniff_bytes`` (tab, newlines, form feed, vertical tab and escape count as
text)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.stage import StageContext, StageResult, make_removed, one_array, validity_bitmap
from opencoder.kernels import compiled
from opencoder.refine.registry import register_stage

_bytescan = compiled("opencoder.refine._bytescan")

_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_HIGH = bytes(range(128, 256))
_BOM = b"\xef\xbb\xbf"


class PreprocessParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_bytes: int = Field(8_000_000, ge=1, description="files larger than this are dropped (too_large)")
    sniff_bytes: int = Field(8192, ge=1, description="bytes inspected for control characters")
    binary_control_ratio: float = Field(0.3, ge=0, le=1, description="above this share of control bytes: binary")
    fallback_encoding: str | None = Field("cp1252", description="tried when UTF-8 fails; null: no fallback")
    fallback_max_high_ratio: float = Field(0.3, ge=0, le=1, description="fallback only if few bytes are > 0x7F")


def screen(data: bytes | None, size: int, p: PreprocessParams) -> tuple[str, str] | None:
    """(reason, detail) when a file is too large or binary, else None."""
    if data is None or size > p.max_bytes:
        return "too_large", f"{size} bytes > {p.max_bytes}"
    if b"\0" in data:
        return "binary", "contains NUL bytes"
    sample = data[: p.sniff_bytes]
    control = len(sample) - len(sample.translate(None, _CONTROL))
    if control > p.binary_control_ratio * len(sample):
        return "binary", f"{control} of the first {len(sample)} bytes are control characters"
    return None


def classify(data: bytes | None, size: int, p: PreprocessParams) -> tuple[str | None, str | None, str | None]:
    """(text, reason, detail) for one file's bytes: text when kept, reason when dropped; detail says why,
    or which fallback encoding decoded a kept file."""
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


def plain_files(content: pa.Array, sizes: np.ndarray, p: PreprocessParams) -> np.ndarray:
    """Which files pass the byte checks and are UTF-8 without a BOM: the common case, taken in bulk. The byte
    checks of ``screen`` run in the compiled kernel over the reader's buffer; only files with bytes above 0x7F
    are then decoded here, to check that they are UTF-8."""
    n = len(content)
    offsets = np.frombuffer(content.buffers()[1], dtype=np.int64)[content.offset : content.offset + n + 1]
    data = content.buffers()[2] or b""
    flags = np.zeros(n, dtype=np.uint8)
    control = np.zeros(n, dtype=np.int64)
    _bytescan.scan(data, offsets, p.sniff_bytes, flags, control)
    window = np.minimum(np.diff(offsets), p.sniff_bytes)
    plain = content.is_valid().to_numpy(zero_copy_only=False) & (sizes <= p.max_bytes)
    plain &= (flags & (_bytescan.NUL | _bytescan.BOM)) == 0
    plain &= ~(control > p.binary_control_ratio * window)
    view = memoryview(data)
    for i in np.flatnonzero(plain & ((flags & _bytescan.HIGH) != 0)).tolist():
        try:
            str(view[offsets[i] : offsets[i + 1]], "utf-8")
        except UnicodeDecodeError:
            plain[i] = False
    return plain


class Preprocess:
    """Turns the readers' raw ``content`` bytes into ``text``; every drop is recorded with its reason."""

    name = "preprocess"

    def __init__(self, params: PreprocessParams) -> None:
        self.params = params

    def process(self, batch: pa.Table) -> StageResult:
        return self.process_masked(batch, None).filtered()

    def process_masked(self, batch: pa.Table, live: np.ndarray | None) -> StageResult:
        if "content" in batch.column_names:
            content = one_array(batch.column("content"))
            batch = batch.drop_columns(["content"] + (["text"] if "text" in batch.column_names else []))
        else:
            content = one_array(batch.column("text")).cast(pa.large_binary())
            batch = batch.drop_columns(["text"])
        sizes = pc.fill_null(batch.column("size"), 0).to_numpy()
        keep = np.ones(len(content), dtype=bool) if live is None else live.copy()
        # Bulk path: files that pass ``plain_files`` become text as a view of the same buffers (the others masked
        # as null), without a copy or a second UTF-8 validation; only the rest go through ``classify`` one by one.
        plain = plain_files(content, sizes, self.params) & keep
        batch = _with_text(batch, as_text(content, plain))
        slow = np.flatnonzero(keep & ~plain)
        if len(slow) == 0:  # the common case: nothing dropped, nothing decoded another way
            return StageResult(batch, make_removed(batch.slice(0, 0), self.name, []), keep=keep)
        decided = [classify(content[i].as_py(), int(sizes[i]), self.params) for i in slow.tolist()]
        dropped = np.array([reason is not None for _, reason, _ in decided], dtype=bool)  # (text, reason, detail)
        drops = [d for d, x in zip(decided, dropped, strict=True) if x]
        keeps = [d for d, x in zip(decided, dropped, strict=True) if not x]  # with a BOM or in the fallback encoding
        gone = slow[dropped]
        removed = make_removed(
            batch.take(gone), self.name, [reason for _, reason, _ in drops], detail=[detail for _, _, detail in drops]
        )
        keep[gone] = False
        others = slow[~dropped]  # the kept ones among them: their text is decoded here
        n_fallback = sum(detail is not None for _, _, detail in keeps)
        if len(others):
            patch = pa.array(_scatter(len(keep), others, [text for text, _, _ in keeps]), pa.large_string())
            i = batch.schema.get_field_index("text")
            batch = batch.set_column(i, batch.field(i), pc.coalesce(batch.column(i), patch))
        counters = {"decoded_fallback": n_fallback} if n_fallback else {}
        return StageResult(batch, removed, counters, keep=keep)


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


@register_stage("preprocess", params=PreprocessParams)
def build_preprocess(params: PreprocessParams, ctx: StageContext) -> Preprocess:
    return Preprocess(params)
