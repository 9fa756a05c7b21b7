"""BPE segmentation before fastText (SPEC §2): a small vocabulary, and Chinese cut into pieces instead of one word.

fastText splits its input on whitespace, so a run of Chinese characters would be one rare "word". A BPE model
trained on the seed texts (NFKC, lower case, split on letters/digits vs punctuation first) cuts every text into
subword pieces from a vocabulary of ``vocab_size``; the pieces joined by spaces are what the classifier reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from opencoder.errors import OpencoderError

MAX_CHARS = 5_000  # a page's first characters decide its topic; the rest costs fastText time, not accuracy


def train_segmenter(texts: Sequence[str], vocab_size: int, path: Path) -> Path:
    """Fit BPE on ``texts`` and save it (HF ``tokenizers`` JSON) at ``path``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"], show_progress=False)
    tok.train_from_iterator((t[:MAX_CHARS] for t in texts), trainer=trainer)
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return path


def load_segmenter(path: Path):
    """A segmenter saved by ``train_segmenter``; a clear error for anything else."""
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_file(str(path))
    except Exception as err:  # tokenizers raises a bare Exception for unreadable files
        raise OpencoderError(f"{path}: not a BPE segmenter saved by opencoder recall ({err})") from None


def segment(tok, texts: Sequence[str | None]) -> list[str]:
    """Each text as space-separated BPE pieces, on one line (fastText reads one example per line)."""
    encoded = tok.encode_batch([(t or "")[:MAX_CHARS] for t in texts])
    return [" ".join(e.tokens) for e in encoded]
