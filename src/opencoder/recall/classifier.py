"""The fastText classifier: train on segmented positives and negatives, score with P(code).

Training runs on one thread with a fixed seed, in a fresh process, so the same seeds give the same model and the
same scores.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from opencoder.errors import OpencoderError

POSITIVE = "__label__code"
NEGATIVE = "__label__other"


class FastTextParams(BaseModel):
    """OpenCoder gives none (SPEC §2). DeepSeekMath's (dim 256, lr 0.1, wordNgrams 3, minCount 3, 3 epochs) left
    every score at 0.50 on 720 seed pages (10 epochs) here; these separate them (docs/recall.md). ``bucket`` sizes
    the n-gram hash table: fastText's default 2,000,000 x dim floats made a 2 GB model file."""

    model_config = ConfigDict(extra="forbid")

    dim: int = Field(64, ge=1)
    lr: float = Field(0.5, gt=0)
    word_ngrams: int = Field(2, ge=1)
    min_count: int = Field(2, ge=1)
    epoch: int = Field(25, ge=1)
    bucket: int = Field(200_000, ge=1)


def _train_file(data: str, path: str, params: dict, seed: int) -> None:
    """fastText training on a labelled file, run in a fresh process (see ``train``)."""
    import fasttext

    model = fasttext.train_supervised(
        data,
        dim=params["dim"],
        lr=params["lr"],
        wordNgrams=params["word_ngrams"],
        minCount=params["min_count"],
        epoch=params["epoch"],
        bucket=params["bucket"],
        thread=1,
        seed=seed,
        verbose=0,
    )
    model.save_model(path)


def train(positives: Sequence[str], negatives: Sequence[str], params: FastTextParams, seed: int, path: Path):
    """Train on segmented texts, save the model at ``path`` and return it loaded.

    Training runs in a fresh spawned process: in a process that had already trained and scored, the same call on
    the same data gave other weights, or stopped with "Encountered NaN" (fasttext-numpy2-wheel 0.9.2)."""
    if not positives or not negatives:
        raise OpencoderError(f"training needs positives and negatives (got {len(positives)} and {len(negatives)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.txt"
        with open(data, "w", encoding="utf-8") as f:
            for label, texts in ((POSITIVE, positives), (NEGATIVE, negatives)):
                f.writelines(f"{label} {t}\n" for t in texts)
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(_train_file, str(data), str(path), params.model_dump(), seed).result()
    return load(path)


def load(path: Path):
    """A fastText model file; a clear error for a file that is not one (fastText would abort or raise oddly)."""
    import fasttext

    if not Path(path).is_file():
        raise OpencoderError(f"{path}: fastText model file does not exist")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != (793712314).to_bytes(4, "little"):  # fastText's FASTTEXT_FILEFORMAT_MAGIC_INT32
        raise OpencoderError(f"{path}: not a fastText model (wrong file header)")
    try:
        return fasttext.load_model(str(path))
    except (ValueError, RuntimeError, MemoryError) as err:
        raise OpencoderError(f"{path}: not a readable fastText model ({err})") from None


def scores(model, segmented: Sequence[str]) -> np.ndarray:
    """P(code) of each segmented text (float32)."""
    if not segmented:
        return np.zeros(0, dtype=np.float32)
    labels, probs = model.predict(list(segmented), k=2)
    out = np.empty(len(segmented), dtype=np.float32)
    for i, (lab, p) in enumerate(zip(labels, probs, strict=True)):
        out[i] = p[0] if lab[0] == POSITIVE else (p[1] if len(lab) > 1 else 1.0 - p[0])
    return out
