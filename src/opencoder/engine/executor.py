"""Executors run one function over many picklable task items and return the results in item order.

``LocalExecutor`` is a spawn-context process pool (in-process for one worker); a Ray executor implements
the same ``map``. Tasks must be idempotent: the engine skips finished ones and reruns the rest after a
crash."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Protocol, TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map(self, fn: Callable[[T], R], items: Sequence[T], label: str) -> list[R]: ...


def progress_bar() -> Progress:
    """The rich progress bar all long engine phases show (on stderr, hidden when it is not a terminal)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )


class LocalExecutor:
    """A process pool on this machine; ``workers=1`` runs in this process (no start-up cost)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def map(self, fn: Callable[[T], R], items: Sequence[T], label: str) -> list[R]:
        results: list[R | None] = [None] * len(items)
        if not items:
            return []
        with progress_bar() as progress:
            bar = progress.add_task(label, total=len(items))
            if self.workers == 1 or len(items) == 1:
                for i, item in enumerate(items):
                    results[i] = fn(item)
                    progress.advance(bar)
                return results  # type: ignore[return-value]
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(min(self.workers, len(items)), mp_context=ctx) as pool:
                futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for fut in done:
                        if fut.exception() is not None:
                            for other in pending:
                                other.cancel()
                            raise fut.exception()  # type: ignore[misc]
                        results[futures[fut]] = fut.result()
                        progress.advance(bar)
        return results  # type: ignore[return-value]
