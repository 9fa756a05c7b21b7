"""Training checkpoints that resume exactly, written atomically and checked before use.

Layout of ``CKPT_DIR/checkpoints/``::

    step-00000100/model.safetensors   full (unsharded) model weights
    step-00000100/trainer.pt          optimizer, step, data-loader position, RNG states, recipe
    step-00000100/manifest.json       size of each file: a truncated copy is named before any compute
    latest                            name of the newest complete checkpoint

A checkpoint is written into ``step-N.tmp`` and renamed, then ``latest`` is replaced; a crash at any point leaves the
previous checkpoint usable. State dicts are full and keyed by parameter name, so a run may resume on another number
of ranks or switch between DDP and FSDP.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import torch

from opencoder.errors import OpencoderError

MODEL_FILE, TRAINER_FILE, MANIFEST = "model.safetensors", "trainer.pt", "manifest.json"


def rng_state() -> dict:
    state = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(ckpt_root: Path, step: int, model_state: dict, trainer_state: dict, keep: int) -> Path:
    """Write one checkpoint atomically (call on rank 0 only) and prune all but the newest ``keep``."""
    from safetensors.torch import save_file

    root = ckpt_root / "checkpoints"
    name = f"step-{step:08d}"
    tmp = root / f"{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in model_state.items()}, tmp / MODEL_FILE)
    torch.save(trainer_state, tmp / TRAINER_FILE)
    sizes = {f: (tmp / f).stat().st_size for f in (MODEL_FILE, TRAINER_FILE)}
    (tmp / MANIFEST).write_text(json.dumps({"step": step, "sizes": sizes}))
    final = root / name
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    (root / "latest.tmp").write_text(name)
    os.replace(root / "latest.tmp", root / "latest")
    for old in sorted(root.glob("step-????????"))[:-keep]:
        shutil.rmtree(old)
    return final


def latest_checkpoint(ckpt_root: Path) -> Path | None:
    """The directory named by ``checkpoints/latest``, or None when the run has no checkpoint yet."""
    pointer = ckpt_root / "checkpoints" / "latest"
    if not pointer.is_file():
        return None
    path = ckpt_root / "checkpoints" / pointer.read_text().strip()
    if not path.is_dir():
        raise OpencoderError(f"{pointer}: names {path.name}, which does not exist")
    return path


def load_checkpoint(path: Path) -> tuple[dict, dict]:
    """Model state and trainer state of a checkpoint directory; a missing, truncated or corrupt file is named."""
    from safetensors.torch import load_file

    manifest_path = path / MANIFEST
    try:
        sizes = json.loads(manifest_path.read_text())["sizes"]
    except (OSError, ValueError, KeyError) as err:
        raise OpencoderError(f"{manifest_path}: missing or corrupt checkpoint manifest ({err})") from None
    for fname, expected in sizes.items():
        f = path / fname
        actual = f.stat().st_size if f.is_file() else None
        if actual != expected:
            raise OpencoderError(f"{f}: corrupt checkpoint file ({actual} bytes, manifest says {expected})")
    try:
        model_state = load_file(path / MODEL_FILE)
    except Exception as err:
        raise OpencoderError(f"{path / MODEL_FILE}: corrupt checkpoint file ({err})") from None
    try:
        trainer_state = torch.load(path / TRAINER_FILE, map_location="cpu", weights_only=True)
    except Exception as err:
        raise OpencoderError(f"{path / TRAINER_FILE}: corrupt checkpoint file ({err})") from None
    return model_state, trainer_state
