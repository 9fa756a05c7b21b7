"""Hostile programs: each must be contained, leave no process behind and leave the host as it was."""

from __future__ import annotations

import os
import socket
import textwrap
from pathlib import Path

import pytest

from opencoder.sandbox import Outcome, Sandbox

from .conftest import LIMITS, assert_no_process_left


def _run(sandbox: Sandbox, source: str):
    return sandbox.run(textwrap.dedent(source))


def _spawn_with_token(token: str, body: str) -> str:
    """Source that replaces the program by one whose command line carries token, so its descendants can be found."""
    return f"""
    import os, sys
    os.execv(sys.executable, [sys.executable, "-c", {body!r} + "\\n# {token}"])
    """


def test_infinite_loop_times_out(sandbox):
    result = _run(sandbox, "while True:\n    pass\n")
    assert result.outcome is Outcome.TIMED_OUT
    # The wall-clock kill ends it, within about a second of its limit (the CPU limit alone would take longer).
    assert "wall-clock" in result.reason
    assert result.seconds < LIMITS.timeout + 1


@pytest.mark.parametrize(
    "sleep",
    ["import time; time.sleep(60)", "import ctypes; ctypes.CDLL(None).sleep(60)"],
    ids=["time", "ctypes"],
)
def test_c_level_sleep_times_out(sandbox, sleep, token):
    result = _run(sandbox, _spawn_with_token(token, sleep))
    assert result.outcome is Outcome.TIMED_OUT
    assert "wall-clock" in result.reason
    assert result.seconds < LIMITS.timeout + 1
    assert_no_process_left(token)


def test_fork_bomb_is_bounded_and_cleaned_up(sandbox, token):
    bomb = textwrap.dedent("""
        import os, time
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.01)
    """)
    result = _run(sandbox, _spawn_with_token(token, bomb))
    assert result.outcome is Outcome.TIMED_OUT
    assert_no_process_left(token)


@pytest.mark.parametrize(
    "bomb",
    [
        "x = ' ' * (1 << 40)",
        "import mmap\nmaps = []\nwhile True:\n    maps.append(mmap.mmap(-1, 64 << 20))\n",
    ],
    ids=["one-block", "growing"],
)
def test_memory_bomb_crashes_with_reason(sandbox, bomb):
    result = _run(sandbox, bomb)
    assert result.outcome is Outcome.CRASHED
    assert "out of memory" in result.reason


def test_huge_output_is_cut_and_bounded(sandbox):
    result = _run(sandbox, "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    assert result.outcome is Outcome.CRASHED
    assert "file size limit" in result.reason
    assert len(result.stdout) <= LIMITS.output_bytes


def test_writing_and_deleting_outside_its_folder_fails(sandbox, tmp_path):
    victim_dir = tmp_path / "victim"
    victim_dir.mkdir()
    victim = victim_dir / "keep.txt"
    victim.write_text("precious")
    os.chmod(tmp_path, 0o755)
    result = _run(
        sandbox,
        f"""
        import os, shutil
        for attempt in (lambda: os.makedirs({str(victim_dir)!r}, exist_ok=True),
                        lambda: open({str(victim_dir / "evil.txt")!r}, "w").write("owned"),
                        lambda: open({str(victim)!r}, "w").write("owned"),
                        lambda: os.remove({str(victim)!r}),
                        lambda: shutil.rmtree({str(tmp_path)!r})):
            try:
                attempt()
            except OSError:
                pass
        open("inside.txt", "w").write("fine")
        """,
    )
    assert result.outcome is Outcome.PASSED  # its own folder is writable
    assert victim.read_text() == "precious"
    assert not (victim_dir / "evil.txt").exists()


def test_reading_the_users_home_fails(sandbox, token):
    secret = Path.home() / f".{token}"
    secret.write_text("secret")
    os.chmod(secret, 0o600)
    try:
        result = _run(sandbox, f"print(open({str(secret)!r}).read())")
    finally:
        secret.unlink()
    assert result.outcome is Outcome.FAILED
    assert "secret" not in result.stdout
    assert "Error" in result.reason


def test_network_connection_fails(bwrap_sandbox):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.5)
        port = server.getsockname()[1]
        result = _run(bwrap_sandbox, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n")
        with pytest.raises(TimeoutError):
            server.accept()
    assert result.outcome is Outcome.FAILED
    assert "ConnectionRefusedError" in result.reason or "OSError" in result.reason


def test_grandchildren_outliving_the_program_are_killed(sandbox, token):
    result = _run(
        sandbox,
        f"""
        import subprocess, sys
        for session in (False, True):
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)  # {token}"],
                             start_new_session=session)
        """,
    )
    assert result.outcome is Outcome.PASSED
    assert_no_process_left(token)


def test_killing_its_parent_and_everything_it_can_reach(sandbox, token):
    """kill(-1) reaches every process the sender may signal: only the run's own, never the host's."""
    result = _run(sandbox, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)\n")
    assert result.outcome in (Outcome.CRASHED, Outcome.FAILED, Outcome.PASSED)
    assert os.getppid() > 1  # this test process and its parent are alive
    assert sandbox.run("print('still works')").stdout.strip() == "still works"


def test_early_exit_with_status_zero_does_not_pass(sandbox):
    for source in ("import sys\nsys.exit(0)\nassert False\n", "import os\nos._exit(0)\n"):
        result = _run(sandbox, source)
        assert result.outcome is Outcome.FAILED
        assert "before the end" in result.reason
