"""Language and document type from the RefineCode tables (SPEC §1.2): exact file name first, then extension.

The extension is looked up as written, then in lower case (the tables hold a few case-sensitive ones, e.g.
``C`` for C++). Languages map to ``code``, ``data`` or ``text``; unmapped files are ``unknown`` and the
excluded languages ``excluded``, and both are removed with that reason. A row whose ``doc_type`` an earlier stage
has set (the notebook stage, from the kernel's language) keeps its ``lang`` and ``doc_type``. Vectorised: the
batch is looked up with ``pyarrow.compute.index_in`` against the tables, no Python per document."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opencoder.engine.registry import NoParams, register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed, one_array

# The released code capitalises "Gerber Image" in its exclusion list, so Gerber files were not excluded.
OPC_NOT_EXCLUDED = frozenset({"gerber image"})


@lru_cache(maxsize=1)
def language_tables() -> dict[str, object]:
    """The packaged RefineCode tables (name/extension -> language -> type, excluded)."""
    text = resources.files("opencoder.refine").joinpath("data/refinecode_languages.json").read_text("utf-8")
    return json.loads(text)


class _Table:
    """A name -> value table as two arrow arrays, looked up for a whole batch at once."""

    def __init__(self, table: dict[str, str]) -> None:
        self.keys = pa.array(list(table.keys()), pa.string())
        self.values = pa.array(list(table.values()), pa.string())

    def __call__(self, keys: pa.Array) -> pa.Array:
        """``table[key]`` for every key, null where absent, as one vectorised take."""
        return pc.take(self.values, pc.index_in(keys, value_set=self.keys))


class LangId:
    name = "langid"

    def __init__(self, compat: str = "fixed") -> None:
        t = language_tables()
        self.by_name = _Table(t["filename_to_language"])
        self.by_ext = _Table(t["extension_to_language"])
        excluded = set(t["excluded_languages"])
        if compat == "opc":
            excluded -= OPC_NOT_EXCLUDED
        self.types = _Table(
            {lang: ("excluded" if lang in excluded else kind) for lang, kind in t["language_to_type"].items()}
        )

    def identify(self, paths: pa.Array, given: pa.Array | None = None) -> tuple[pa.Array, pa.Array]:
        """(lang, doc_type) per path; ``given`` (the input's own language) is the last resort."""
        names = pc.replace_substring_regex(paths, r"^.*/", "")
        ext = pc.struct_field(pc.extract_regex(names, r"\.(?P<ext>[^.]+)$"), [0])
        candidates = [self.by_name(names), self.by_ext(ext), self.by_ext(pc.utf8_lower(ext))]
        if given is not None:
            candidates.append(pc.utf8_lower(given))
        lang = pc.coalesce(*candidates)
        doc_type = pc.coalesce(self.types(lang), pa.scalar("unknown"))
        return lang, doc_type

    def process(self, batch: pa.Table) -> StageResult:
        return self.process_masked(batch, None).filtered()

    def process_masked(self, batch: pa.Table, live: np.ndarray | None) -> StageResult:
        paths = one_array(batch.column("path")).cast(pa.string())
        given = one_array(batch.column("lang")) if "lang" in batch.column_names else None
        lang, doc_type = self.identify(paths, given)
        if (
            given is not None and "doc_type" in batch.column_names
        ):  # set by an earlier stage (notebook: the kernel's language) wins
            preset = one_array(batch.column("doc_type"))
            decided = pc.is_valid(preset)
            lang = pc.if_else(decided, given, lang)
            doc_type = pc.if_else(decided, preset, doc_type)
        batch = batch.set_column(batch.schema.get_field_index("lang"), "lang", lang)
        batch = batch.set_column(batch.schema.get_field_index("doc_type"), "doc_type", doc_type)
        drop = pc.is_in(doc_type, value_set=pa.array(["unknown", "excluded"])).to_numpy(zero_copy_only=False)
        if live is not None:
            drop &= live
        keep = ~drop if live is None else live & ~drop
        if drop.any():
            removed = make_removed(batch.filter(drop), self.name, doc_type.filter(drop))
        else:
            removed = make_removed(batch.slice(0, 0), self.name, [])
        counters = {f"type_{k}": v for k, v in _value_counts(doc_type.filter(keep)).items()}
        return StageResult(batch, removed, counters, keep=keep)


def _value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    counts = pc.value_counts(one_array(column))
    return {
        str(v): int(c)
        for v, c in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
    }


@register_stage("langid", params=NoParams)
def build_langid(params: NoParams, ctx: StageContext) -> LangId:
    return LangId(ctx.compat)
