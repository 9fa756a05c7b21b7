"""The unbiased pass@k estimator (Chen et al., 2021): 1 - C(n-c, k) / C(n, k), computed as a stable product."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k samples drawn without replacement from n, c of them correct, is correct."""
    if not 0 <= c <= n or k < 1 or k > n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def mean_pass_at_k(counts: Sequence[tuple[int, int]], ks: Iterable[int]) -> dict[str, float]:
    """Mean pass@k over tasks given (n, c) per task; a k is reported only if every task has at least k samples."""
    result: dict[str, float] = {}
    for k in ks:
        if counts and all(n >= k for n, _ in counts):
            result[f"pass@{k}"] = sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
    return result


def why_k_missing(counts: Sequence[tuple[int, int]], ks: Iterable[int]) -> dict[str, str]:
    """For each k that ``mean_pass_at_k`` leaves out, why: a run asked for pass@10 must learn why it got none."""
    reasons: dict[str, str] = {}
    for k in ks:
        short = [n for n, _ in counts if n < k]
        if not counts:
            reasons[f"pass@{k}"] = "no task was scored"
        elif short:
            reasons[f"pass@{k}"] = (
                f"needs {k} samples per task, and {len(short)} of {len(counts)} tasks have fewer (fewest: {min(short)})"
            )
    return reasons
