"""The local executor: results in item order, shared work between this process and the pool, failures raised."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from opencoder.engine.executor import LocalExecutor
from opencoder.errors import OpencoderError


def pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def fail_on_three(x: int) -> int:
    if x == 3:
        raise OpencoderError(f"item {x} is bad")
    return x


def fail_in_the_pool(item: tuple[int, str]) -> int:
    parent, marker = item
    if os.getpid() != parent:
        Path(marker).touch()
        raise OpencoderError("failed in a pool worker")
    deadline = time.monotonic() + 120
    while not Path(marker).exists() and time.monotonic() < deadline:  # here, wait until a worker has taken one
        time.sleep(0.01)
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


def test_a_task_failing_in_the_pool_raises_its_error_here(tmp_path):
    items = [(os.getpid(), str(tmp_path / "a worker ran one"))] * 8
    with LocalExecutor(2) as ex, pytest.raises(OpencoderError, match="failed in a pool worker"):
        ex.map(fail_in_the_pool, items, "fails in the pool")


def run_once(item: tuple[int, str]) -> int:
    """Fails if its item ran before: an ``O_EXCL`` create of the item's file."""
    i, folder = item
    os.close(os.open(os.path.join(folder, str(i)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    time.sleep(0.01)
    return i


def test_each_item_runs_once_between_this_process_and_the_pool(tmp_path):
    with LocalExecutor(3) as ex:
        for round_ in range(3):  # a cold pool, then warm ones
            (folder := tmp_path / str(round_)).mkdir()
            assert ex.map(run_once, [(i, str(folder)) for i in range(40)], "once") == list(range(40))
            assert sorted(int(p.name) for p in folder.iterdir()) == list(range(40))
