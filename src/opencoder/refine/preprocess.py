"""Preprocessing (SPEC §1.2): drop files over 8 MB, detect binary content, decode bytes to text.

Decoding: UTF-8 (a leading BOM is dropped); if that fails, cp1252 when the result still looks like text
(at most ``fallback_max_high_ratio`` of the bytes above 0x7F, as in Western text with a few accents);
otherwise the file is ``undecodable``. Binary: a NUL byte anywhere, or more than ``binary_control_ratio``
control bytes in the first ``sniff_bytes`` (tab, newlines, form feed, vertical tab and escape count as
text)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.stage import StageContext, StageResult, make_removed
from opencoder.refine.registry import register_stage

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


def classify(data: bytes | None, size: int, p: PreprocessParams) -> tuple[str | None, str | None, str | None]:
    """(text, reason, detail) for one file's bytes: text when kept, reason when dropped; detail says why,
    or which fallback encoding decoded a kept file."""
    if data is None or size > p.max_bytes:
        return None, "too_large", f"{size} bytes > {p.max_bytes}"
    if b"\0" in data:
        return None, "binary", "contains NUL bytes"
    sample = data[: p.sniff_bytes]
    if sample:
        control = len(sample) - len(sample.translate(None, _CONTROL))
        if control > p.binary_control_ratio * len(sample):
            return None, "binary", f"{control} of the first {len(sample)} bytes are control characters"
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


class Preprocess:
    """Turns the readers' raw ``content`` bytes into ``text``; every drop is recorded with its reason."""

    name = "preprocess"

    def __init__(self, params: PreprocessParams) -> None:
        self.params = params

    def process(self, batch: pa.Table) -> StageResult:
        if "content" in batch.column_names:
            content = batch.column("content")
            batch = batch.drop_columns(["content"] + (["text"] if "text" in batch.column_names else []))
        else:
            content = batch.column("text").cast(pa.large_binary())
            batch = batch.drop_columns(["text"])
        texts: list[str | None] = []
        reasons: list[str | None] = []
        details: list[str | None] = []
        counters: dict[str, int] = {}
        for data, size in zip(content.to_pylist(), batch.column("size").to_pylist(), strict=True):
            text, reason, detail = classify(data, size or 0, self.params)
            texts.append(text)
            reasons.append(reason)
            details.append(detail)
            if text is not None and detail is not None:
                counters["decoded_fallback"] = counters.get("decoded_fallback", 0) + 1
        batch = batch.append_column(pa.field("text", pa.large_string()), pa.array(texts, pa.large_string()))
        reason_arr = pa.array(reasons, pa.string())
        drop = pc.is_valid(reason_arr)
        keep = pc.invert(drop)
        removed = make_removed(
            batch.filter(drop), self.name, reason_arr.filter(drop), detail=pa.array(details).filter(drop)
        )
        return StageResult(batch.filter(keep), removed, counters)


@register_stage("preprocess", params=PreprocessParams)
def build_preprocess(params: PreprocessParams, ctx: StageContext) -> Preprocess:
    return Preprocess(params)
