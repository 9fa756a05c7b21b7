"""How documents are read and written: which input fields hold them, how input is cut into tasks and batches.

Both are keys of a recipe (``columns:``, ``engine:``) and part of a run's identity (they decide the task plan).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A model that refuses unknown keys, so that a typo is reported instead of ignored."""

    model_config = ConfigDict(extra="forbid")


class Columns(Strict):
    """Which input field holds each document field (JSONL keys, Parquet/Arrow columns); null = not present."""

    text: str = "text"
    id: str | None = "id"
    path: str | None = "path"
    repo: str | None = "repo"
    stars: str | None = "stars"
    commit_time: str | None = "commit_time"
    lang: str | None = None


class EngineSettings(Strict):
    """How input is cut into tasks and batches, and how kept Parquet is grouped."""

    task_files: int = Field(2000, ge=1, description="files of a directory tree per task")
    task_bytes: int = Field(16_000_000, ge=1, description="bytes of a directory tree per task (~ a kept file)")
    batch_docs: int = Field(2048, ge=1, description="documents per batch inside a task")
    batch_bytes: int = Field(8_000_000, ge=1, description="bytes per batch inside a task")
    row_group_rows: int = Field(50_000, ge=1, description="kept Parquet row group size (rows)")
    row_group_bytes: int = Field(128_000_000, ge=1, description="kept Parquet row group size (bytes)")
    max_doc_bytes: int = Field(
        8_000_000,
        ge=1,
        description="documents larger than this are not read (too_large) in a run without preprocess, whose "
        "max_bytes is the cap otherwise",
    )
