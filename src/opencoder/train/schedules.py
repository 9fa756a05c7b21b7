"""Learning-rate schedules as pure functions of the step (0-based): what the loop sets before each update.

- ``wsd``: linear warmup, then constant at the peak (the stable phase); with ``decay_steps`` > 0 the last steps
  decay exponentially to ``final_lr`` (MiniCPM-style WSD in one run).
- ``exp``: the annealing stage on its own: exponential decay from ``lr`` at step 0 to ``final_lr`` at the last step
  (SPEC §3: 3e-4 to 1e-5 over the annealing budget).
- ``cosine``: linear warmup, then cosine from the peak to ``final_lr`` at the last step (SFT, SPEC §5.4).

Warmup reaches the peak at step ``warmup_steps - 1`` (``lr * (step + 1) / warmup_steps``) so no step has lr 0.
"""

from __future__ import annotations

import math

from opencoder.errors import OpencoderError

SCHEDULES = ("wsd", "exp", "cosine")


def _warmup(step: int, lr: float, warmup_steps: int) -> float | None:
    return lr * (step + 1) / warmup_steps if step < warmup_steps else None


def _exp_decay(t: int, span: int, lr: float, final_lr: float) -> float:
    """``lr`` at t=0, ``final_lr`` at t=span, geometric in between."""
    return lr if span <= 0 else lr * (final_lr / lr) ** (min(t, span) / span)


def lr_at(
    step: int,
    *,
    kind: str,
    lr: float,
    total_steps: int,
    warmup_steps: int = 0,
    final_lr: float = 0.0,
    decay_steps: int = 0,
) -> float:
    """Learning rate for optimizer step ``step`` of a run of ``total_steps``."""
    last = total_steps - 1
    if kind == "exp":
        return _exp_decay(step, last, lr, final_lr)
    warm = _warmup(step, lr, warmup_steps)
    if warm is not None:
        return warm
    if kind == "wsd":
        decay_start = total_steps - decay_steps
        return (
            lr
            if decay_steps <= 0 or step < decay_start
            else _exp_decay(step - decay_start + 1, decay_steps, lr, final_lr)
        )
    if kind == "cosine":
        span = last - warmup_steps + 1
        progress = min(1.0, (step - warmup_steps + 1) / span) if span > 0 else 1.0
        return final_lr + 0.5 * (lr - final_lr) * (1.0 + math.cos(math.pi * progress))
    raise OpencoderError(f"unknown schedule {kind!r}; choose one of {', '.join(SCHEDULES)}")
