"""The local executor: results in item order, shared work between this process and the pool, failures raised."""

from __future__ import annotations

import os

import pytest

from opencoder.engine.executor import LocalExecutor
from opencoder.errors import OpencoderError


def pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def fail_on_three(x: int) -> int:
    if x == 3:
        raise OpencoderError(f"item {x} is bad")
    return x


def test_results_keep_item_order_and_this_process_works_too():
    with LocalExecutor(2) as ex:
        out = ex.map(pid_and_square, list(range(12)), "squares")
        again = ex.map(pid_and_square, list(range(3)), "warm pool")
    assert [sq for _, sq in out] == [x * x for x in range(12)]
    assert [sq for _, sq in again] == [0, 1, 4]
    assert os.getpid() in {pid for pid, _ in out}  # the last items are taken here while the pool starts


def test_a_failing_task_raises_its_error():
    with LocalExecutor(2) as ex, pytest.raises(OpencoderError, match="item 3 is bad"):
        ex.map(fail_on_three, list(range(8)), "fails")
    with pytest.raises(OpencoderError, match="item 3 is bad"):
        LocalExecutor(1).map(fail_on_three, list(range(8)), "fails inline")
