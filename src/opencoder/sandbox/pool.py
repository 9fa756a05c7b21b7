"""A pool that keeps every core busy running programs, each in its own fresh interpreter.

Threads suffice: each one only starts a subprocess and waits for it, so the GIL is free while programs run. A
little more threads than cores hides the time each run spends starting and cleaning up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from opencoder.sandbox.runner import Program, Result, Sandbox


def default_workers() -> int:
    return (os.cpu_count() or 1) + 1


def run_many(
    sandbox: Sandbox,
    programs: Sequence[Program | str],
    workers: int | None = None,
    on_result: Callable[[int, Result], None] | None = None,
) -> list[Result]:
    """Run programs concurrently; results come back in input order. on_result(index, result) is called as each ends."""

    def one(index: int) -> Result:
        result = sandbox.run(programs[index])
        if on_result is not None:
            on_result(index, result)
        return result

    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        return list(pool.map(one, range(len(programs))))
