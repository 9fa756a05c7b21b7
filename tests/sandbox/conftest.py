"""Sandboxes under test: bubblewrap where it works (as root, Python programs run in its zygotes; a second
sandbox starts a bubblewrap per program), and the fallback without it where it can drop to a fresh uid.

The fallback runs the system interpreter (/usr/bin/python3) because a run's fresh uid must be able to read the
interpreter, and root's own Python often lives in a 0700 home. Hostile programs never run in a fallback that
could not drop root: there a fork bomb or kill(-1) would reach the machine.
"""

from __future__ import annotations

import os
import time
import uuid

import psutil
import pytest

from opencoder.sandbox import Limits, Sandbox

LIMITS = Limits(timeout=2.0, memory_mb=1024, processes=32)
SYSTEM_PYTHON = "/usr/bin/python3"


def _sandboxes() -> list:
    params = []
    bwrap = Sandbox(LIMITS, mode="auto")  # as root, Python programs run in its zygotes
    params.append(pytest.param(bwrap if bwrap.isolated else None, id="bwrap"))
    per_program = Sandbox(LIMITS, mode="auto", zygotes=False)
    params.append(pytest.param(per_program if per_program.isolated else None, id="bwrap-per-program"))
    fallback = Sandbox(LIMITS, python=SYSTEM_PYTHON, mode="none") if os.path.exists(SYSTEM_PYTHON) else None
    params.append(pytest.param(fallback if fallback is not None and fallback.drop_uid else None, id="fallback"))
    return params


def unavailable(reason: str, needs_bwrap: bool) -> None:
    """Skip a test whose sandbox cannot run here; but under CI (CI=true), where .ci/run installs bubblewrap, a
    bubblewrap that does not start fails the test: skipping would hide that nothing was isolated."""
    if needs_bwrap and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}: the isolation tests cannot run")
    pytest.skip(reason)


@pytest.fixture(params=_sandboxes())
def sandbox(request) -> Sandbox:
    if request.param is None:
        name = request.node.callspec.id
        needs_bwrap = name.startswith("bwrap")
        unavailable(f"{name} sandbox not available here (needs bwrap / root and {SYSTEM_PYTHON})", needs_bwrap)
    return request.param


@pytest.fixture
def bwrap_sandbox() -> Sandbox:
    sandbox = Sandbox(LIMITS, mode="auto")
    if not sandbox.isolated:
        unavailable("bubblewrap does not work here", needs_bwrap=True)
    return sandbox


@pytest.fixture
def token() -> str:
    return f"opencoder-test-{uuid.uuid4().hex}"


def processes_with(token: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any(token in part for part in cmdline):
            found.append(proc)
    return found


def assert_no_process_left(token: str, wait_s: float = 5.0) -> None:
    """Killing a PID namespace takes the kernel a moment; allow it that, then insist."""
    deadline = time.monotonic() + wait_s
    while processes_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(token) == []
