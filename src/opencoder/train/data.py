"""Datasets of training sequences and a loader whose order is deterministic and resumable.

Each dataset maps an index to one sequence (``input_ids`` and ``labels``). The loader draws, for every optimizer
step, ``global_batch`` sequences: a seeded choice picks the source of each (the anneal mixture), and each source walks
its items in a per-epoch shuffled order. The order is an affine permutation ``(a*i + b) mod n`` with ``a`` coprime to
``n``: it costs no memory at any corpus size and is fixed by (seed, source, epoch). The loader state is one counter
per source plus the step, which the checkpoint stores; a resumed run, or one on a different number of ranks, sees the
same sequences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from opencoder.errors import OpencoderError
from opencoder.train.packing import TokenShards

IGNORE_INDEX = -100


class WindowDataset:
    """Fixed-length windows of packed tokens; a window never crosses a shard boundary (the tail is dropped)."""

    def __init__(self, shards: TokenShards, seq_len: int):
        self.shards, self.seq_len = shards, seq_len
        counts = [len(a) // seq_len for a in shards.arrays]
        self._cum = np.cumsum([0, *counts])
        if self._cum[-1] == 0:
            raise OpencoderError(
                f"{shards.path}: {shards.meta['num_tokens']} tokens, fewer than one window of seq_len {seq_len}"
            )

    def __len__(self) -> int:
        return int(self._cum[-1])

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        shard = int(np.searchsorted(self._cum, i, side="right")) - 1
        start = (i - int(self._cum[shard])) * self.seq_len
        ids = np.asarray(self.shards.arrays[shard][start : start + self.seq_len], dtype=np.int64)
        return {"input_ids": ids, "labels": ids}


class ListDataset:
    """Pre-tokenized examples held in memory (SFT): each a dict of equal-length ``input_ids`` and ``labels``."""

    def __init__(self, examples: list[dict[str, np.ndarray]], name: str):
        if not examples:
            raise OpencoderError(f"{name}: no training examples")
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        return self.examples[i]


@lru_cache(maxsize=64)
def _affine_permutation(n: int, seed: int, source: int, epoch: int) -> tuple[int, int]:
    """Multiplier and offset of a seeded bijection on ``range(n)``."""
    if n == 1:
        return 1, 0
    rng = np.random.default_rng([seed, source, epoch])
    while True:
        a = int(rng.integers(1, n))
        if math.gcd(a, n) == 1:
            return a, int(rng.integers(0, n))


class ResumableLoader:
    """Yields each optimizer step's sequences for this rank, as micro-batches of padded tensors."""

    def __init__(
        self,
        sources: Sequence,
        weights: Sequence[float],
        *,
        global_batch: int,
        micro_batch: int,
        seed: int,
        pad_id: int,
        rank: int = 0,
        world_size: int = 1,
    ):
        if global_batch % (micro_batch * world_size):
            raise OpencoderError(
                f"global_batch {global_batch} is not divisible by micro_batch {micro_batch} x world size {world_size}"
            )
        w = np.asarray(weights, dtype=np.float64)
        if len(w) != len(sources) or (w <= 0).any():
            raise OpencoderError(f"mixture weights {list(weights)} must be positive, one per source")
        self.sources, self.p = list(sources), w / w.sum()
        self.global_batch, self.micro_batch, self.seed, self.pad_id = global_batch, micro_batch, seed, pad_id
        self.rank, self.world_size = rank, world_size
        self.step = 0
        self.consumed = [0] * len(self.sources)

    @property
    def accum_steps(self) -> int:
        return self.global_batch // (self.micro_batch * self.world_size)

    def state_dict(self) -> dict:
        return {"step": self.step, "consumed": list(self.consumed), "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        if len(state["consumed"]) != len(self.sources):
            raise OpencoderError(
                f"checkpoint has data positions for {len(state['consumed'])} sources, the recipe declares "
                f"{len(self.sources)}"
            )
        self.step, self.consumed, self.seed = state["step"], list(state["consumed"]), state["seed"]

    def epochs_done(self) -> float:
        """Epochs of the first source consumed so far (SFT stops on this)."""
        return self.consumed[0] / len(self.sources[0])

    def _next_index(self, k: int) -> int:
        """Advance source ``k`` by one item and return that item's index."""
        n = len(self.sources[k])
        epoch, j = divmod(self.consumed[k], n)
        a, b = _affine_permutation(n, self.seed, k, epoch)
        self.consumed[k] += 1
        return (a * j + b) % n

    def next_step(self) -> list[dict[str, torch.Tensor]]:
        """The micro-batches of this rank for the next optimizer step (all ranks advance the same state)."""
        if len(self.sources) == 1:
            choice = np.zeros(self.global_batch, dtype=np.int64)
        else:
            choice = np.random.default_rng([self.seed, 1 << 20, self.step]).choice(
                len(self.sources), size=self.global_batch, p=self.p
            )
        picks = [(int(k), self._next_index(int(k))) for k in choice]
        self.step += 1
        per_rank = self.global_batch // self.world_size
        mine = [self.sources[k][i] for k, i in picks[self.rank * per_rank : (self.rank + 1) * per_rank]]
        mb = self.micro_batch
        return [collate(mine[i : i + mb], self.pad_id) for i in range(0, per_rank, mb)]


def collate(items: list[dict[str, np.ndarray]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad to the longest sequence: pad id in ``input_ids``, -100 in ``labels``, 0 in ``attention_mask``."""
    width = max(len(x["input_ids"]) for x in items)
    ids = np.full((len(items), width), pad_id, dtype=np.int64)
    labels = np.full((len(items), width), IGNORE_INDEX, dtype=np.int64)
    mask = np.zeros((len(items), width), dtype=np.int64)
    for row, x in enumerate(items):
        n = len(x["input_ids"])
        ids[row, :n], labels[row, :n], mask[row, :n] = x["input_ids"], x["labels"], 1
    return {
        "input_ids": torch.from_numpy(ids),
        "labels": torch.from_numpy(labels),
        "attention_mask": torch.from_numpy(mask),
    }
