"""`--isolation none` where the run cannot drop to a fresh uid (as root, an interpreter in root's 0700 home): the
warning must say plainly that code runs as root, and every process a program starts must still end with it.

The uid check is forced to fail, so that these tests take that path whatever interpreter runs them. The
programs here are only careless (they leave sleepers behind), never hostile: without a fresh uid nothing would
bound a fork bomb.
"""

from __future__ import annotations

import logging
import os
import textwrap

import pytest

from opencoder.sandbox import Outcome, Sandbox, runner

from .conftest import LIMITS, assert_no_process_left, unavailable


@pytest.fixture
def undropped(monkeypatch, caplog) -> Sandbox:
    monkeypatch.setattr(runner, "_others_can_enter", lambda _path: False)
    with caplog.at_level(logging.WARNING):
        sandbox = Sandbox(LIMITS, mode="none")
    assert not sandbox.drop_uid and not sandbox.isolated
    return sandbox


@pytest.mark.skipif(os.geteuid() != 0, reason="the root-only warning")
def test_the_warning_says_that_code_runs_as_root(undropped, caplog):
    warnings = " ".join(r.getMessage() for r in caplog.get_records("setup"))
    assert "RUNS AS ROOT" in warnings
    assert "any file" in warnings
    assert undropped.run("import os\nprint(os.geteuid())").stdout.strip() == "0"


def _leave_sleepers(token: str, then: str) -> str:
    """A program that starts sleepers in its own group, in a new session, and as a daemon (double fork)."""
    sleeper = f"import time; time.sleep(60)  # {token}"
    return textwrap.dedent(f"""
        import os, subprocess, sys
        for session in (False, True):
            subprocess.Popen([sys.executable, "-c", {sleeper!r}], start_new_session=session)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", {sleeper!r}])
            os._exit(0)
        os.wait()
        {then}
    """)


@pytest.mark.parametrize("then", ["pass", "while True: pass"], ids=["ends", "times-out"])
def test_every_process_a_program_started_ends_with_it(undropped, token, then):
    result = undropped.run(_leave_sleepers(token, then))
    assert result.outcome is (Outcome.PASSED if then == "pass" else Outcome.TIMED_OUT)
    assert_no_process_left(token)


def test_an_unavailable_bubblewrap_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        unavailable("bubblewrap does not work here", needs_bwrap=True)
    with pytest.raises(pytest.skip.Exception):
        unavailable("no fallback here", needs_bwrap=False)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        unavailable("bubblewrap does not work here", needs_bwrap=True)
