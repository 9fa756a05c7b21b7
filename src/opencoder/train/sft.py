"""SFT examples: ChatML prompt with the default system prompt, loss only on the answer (SPEC §5.4).

As in OpenCoder's fine-tuning script: prompt = the chat template applied to one user turn with the generation
prompt, target = ``output + "\\n<|im_end|>"``, labels = -100 over the prompt, truncated at ``max_len``. Optional packing
concatenates whole examples (greedy, in file order) into sequences of at most ``max_len`` tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from opencoder.errors import OpencoderError
from opencoder.train.data import IGNORE_INDEX
from opencoder.train.sources import expand_inputs, iter_records
from opencoder.train.tokenizer import IM_END

log = logging.getLogger(__name__)
_FIELDS = [("instruction", "output"), ("prompt", "answer")]


def encode_example(tok, instruction: str, output: str, max_len: int) -> dict[str, np.ndarray]:
    """Token ids and labels of one example; labels are -100 on every prompt token."""
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": instruction}], tokenize=False, add_generation_prompt=True
    )
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    target_ids = tok(output + "\n" + IM_END, add_special_tokens=False)["input_ids"]
    ids = np.asarray(prompt_ids + target_ids, dtype=np.int64)[:max_len]
    labels = ids.copy()
    labels[: len(prompt_ids)] = IGNORE_INDEX
    return {"input_ids": ids, "labels": labels}


def _pairs(path: Path) -> list[tuple[str, str]]:
    """(instruction, output) per row: from those fields, prompt/answer, or a chat `messages` list (the last user
    turn and the assistant turn after it, as `opencoder synth` writes them)."""
    pairs = []
    for rows in iter_records(path, ["instruction", "output", "prompt", "answer", "messages"]):
        for row in rows:
            pair = next(((row[q], row[a]) for q, a in _FIELDS if row[q] is not None and row[a] is not None), None)
            pair = pair or _chat_pair(row["messages"])
            if pair is None:
                raise OpencoderError(
                    f"{path}: a row lacks instruction/output, prompt/answer or user/assistant messages"
                )
            pairs.append(pair)
    return pairs


def _chat_pair(messages: object) -> tuple[str, str] | None:
    if not isinstance(messages, list):
        return None
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    for i in range(len(messages) - 1, 0, -1):
        if roles[i] == "assistant" and roles[i - 1] == "user":
            return messages[i - 1]["content"], messages[i]["content"]
    return None


def load_sft_examples(inputs: Sequence[str | Path], tok, max_len: int, packing: bool) -> list[dict[str, np.ndarray]]:
    """Encode every example of the input files; examples whose prompt fills ``max_len`` are skipped (no target)."""
    examples = []
    for path in expand_inputs(inputs):
        pairs = _pairs(path)
        encoded = [encode_example(tok, instruction, output, max_len) for instruction, output in pairs]
        kept = [ex for ex in encoded if (ex["labels"] != IGNORE_INDEX).any()]
        if len(kept) < len(pairs):
            log.warning("%s: %d of %d examples skipped: the prompt fills seq_len %d", path,
                        len(pairs) - len(kept), len(pairs), max_len)  # fmt: skip
        examples.extend(kept)
    return pack_examples(examples, max_len) if packing else examples


def pack_examples(examples: list[dict[str, np.ndarray]], max_len: int) -> list[dict[str, np.ndarray]]:
    """Greedily concatenate whole examples into sequences of at most ``max_len`` tokens."""
    packed, cur_ids, cur_labels, n = [], [], [], 0
    for ex in examples:
        if n and n + len(ex["input_ids"]) > max_len:
            packed.append({"input_ids": np.concatenate(cur_ids), "labels": np.concatenate(cur_labels)})
            cur_ids, cur_labels, n = [], [], 0
        cur_ids.append(ex["input_ids"])
        cur_labels.append(ex["labels"])
        n += len(ex["input_ids"])
    if cur_ids:
        packed.append({"input_ids": np.concatenate(cur_ids), "labels": np.concatenate(cur_labels)})
    return packed
