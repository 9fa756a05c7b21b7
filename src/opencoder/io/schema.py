"""The one document schema every stage reads and writes.

A document is a row. Stages take a ``pyarrow.Table`` with (at least) ``DOC_SCHEMA``'s columns and return the kept
rows plus the removed rows, which carry ``REMOVED_FIELDS`` on top so a user can see why each one went.
"""

from __future__ import annotations

import pyarrow as pa

DOC_FIELDS: list[pa.Field] = [
    pa.field("id", pa.string(), nullable=False),  # stable across runs: derived from the input, never random
    pa.field("text", pa.large_string()),
    pa.field("path", pa.string()),  # path inside the repository (or inside the input tree)
    pa.field("repo", pa.string()),
    pa.field("lang", pa.string()),  # programming language from the RefineCode tables, e.g. "python"
    pa.field("doc_type", pa.string()),  # code | data | text | unknown | excluded
    pa.field("size", pa.int64()),  # bytes of the original content
    pa.field("stars", pa.int64()),
    pa.field("commit_time", pa.timestamp("us", tz="UTC")),
    pa.field("source", pa.string()),  # the input file (or tree root) the document came from
]
DOC_SCHEMA = pa.schema(DOC_FIELDS)

REMOVED_FIELDS: list[pa.Field] = [
    pa.field("stage", pa.string(), nullable=False),  # the stage that removed the document
    pa.field("reason", pa.string(), nullable=False),  # a short machine-readable reason, e.g. "exact_duplicate"
    pa.field("duplicate_of", pa.string()),  # the id of the kept copy, for dedup removals
    pa.field("rules", pa.list_(pa.string())),  # the filter rules hit, for filter removals
    pa.field("detail", pa.string()),  # free text: the error message, the offending line, ...
]
REMOVED_SCHEMA = pa.schema(DOC_FIELDS + REMOVED_FIELDS)
