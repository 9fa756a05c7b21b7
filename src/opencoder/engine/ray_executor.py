"""Run the engine's tasks on a Ray cluster: the same ``map`` as the local process pool, spread over machines.

A task is the same function and item as on the local executor; Ray only decides where it runs. Tasks write their
outputs themselves (atomically, with completion markers), so on a cluster RUN_DIR must be a path every node sees
(a shared filesystem) and ``opencoder`` must be installed on every node. Results (task stats) come back in item
order, and the first failing task stops the map with that task's own exception.

Faults: a task whose worker process or node died (a Ray system error, not an exception of the task's own) is
submitted again, up to ``max_retries`` times. That is safe because every task is idempotent: it writes its outputs
atomically under their final names and its completion marker last, so a rerun overwrites a lost attempt's partial
files and a finished one is never run twice. The driver resubmits (Ray's own ``max_retries`` is 0) so that it can
count what each fault cost: ``stats`` holds, per map label, the retries and the tasks each node ran, and
the runner copies it into the manifest.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from opencoder.engine.executor import progress_bar
from opencoder.errors import OpencoderError

PROBE_TIMEOUT_S = 10
POLL_S = 0.2  # how long map waits for tasks to finish before taking those that have
RAY_CLIENT_PORT = 10001  # Ray's default for ray://HOST
MAX_RETRIES = 3  # resubmissions of a task lost to a dead worker or node
T = TypeVar("T")
R = TypeVar("R")


class RayExecutor:
    """Executes tasks as Ray remote functions on the cluster at ``address`` (``auto``, ``host:port``, ``ray://…``)."""

    def __init__(self, address: str = "auto", cpus_per_task: float = 1.0, max_retries: int = MAX_RETRIES) -> None:
        self.address = address
        self.cpus_per_task = cpus_per_task
        self.max_retries = max_retries
        self.stats: dict[str, dict[str, Any]] = {}  # per map label: retries, tasks per node

    def map(self, fn: Callable[[T], R], items: Sequence[T], label: str) -> list[R]:
        if not items:
            return []
        ray = self._connect()
        # SPREAD: tasks go round the nodes with free CPUs rather than filling the driver's node first, so that the
        # reading (the first segment is I/O-bound at scale) is spread over the machines too
        task = ray.remote(num_cpus=self.cpus_per_task, max_retries=0, scheduling_strategy="SPREAD")(_call)
        fn_ref = ray.put(fn)  # shipped once, not with every item
        refs = [task.remote(fn_ref, item) for item in items]
        index = {ref: i for i, ref in enumerate(refs)}
        tries = [0] * len(items)
        stats = self.stats.setdefault(label, {"retries": 0, "nodes": {}})
        results: list[Any] = [None] * len(items)
        pending = list(refs)
        with progress_bar() as progress:
            bar = progress.add_task(f"{label} (ray)", total=len(items))
            while pending:
                # Everything that finished within the poll, not one ref per call: ray.wait walks the whole pending
                # list each time, so waiting for one at a time is quadratic in the number of tasks.
                done, pending = ray.wait(pending, num_returns=len(pending), timeout=POLL_S)
                for ref in done:
                    i = index.pop(ref)
                    try:
                        results[i], node = ray.get(ref)
                    except ray.exceptions.RayTaskError as err:
                        for other in pending:
                            ray.cancel(other)
                        raise _cause(err) from None
                    except ray.exceptions.RayError as err:  # the worker or node died: run it again
                        if isinstance(err, ray.exceptions.TaskCancelledError) or tries[i] >= self.max_retries:
                            for other in pending:
                                ray.cancel(other)
                            raise
                        tries[i] += 1
                        stats["retries"] += 1
                        again = task.remote(fn_ref, items[i])
                        index[again] = i
                        pending.append(again)
                        continue
                    stats["nodes"][node] = stats["nodes"].get(node, 0) + 1
                    progress.advance(bar)
        return results

    def _connect(self) -> Any:
        """The ``ray`` module, connected to the cluster (once per process)."""
        try:
            import ray
        except ImportError:
            raise OpencoderError("--executor ray needs Ray: pip install 'opencoder[ray]'") from None
        if not ray.is_initialized():
            _probe(self.address)
            try:
                context = ray.init(address=self.address, log_to_driver=False, logging_level="WARNING")
            except (ConnectionError, RuntimeError, ValueError) as err:
                raise OpencoderError(f"cannot connect to the Ray cluster at {self.address!r}: {err}") from None
            dashboard = getattr(context, "dashboard_url", None)
            if dashboard:
                url = dashboard if "://" in dashboard else f"http://{dashboard}"
                print(f"Ray dashboard: {url}", file=sys.stderr)
        return ray


def _probe(address: str) -> None:
    """Fail fast on an address nobody listens at (Ray itself retries for minutes); ``auto`` is Ray's to find."""
    if address == "auto":
        return
    rest = address.removeprefix("ray://")
    host, _, port = rest.rpartition(":") if ":" in rest else (rest, "", str(RAY_CLIENT_PORT))
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S).close()
    except (OSError, ValueError) as err:
        raise OpencoderError(f"cannot connect to the Ray cluster at {address!r}: {err}") from None


def _call(fn: Callable[[T], R], item: T) -> tuple[R, str]:
    """The remote task: Ray wraps this function (any callable, even a class, runs the same way); returns the
    result and the node that ran it (the first 12 hex digits of its id)."""
    import ray

    return fn(item), ray.get_runtime_context().get_node_id()[:12]


def _cause(err: Exception) -> BaseException:
    """The exception the task itself raised (an OpencoderError stays one), else Ray's own error."""
    cause = getattr(err, "cause", None)
    return cause if isinstance(cause, BaseException) else err
