"""Executors run one function over many picklable task items and return the results in item order.

``LocalExecutor`` runs them in this process plus a spawn-context process pool; a Ray executor implements
the same ``map``. Tasks must be idempotent: the engine skips finished ones and reruns the rest after a
crash."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map(self, fn: Callable[[T], R], items: Sequence[T], label: str) -> list[R]: ...


def progress_bar() -> Progress:
    """The rich progress bar all long engine phases show (on stderr, hidden when it is not a terminal). rich is
    imported here, not with the module: a spawned pool worker imports this module and never draws a bar."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )


class LocalExecutor:
    """``workers`` processes on this machine: this one and ``workers - 1`` spawned ones.

    The pool takes items from the front of the list while this process takes them from the back (by cancelling
    futures no worker has picked up yet), so it works while the pool's interpreters start, and ``workers=1``
    runs everything here. The pool starts on first use and lives until ``close`` (or the end of a ``with``
    block), so the phases of a run share warm workers that keep their imported modules and built stages.
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
        with progress_bar() as progress:
            bar = progress.add_task(label, total=len(items))
            if self.workers == 1 or len(items) <= 1:
                for i, item in enumerate(items):
                    results[i] = fn(item)
                    progress.advance(bar)
                return results  # type: ignore[return-value]
            if self._pool is None:
                spawn = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(self.workers - 1, mp_context=spawn, initializer=_quiet_on_interrupt)
            finished: SimpleQueue[int] = SimpleQueue()
            futures = [self._pool.submit(fn, item) for item in items]
            for i, fut in enumerate(futures):
                fut.add_done_callback(partial(_report_finished, finished, i))
            pending = dict(enumerate(futures))
            try:
                for i in reversed(range(len(items))):
                    if futures[i].cancel():  # no worker has it: run it here
                        del pending[i]
                        results[i] = fn(items[i])
                        progress.advance(bar)
                    self._collect(pending, finished, results, progress, bar, block=False)
                self._collect(pending, finished, results, progress, bar, block=True)
            finally:
                for fut in pending.values():
                    fut.cancel()
        return results  # type: ignore[return-value]

    @staticmethod
    def _collect(
        pending: dict[int, Future],
        finished: SimpleQueue[int],
        results: list,
        progress: Progress,
        bar: TaskID,
        block: bool,
    ) -> None:
        """Move the results of the futures reported finished into ``results`` (raising the first failure):
        those reported so far, or with ``block`` all that are pending, waiting for them."""
        while pending:
            try:
                i = finished.get(block=block)
            except Empty:
                return
            results[i] = pending.pop(i).result()  # raises the task's exception
            progress.advance(bar)


def _quiet_on_interrupt() -> None:
    """A pool worker ends at once, without a traceback, on the Ctrl-C its terminal sends to the whole group: this
    process reports the interruption, and a rerun resumes from the completion markers (outputs are atomic)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _report_finished(finished: SimpleQueue[int], i: int, future: Future) -> None:
    """A pool future's done callback: queue its item number once it has run (or failed), so that ``map``
    collects each result once, without rescanning the pending futures; not for a future this process took
    over by cancelling it."""
    if not future.cancelled():
        finished.put(i)
