"""Train a byte-level BPE tokenizer (HF ``tokenizers``) and save it so ``AutoTokenizer`` and vLLM load it.

OpenCoder reuses the INF-34B tokenizer plus special tokens (SPEC §5.2); we train our own byte-level BPE on the
refined data instead and add the same chat tokens. The chat template is ChatML with OpenCoder's default system prompt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from opencoder.errors import OpencoderError
from opencoder.train.sources import expand_inputs, iter_texts

EOD_TOKEN = "<|endoftext|>"  # separates documents in packed shards
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
PAD_TOKEN = "<|pad|>"
SPECIAL_TOKENS = [EOD_TOKEN, IM_START, IM_END, PAD_TOKEN]
DEFAULT_SYSTEM_PROMPT = "You are OpenCoder, created by OpenCoder Team."

# ChatML; a conversation that does not open with a system message gets OpenCoder's default one (SPEC §5.2).
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM_PROMPT + "<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def train_tokenizer(
    inputs: Sequence[str | Path], out_dir: str | Path, vocab_size: int, max_doc_bytes: int | None = None
) -> Path:
    """Train byte-level BPE on the ``text`` column of ``inputs`` and write an HF tokenizer directory."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise OpencoderError(f"--vocab-size {vocab_size} is below the 256 byte symbols plus the special tokens")
    files = expand_inputs(inputs)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )

    def texts() -> Iterator[str]:
        for batch in iter_texts(files, max_doc_bytes=max_doc_bytes):
            yield from batch

    tok.train_from_iterator(texts(), trainer=trainer)
    return save_hf_tokenizer(tok, out_dir)


def save_hf_tokenizer(tok, out_dir: str | Path) -> Path:
    """Wrap a ``tokenizers.Tokenizer`` as a transformers fast tokenizer with our special tokens and chat template."""
    from transformers import PreTrainedTokenizerFast

    out = Path(out_dir)
    hf = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=EOD_TOKEN,
        pad_token=PAD_TOKEN,
        additional_special_tokens=[IM_START, IM_END],
        model_max_length=1_000_000_000,
    )
    hf.chat_template = CHAT_TEMPLATE
    hf.save_pretrained(out)
    return out


def load_tokenizer(tok_dir: str | Path):
    """Load a tokenizer directory written by ``train_tokenizer`` (or any HF one) with transformers."""
    from transformers import AutoTokenizer

    path = Path(tok_dir)
    if not (path / "tokenizer.json").is_file():
        raise OpencoderError(f"{path}: not a tokenizer directory (no tokenizer.json)")
    return AutoTokenizer.from_pretrained(path)


def tokenizer_hash(tok_dir: str | Path) -> str:
    """SHA-256 of ``tokenizer.json``: token shards record it so data and model never mix tokenizers silently."""
    return hashlib.sha256((Path(tok_dir) / "tokenizer.json").read_bytes()).hexdigest()
