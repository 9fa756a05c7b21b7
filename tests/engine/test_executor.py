"""The local executor: results in item order, shared work between this process and the pool, failures raised."""

from __future__ import annotations

import os
import time

import pytest

from opencoder.engine.executor import LocalExecutor
from opencoder.errors import OpencoderError


def pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def fail_on_three(x: int) -> int:
    if x == 3:
        raise OpencoderError(f"item {x} is bad")
    return x


def fail_in_the_pool(parent: int) -> int:
    if os.getpid() != parent:
        raise OpencoderError("failed in a pool worker")
    time.sleep(0.05)  # slow here, so that the pool's worker has claimed the first items
    return parent


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


def test_a_task_failing_in_the_pool_raises_its_error_here():
    with LocalExecutor(2) as ex, pytest.raises(OpencoderError, match="failed in a pool worker"):
        ex.map(fail_in_the_pool, [os.getpid()] * 8, "fails in the pool")
