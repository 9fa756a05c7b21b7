import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from train_paths import DOCS

from opencoder.errors import OpencoderError
from opencoder.train.data import ResumableLoader, WindowDataset
from opencoder.train.packing import TokenShards, tokenize
from opencoder.train.sources import MAX_DOC_BYTES, iter_texts


def test_shards_hold_every_document_between_eod_tokens(tok_dir, tokens_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tok_dir)
    shards = TokenShards.open(tokens_dir)
    meta = shards.meta
    with gzip.open(DOCS, "rt") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    assert meta["dtype"] == "uint16" and shards.arrays[0].dtype == np.uint16
    assert meta["num_documents"] == len(texts) == len(shards.doc_starts(0))
    assert meta["num_tokens"] == sum(len(a) for a in shards.arrays)
    tokens, starts = np.asarray(shards.arrays[0]), shards.doc_starts(0)
    ends = [*starts[1:], len(tokens)]
    eod = meta["eod_id"]
    assert eod == tok.eos_token_id
    for text, start, end in zip(texts, starts, ends, strict=True):
        assert tokens[end - 1] == eod and eod not in tokens[start : end - 1]
        assert tok.decode(tokens[start : end - 1].tolist()) == text
    assert (tokens_dir / "tokenizer" / "tokenizer.json").is_file()


def test_output_does_not_depend_on_process_count(tok_dir, tokens_dir, tmp_path):
    tokenize([DOCS], tok_dir, tmp_path, processes=1, batch_docs=7)
    assert (tmp_path / "shard-00000.bin").read_bytes() == (tokens_dir / "shard-00000.bin").read_bytes()


def test_shards_roll_over_at_the_size_limit(tok_dir, tmp_path):
    meta = tokenize([DOCS], tok_dir, tmp_path, processes=1, shard_tokens=20_000, batch_docs=4)
    assert len(meta["shards"]) > 1
    assert sum(s["num_documents"] for s in meta["shards"]) == 40
    assert sum(len(a) for a in TokenShards.open(tmp_path).arrays) == meta["num_tokens"]


def test_empty_input_and_empty_shard_are_clear_errors(tok_dir, tokens_dir, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"text": ""}\n')
    with pytest.raises(OpencoderError, match=r"empty\.jsonl"):
        tokenize([empty], tok_dir, tmp_path / "out")
    broken = tmp_path / "broken"
    tokenize([DOCS], tok_dir, broken, processes=1)
    (broken / "shard-00000.bin").write_bytes(b"")
    with pytest.raises(OpencoderError, match=r"shard-00000\.bin: empty shard"):
        TokenShards.open(broken)
    with pytest.raises(OpencoderError, match=r"no meta\.json"):
        TokenShards.open(tmp_path)


@pytest.mark.parametrize("command", ["tokenize", "tokenizer train"])
def test_a_number_where_text_belongs_is_a_one_line_error(command, tok_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a document"}\n{"text": 42}\n')
    args = ["--tokenizer", str(tok_dir)] if command == "tokenize" else ["--vocab-size", "400"]
    done = subprocess.run([sys.executable, "-m", "opencoder.cli", *command.split(), str(bad), *args,
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == f"error: {bad}:2: 'text' must be a string, got int\n"


@pytest.mark.parametrize("command", ["tokenize", "tokenizer train"])
def test_a_document_over_the_cap_is_a_one_line_error(command, tok_dir, tmp_path):
    """A 1 MB line (over six times the cap: skipped, never held whole; its size counts the JSON and the newline)
    and a text just over the cap, with --max-doc-bytes; --help shows the default cap."""
    big = tmp_path / "big.jsonl"
    big.write_text('{"text": "a document"}\n' + json.dumps({"text": "x" * 1_000_000}) + "\n")
    near = tmp_path / "near.jsonl"
    near.write_text(json.dumps({"text": "é" * 600}) + "\n")  # 1,200 bytes of UTF-8 in 600 characters
    args = ["--tokenizer", str(tok_dir)] if command == "tokenize" else ["--vocab-size", "400"]
    cli = [sys.executable, "-m", "opencoder.cli", *command.split()]
    for data, cap, where, size in [(big, 100_000, "big.jsonl:2", "1,000,013"), (near, 1000, "near.jsonl:1", "1,200")]:
        done = subprocess.run([*cli, str(data), *args, "--out", str(tmp_path / "out"), "--max-doc-bytes", str(cap)],
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 2
        assert done.stderr == (
            f"error: {tmp_path / where}: a document of {size} bytes is over the {cap:,}-byte cap (--max-doc-bytes)\n"
        )
    page = subprocess.run([*cli, "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert f"[default: ({MAX_DOC_BYTES})]" in page.stdout


def test_a_parquet_row_over_the_cap_names_its_row(tmp_path):
    data = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": ["short", "y" * 5000, "short"]}), data)
    with pytest.raises(OpencoderError, match=r"rows\.parquet:row 1: a document of 5,000 bytes is over the 4,000-byte"):
        list(iter_texts([data], max_doc_bytes=4000))
    assert [t for batch in iter_texts([data], max_doc_bytes=5000) for t in batch] == ["short", "y" * 5000, "short"]


def _loader(tokens_dir, **kw):
    ds = WindowDataset(TokenShards.open(tokens_dir), seq_len=64)
    args = {"global_batch": 8, "micro_batch": 2, "seed": 7, "pad_id": 3, **kw}
    return ds, ResumableLoader([ds], [1.0], **args)


def _ids(micro_batches) -> list[list[int]]:
    return [row.tolist() for b in micro_batches for row in b["input_ids"]]


def test_loader_is_deterministic_resumable_and_rank_split(tokens_dir):
    ds, a = _loader(tokens_dir)
    steps = [_ids(a.next_step()) for _ in range(6)]
    _, b = _loader(tokens_dir)
    assert [_ids(b.next_step()) for _ in range(6)] == steps
    _, c = _loader(tokens_dir)
    for _ in range(3):
        c.next_step()
    _, resumed = _loader(tokens_dir)
    resumed.load_state_dict(json.loads(json.dumps(c.state_dict())))
    assert [_ids(resumed.next_step()) for _ in range(3)] == steps[3:]
    ranks = [_loader(tokens_dir, rank=r, world_size=2)[1] for r in range(2)]
    for step in steps:
        assert _ids(ranks[0].next_step()) + _ids(ranks[1].next_step()) == step
    # one epoch visits every window exactly once
    _, full = _loader(tokens_dir, global_batch=1, micro_batch=1)
    seen = [tuple(_ids(full.next_step())[0]) for _ in range(len(ds))]
    assert len(set(seen)) == len(ds)


def test_mixture_follows_weights_and_bad_batches_fail(tokens_dir):
    ds = WindowDataset(TokenShards.open(tokens_dir), seq_len=64)
    loader = ResumableLoader([ds, ds], [0.8, 0.2], global_batch=100, micro_batch=10, seed=1, pad_id=3)
    for _ in range(20):
        loader.next_step()
    share = loader.consumed[0] / sum(loader.consumed)
    assert 0.75 < share < 0.85
    with pytest.raises(OpencoderError, match="global_batch 10 is not divisible by micro_batch 4 x world size 1"):
        ResumableLoader([ds], [1.0], global_batch=10, micro_batch=4, seed=1, pad_id=3)
    with pytest.raises(OpencoderError, match="fewer than one window"):
        WindowDataset(TokenShards.open(tokens_dir), seq_len=10**9)
