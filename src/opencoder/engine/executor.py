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
    """A process pool on this machine; ``workers=1`` runs in this process (no start-up cost).

    The pool starts on first use and lives until ``close`` (or the end of a ``with`` block), so the phases of
    a run share warm workers that keep their imported modules and built stages.
    """

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(self, fn: Callable[[T], R], items: Sequence[T], label: str) -> list[R]:
        results: list[R | None] = [None] * len(items)
        if not items:
            return []
        with progress_bar() as progress:
            bar = progress.add_task(label, total=len(items))
            if self.workers == 1:
                for i, item in enumerate(items):
                    results[i] = fn(item)
                    progress.advance(bar)
                return results  # type: ignore[return-value]
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            futures = {self._pool.submit(fn, item): i for i, item in enumerate(items)}
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
