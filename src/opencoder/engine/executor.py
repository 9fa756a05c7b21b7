"""Executors run one function over many picklable task items and return the results in item order.

``LocalExecutor`` runs them in this process plus a spawn-context process pool; a Ray executor implements
the same ``map``. Tasks must be idempotent: the engine skips finished ones and reruns the rest after a
crash."""

from __future__ import annotations

import multiprocessing
import os
import signal
import tempfile
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

    The pool takes items from the front of the list while this process takes them from the back, so it works
    while the pool's interpreters start, and ``workers=1`` runs everything here. Whoever creates an item's claim
    file first runs it; the other side skips it. (Cancelling a queued future instead races the pool's manager
    thread when the pool breaks, as on Ctrl-C, and CPython 3.11 then prints an ``InvalidStateError``.) The pool
    starts on first use and lives until ``close`` (or the end of a ``with`` block), so the phases of a run share
    warm workers that keep their imported modules and built stages.
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
            with tempfile.TemporaryDirectory(prefix="opencoder-claims-") as claims:
                finished: SimpleQueue[int] = SimpleQueue()
                pending: dict[int, Future] = {}
                for i, item in enumerate(items):
                    pending[i] = self._pool.submit(_run_claimed, fn, claims, i, item)
                    pending[i].add_done_callback(partial(_report_finished, finished, i))
                try:
                    for i in reversed(range(len(items))):
                        if _claim(claims, i):
                            results[i] = fn(items[i])
                            progress.advance(bar)
                        self._collect(pending, finished, results, progress, bar, block=False)
                    self._collect(pending, finished, results, progress, bar, block=True)
                except BaseException:
                    self._pool.shutdown(wait=False, cancel_futures=True)  # the pool's own thread cancels
                    self._pool = None
                    raise
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
        those reported so far, or with ``block`` all that are pending, waiting for them. A future whose item
        this process ran returns a ``_Skipped`` and counts for nothing."""
        while pending:
            try:
                i = finished.get(block=block)
            except Empty:
                return
            result = pending.pop(i).result()  # raises the task's exception
            if not isinstance(result, _Skipped):
                results[i] = result
                progress.advance(bar)


class _Skipped:
    """What a pool worker returns for an item the driver claimed first (a class survives pickling; ``is`` on a
    module constant would not)."""


def _claim(claims: str, i: int) -> bool:
    """Atomically take item ``i`` for the calling process: only the first ``O_EXCL`` create succeeds."""
    try:
        os.close(os.open(os.path.join(claims, str(i)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _run_claimed(fn: Callable[[T], R], claims: str, i: int, item: T) -> R | _Skipped:
    """What a pool worker runs: the item, unless the driver claimed it first."""
    return fn(item) if _claim(claims, i) else _Skipped()


def _quiet_on_interrupt() -> None:
    """A pool worker ends at once, without a traceback, on the Ctrl-C its terminal sends to the whole group: this
    process reports the interruption, and a rerun resumes from the completion markers (outputs are atomic)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _report_finished(finished: SimpleQueue[int], i: int, future: Future) -> None:
    """A pool future's done callback: queue its item number once it has run, failed or been cancelled, so that
    ``map`` collects each result once without rescanning the pending futures."""
    finished.put(i)
