"""Shared fixtures for the training tests: a tokenizer and token shards built from real text, once per session.

Torch runs single-threaded here: on a shared 2-core machine, two OpenMP threads spin against other processes and a
tiny model's step gets 10x slower.
"""

import os
from pathlib import Path

import pytest
import torch
from train_paths import DOCS

os.environ["OMP_NUM_THREADS"] = "1"  # for subprocesses (torchrun, CLI)
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tok_dir(tmp_path_factory) -> Path:
    from opencoder.train.tokenizer import train_tokenizer

    return train_tokenizer([DOCS], tmp_path_factory.mktemp("tok"), vocab_size=1024)


@pytest.fixture(scope="session")
def tokens_dir(tok_dir, tmp_path_factory) -> Path:
    from opencoder.train.packing import tokenize

    out = tmp_path_factory.mktemp("tokens")
    tokenize([DOCS], tok_dir, out, processes=2)
    return out
