"""Arrow helpers every layer uses: one array from a column, validity bitmaps, and removed rows.

They live here, under the engine, because the readers build removed rows (``read_error``) too; stages import them
through ``opencoder.engine.stage``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from opencoder.io.schema import REMOVED_SCHEMA


def one_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as one array: a single chunk as it is (``combine_chunks`` copies even that), else concatenated."""
    if isinstance(column, pa.Array):
        return column
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def validity_bitmap(valid: np.ndarray, offset: int = 0) -> pa.Buffer | None:
    """The Arrow validity bitmap of the bool mask ``valid``, for an array that starts ``offset`` values into its
    buffers; None (Arrow's "no nulls") when every value is valid."""
    if valid.all():
        return None
    if offset:
        valid = np.concatenate([np.zeros(offset, dtype=bool), valid])
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def _column(value: object, n: int, type_: pa.DataType) -> pa.Array:
    """A column of ``n`` values from a scalar (repeated), a sequence or an arrow array."""
    if value is None or isinstance(value, str):
        return pa.nulls(n, type_) if value is None else pa.array([value] * n, type_)
    if isinstance(value, pa.ChunkedArray):
        value = one_array(value)
    arr = value if isinstance(value, pa.Array) else pa.array(value, type_)
    if len(arr) != n:
        raise ValueError(f"removed-row column has {len(arr)} values for {n} rows")
    return arr.cast(type_)


def make_removed(
    rows: pa.Table,
    stage: str,
    reason: str | Sequence[str] | pa.Array,
    *,
    duplicate_of: str | Sequence[str | None] | pa.Array | None = None,
    rules: Sequence[list[str] | None] | pa.Array | None = None,
    detail: str | Sequence[str | None] | pa.Array | None = None,
) -> pa.Table:
    """Conform ``rows`` to REMOVED_SCHEMA, adding why they went; missing document columns become nulls."""
    n = rows.num_rows
    extra = {
        "stage": _column(stage, n, pa.string()),
        "reason": _column(reason, n, pa.string()),
        "duplicate_of": _column(duplicate_of, n, pa.string()),
        "rules": pa.nulls(n, pa.list_(pa.string())) if rules is None else _column(rules, n, pa.list_(pa.string())),
        "detail": _column(detail, n, pa.string()),
    }
    names = set(rows.column_names)
    columns = []
    for fld in REMOVED_SCHEMA:
        if fld.name in extra:
            columns.append(extra[fld.name])
        elif fld.name in names:
            columns.append(rows.column(fld.name).cast(fld.type))
        else:
            columns.append(pa.nulls(n, fld.type))
    return pa.Table.from_arrays(columns, schema=REMOVED_SCHEMA)


def empty_removed() -> pa.Table:
    """A removed table with no rows."""
    return REMOVED_SCHEMA.empty_table()
