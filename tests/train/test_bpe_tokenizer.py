import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from train_paths import DOCS

from opencoder.errors import OpencoderError
from opencoder.train.sources import iter_texts
from opencoder.train.tokenizer import DEFAULT_SYSTEM_PROMPT, IM_END, IM_START, SPECIAL_TOKENS, train_tokenizer


def _texts() -> list[str]:
    with gzip.open(DOCS, "rt") as fh:
        return [json.loads(line)["text"] for line in fh]


def test_autotokenizer_loads_and_round_trips_real_text(tok_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tok_dir)
    assert len(tok) == 1024
    for text in _texts()[:5]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert len(ids) < len(text.encode())  # BPE merges learned something
        assert tok.decode(ids) == text


def test_special_tokens_are_single_ids_and_chat_template_injects_system_prompt(tok_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tok_dir)
    ids = [tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS]
    assert len(set(ids)) == len(SPECIAL_TOKENS) and tok.unk_token_id not in ids
    assert tok(f"{IM_START}user\nhi{IM_END}", add_special_tokens=False)["input_ids"][0] == ids[1]
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert text == (
        f"{IM_START}system\n{DEFAULT_SYSTEM_PROMPT}{IM_END}\n{IM_START}user\nhi{IM_END}\n{IM_START}assistant\n"
    )
    own = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}]
    assert DEFAULT_SYSTEM_PROMPT not in tok.apply_chat_template(own, tokenize=False)


def test_directory_of_parquet_input(tmp_path):
    kept = tmp_path / "kept"
    kept.mkdir()
    texts = _texts()
    pq.write_table(pa.table({"id": ["a", "b"], "text": texts[:2]}), kept / "part-0.parquet")
    pq.write_table(pa.table({"id": ["c"], "text": texts[2:3]}), kept / "part-1.parquet")
    out = train_tokenizer([kept], tmp_path / "tok", vocab_size=400)
    assert (out / "tokenizer.json").is_file()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text(""), "no 'text' column"),
        (lambda p: p.write_text('{"id": 1, "content": "x"}\n'), "no 'text' column"),
        (lambda p: p.write_text('{"text": "ok"}\n{broken\n'), ":2: invalid JSON"),
        (lambda p: p.write_text('{"text": "ok"}\n{"text": 42}\n'), ":2: 'text' must be a string, got int"),
        (lambda p: p.write_text('{"text": "ok"}\n{"text": ["a"]}\n'), ":2: 'text' must be a string, got list"),
        (lambda p: p.write_text('{"text": "ok"}\n[1, 2]\n'), ":2: expected a JSON object, got list"),
    ],
)
def test_bad_inputs_name_the_file(tmp_path, make, message):
    bad = tmp_path / "bad.jsonl"
    make(bad)
    with pytest.raises(OpencoderError, match=message) as err:
        train_tokenizer([bad], tmp_path / "tok", vocab_size=400)
    assert str(bad) in str(err.value)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("latin1.jsonl", b'{"text": "ok"}\n{"text": "caf\xe9"}\n', r":2: invalid JSON \(str is not valid UTF-8"),
        ("cut.jsonl.gz", gzip.compress(b'{"text": "ok"}\n' * 50)[:30], r":\d+: cannot read \(Compressed file ended"),
        ("fake.parquet", b"not a parquet file\n", r": cannot read \(Parquet magic bytes not found"),
    ],
    ids=["not-utf8", "truncated-gzip", "not-parquet"],
)
def test_undecodable_truncated_or_corrupt_files_name_the_file(tmp_path, name, data, message):
    bad = tmp_path / name
    bad.write_bytes(data)
    with pytest.raises(OpencoderError, match=f"^{bad}{message}"):
        train_tokenizer([bad], tmp_path / "tok", vocab_size=400)


def test_compressed_inputs_give_the_texts_of_the_plain_file(tmp_path):
    plain = tmp_path / "docs.jsonl"
    plain.write_bytes(gzip.decompress(DOCS.read_bytes()))
    zst = tmp_path / "docs.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    texts = [list(iter_texts([path], batch_size=7)) for path in (plain, DOCS, zst)]
    assert texts[0] == texts[1] == texts[2] and sum(map(len, texts[0])) == 40


def test_a_parquet_text_column_of_numbers_names_file_and_column(tmp_path):
    bad = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), bad)
    with pytest.raises(OpencoderError, match=f"^{bad}: column 'text' holds int64, not text$"):
        train_tokenizer([bad], tmp_path / "tok", vocab_size=400)


def test_vocab_too_small_and_missing_input(tmp_path):
    with pytest.raises(OpencoderError, match="vocab-size 100"):
        train_tokenizer([DOCS], tmp_path / "tok", vocab_size=100)
    with pytest.raises(OpencoderError, match="no such file"):
        train_tokenizer([tmp_path / "missing.parquet"], tmp_path / "tok", vocab_size=400)
