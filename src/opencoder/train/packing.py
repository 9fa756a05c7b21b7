"""Tokenize documents into packed token shards: numpy memmaps, a document-boundary index and a JSON meta.

Layout of ``TOKENS_DIR``::

    meta.json              tokenizer hash, dtype, vocab size, EOD id, token/document counts, shard list
    tokenizer/             a copy of the tokenizer, so the shards are self-describing
    shard-00000.bin        raw token ids (uint16 when the vocabulary fits, else uint32), EOD after each document
    shard-00000.idx.npy    int64 start offset of every document in the shard

Workers encode batches of documents in parallel; the parent writes them in input order, so the output is the same
whatever the number of processes. Each file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from opencoder.errors import OpencoderError
from opencoder.train.sources import expand_inputs, iter_texts
from opencoder.train.tokenizer import EOD_TOKEN, tokenizer_hash

META = "meta.json"
_worker_tok = None


def token_dtype(vocab_size: int) -> np.dtype:
    """The narrowest unsigned dtype that holds every id."""
    return np.dtype(np.uint16) if vocab_size <= 1 << 16 else np.dtype(np.uint32)


def _raw_tokenizer(tok_dir: str | Path):
    """The bare ``tokenizers.Tokenizer``: workers skip importing transformers (seconds per process)."""
    from tokenizers import Tokenizer

    path = Path(tok_dir) / "tokenizer.json"
    if not path.is_file():
        raise OpencoderError(f"{tok_dir}: not a tokenizer directory (no tokenizer.json)")
    return Tokenizer.from_file(str(path))


def _init_worker(tok_dir: str) -> None:
    global _worker_tok
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # parallelism comes from processes, not Rust threads
    _worker_tok = _raw_tokenizer(tok_dir)


def _encode(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of a batch with EOD after each document, and each document's start offset in the batch."""
    tok = _worker_tok
    eod = tok.token_to_id(EOD_TOKEN)
    ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    lengths = np.fromiter((len(x) + 1 for x in ids), dtype=np.int64, count=len(ids))
    flat = np.fromiter((t for doc in ids for t in (*doc, eod)), dtype=np.int64, count=int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return flat, starts


class _ShardWriter:
    """Appends encoded batches to the current shard and rolls over at ``shard_tokens``."""

    def __init__(self, out: Path, dtype: np.dtype, shard_tokens: int):
        self.out, self.dtype, self.shard_tokens = out, dtype, shard_tokens
        self.shards: list[dict] = []
        self._starts: list[np.ndarray] = []
        self._n = 0

    @property
    def _name(self) -> str:
        return f"shard-{len(self.shards):05d}"

    def add(self, flat: np.ndarray, starts: np.ndarray) -> None:
        with open(self.out / f"{self._name}.bin.tmp", "ab" if self._n else "wb") as fh:
            fh.write(flat.astype(self.dtype).tobytes())
        self._starts.append(starts + self._n)
        self._n += len(flat)
        if self._n >= self.shard_tokens:
            self.close_shard()

    def close_shard(self) -> None:
        if not self._n:
            return
        name, starts = self._name, np.concatenate(self._starts)
        with open(self.out / f"{name}.idx.npy.tmp", "wb") as fh:
            np.save(fh, starts)
        os.replace(self.out / f"{name}.bin.tmp", self.out / f"{name}.bin")
        os.replace(self.out / f"{name}.idx.npy.tmp", self.out / f"{name}.idx.npy")
        self.shards.append({"name": name, "num_tokens": self._n, "num_documents": len(starts)})
        self._starts, self._n = [], 0


def tokenize(
    inputs: Sequence[str | Path],
    tok_dir: str | Path,
    out_dir: str | Path,
    processes: int | None = None,
    shard_tokens: int = 1 << 28,
    batch_docs: int = 256,
    max_doc_bytes: int | None = None,
) -> dict:
    """Tokenize the ``text`` column of ``inputs`` into packed shards under ``out_dir``; returns the meta."""
    files = expand_inputs(inputs)
    tok = _raw_tokenizer(tok_dir)
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    if tok.token_to_id(EOD_TOKEN) is None:
        raise OpencoderError(f"{tok_dir}: tokenizer lacks the end-of-document token {EOD_TOKEN}")
    dtype = token_dtype(vocab_size)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / META).unlink(missing_ok=True)  # a partial rerun must never look complete
    writer = _ShardWriter(out, dtype, shard_tokens)
    processes = processes or os.cpu_count() or 1
    batches = iter_texts(files, batch_size=batch_docs, max_doc_bytes=max_doc_bytes)
    with mp.get_context("spawn").Pool(processes, _init_worker, (str(tok_dir),)) as pool:
        for flat, starts in pool.imap(_encode, batches):
            writer.add(flat, starts)
    writer.close_shard()
    if not writer.shards:
        raise OpencoderError(f"no documents with text in {', '.join(map(str, inputs))}")
    shutil.copytree(tok_dir, out / "tokenizer", dirs_exist_ok=True)
    meta = {
        "tokenizer_hash": tokenizer_hash(tok_dir),
        "vocab_size": vocab_size,
        "eod_id": tok.token_to_id(EOD_TOKEN),
        "dtype": dtype.name,
        "num_tokens": sum(s["num_tokens"] for s in writer.shards),
        "num_documents": sum(s["num_documents"] for s in writer.shards),
        "shards": writer.shards,
        "inputs": [str(f) for f in files],
    }
    tmp = out / f"{META}.tmp"
    tmp.write_text(json.dumps(meta, indent=2))
    os.replace(tmp, out / META)
    return meta


@dataclass
class TokenShards:
    """Read-only view of a tokens directory: memmapped shards, checked against ``meta.json`` on open."""

    path: Path
    meta: dict
    arrays: list[np.ndarray]

    @classmethod
    def open(cls, path: str | Path) -> TokenShards:
        root = Path(path)
        meta_path = root / META
        if not meta_path.is_file():
            raise OpencoderError(f"{root}: not a tokens directory (no {META}; run `opencoder tokenize`)")
        meta = json.loads(meta_path.read_text())
        dtype = np.dtype(meta["dtype"])
        arrays = []
        for shard in meta["shards"]:
            bin_path = root / f"{shard['name']}.bin"
            if not bin_path.is_file():
                raise OpencoderError(f"{bin_path}: shard listed in {META} is missing")
            size = bin_path.stat().st_size
            if size == 0:
                raise OpencoderError(f"{bin_path}: empty shard")
            if size != shard["num_tokens"] * dtype.itemsize:
                raise OpencoderError(
                    f"{bin_path}: {size} bytes, expected {shard['num_tokens'] * dtype.itemsize} (truncated?)"
                )
            arrays.append(np.memmap(bin_path, dtype=dtype, mode="r"))
        if not arrays:
            raise OpencoderError(f"{root}: {META} lists no shards")
        return cls(root, meta, arrays)

    def doc_starts(self, shard: int) -> np.ndarray:
        return np.load(self.path / f"{self.meta['shards'][shard]['name']}.idx.npy")

    @property
    def tokenizer_dir(self) -> Path:
        return self.path / "tokenizer"
