"""pass@k against the closed form 1 - C(n-c, k) / C(n, k) on hand-made counts."""

from __future__ import annotations

from math import comb

import pytest

from opencoder.eval.passk import mean_pass_at_k, pass_at_k, why_k_missing


@pytest.mark.parametrize(
    ("n", "c", "k"),
    [(1, 0, 1), (1, 1, 1), (10, 3, 1), (10, 3, 5), (10, 8, 3), (200, 13, 10), (200, 0, 100), (5, 5, 5)],
)
def test_pass_at_k_matches_the_closed_form(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k), abs=1e-12)


def test_hand_computed_values():
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2) = 1 - 3/6
    assert pass_at_k(4, 2, 2) == pytest.approx(5 / 6)  # 1 - C(2,2)/C(4,2)


def test_mean_over_tasks_and_ks_that_need_more_samples():
    counts = [(4, 1), (4, 2), (4, 0)]
    result = mean_pass_at_k(counts, [1, 2, 5])
    assert result == {
        "pass@1": pytest.approx((0.25 + 0.5 + 0) / 3),
        "pass@2": pytest.approx((0.5 + 5 / 6) / 3),
    }
    assert why_k_missing(counts, [1, 2, 5]) == {
        "pass@5": "needs 5 samples per task, and 3 of 3 tasks have fewer (fewest: 4)"
    }
    assert why_k_missing([(1, 1), (10, 2)], [1, 10]) == {
        "pass@10": "needs 10 samples per task, and 1 of 2 tasks have fewer (fewest: 1)"
    }
    assert why_k_missing([], [1]) == {"pass@1": "no task was scored"}


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, 1, 0), (3, 1, 4), (3, -1, 1)])
def test_impossible_counts_are_refused(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)
