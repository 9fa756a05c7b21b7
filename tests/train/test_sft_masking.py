import json

import numpy as np
import pytest
from train_paths import SFT

from opencoder.errors import OpencoderError
from opencoder.train.data import IGNORE_INDEX
from opencoder.train.sft import encode_example, load_sft_examples, pack_examples
from opencoder.train.tokenizer import DEFAULT_SYSTEM_PROMPT, IM_END, load_tokenizer


def test_only_answer_tokens_carry_labels(tok_dir):
    tok = load_tokenizer(tok_dir)
    row = json.loads(SFT.read_text().splitlines()[0])
    ex = encode_example(tok, row["prompt"], row["answer"], max_len=4096)
    answer_mask = ex["labels"] != IGNORE_INDEX
    first = int(np.argmax(answer_mask))
    assert answer_mask[first:].all() and not answer_mask[:first].any()  # one contiguous answer span at the end
    assert tok.decode(ex["labels"][answer_mask].tolist()) == row["answer"] + "\n" + IM_END
    prompt = tok.decode(ex["input_ids"][:first].tolist())
    assert prompt == (
        f"<|im_start|>system\n{DEFAULT_SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n{row['prompt']}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_truncation_and_packing_keep_masks_aligned(tok_dir):
    tok = load_tokenizer(tok_dir)
    examples = load_sft_examples([SFT], tok, max_len=200, packing=False)
    assert len(examples) == 40 and all(len(e["input_ids"]) <= 200 for e in examples)
    packed = pack_examples(examples, 400)
    assert len(packed) < len(examples) and all(len(p["input_ids"]) <= 400 for p in packed)
    assert sum(int((p["labels"] != IGNORE_INDEX).sum()) for p in packed) == sum(
        int((e["labels"] != IGNORE_INDEX).sum()) for e in examples
    )
    assert (
        np.concatenate([p["input_ids"] for p in packed]).tolist()
        == np.concatenate([e["input_ids"] for e in examples]).tolist()
    )


def test_a_field_that_is_not_text_names_file_line_and_key(tok_dir, tmp_path):
    bad = tmp_path / "sft.jsonl"
    bad.write_text('{"instruction": "Add one.", "output": "x + 1"}\n{"instruction": "Two?", "output": 2}\n')
    with pytest.raises(OpencoderError, match=f"^{bad}:2: 'output' must be a string, got int$"):
        load_sft_examples([bad], load_tokenizer(tok_dir), 64, packing=False)


def test_chat_messages_rows_train_like_prompt_answer_rows(tok_dir, tmp_path):
    """`opencoder synth` writes chat `messages`: the last user turn and its assistant answer are the example."""
    tok = load_tokenizer(tok_dir)
    rows = [json.loads(line) for line in SFT.read_text().splitlines()[:5]]
    chat = tmp_path / "chat.jsonl"

    def conversation(r: dict) -> list[dict]:
        turns = [("user", "earlier turn"), ("assistant", "earlier answer"), ("user", r["prompt"]),
                 ("assistant", r["answer"])]  # fmt: skip
        return [{"role": role, "content": content} for role, content in turns]

    chat.write_text("".join(json.dumps({"messages": conversation(r), "seed_id": "x"}) + "\n" for r in rows))
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps(r) + "\n" for r in rows))
    from_chat = load_sft_examples([chat], tok, max_len=4096, packing=False)
    from_plain = load_sft_examples([plain], tok, max_len=4096, packing=False)
    assert [e["input_ids"].tolist() for e in from_chat] == [e["input_ids"].tolist() for e in from_plain]
    chat.write_text(json.dumps({"messages": [{"role": "user", "content": "no answer"}]}) + "\n")
    with pytest.raises(OpencoderError, match="user/assistant messages"):
        load_sft_examples([chat], tok, max_len=4096, packing=False)
