"""Ordinary programs, files in and out, the pool, and the fallback when bubblewrap is broken."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from opencoder.errors import OpencoderError
from opencoder.sandbox import Limits, Outcome, Program, Sandbox, isolation, run_many


def test_passing_and_failing_programs(sandbox):
    assert sandbox.run("x = 1 + 1\nassert x == 2\nprint('ok')").outcome is Outcome.PASSED
    failed = sandbox.run("def f():\n    return 1\nassert f() == 2, 'wrong answer'\n")
    assert failed.outcome is Outcome.FAILED
    assert failed.reason == "AssertionError: wrong answer"
    syntax = sandbox.run("def f(:\n")
    assert syntax.outcome is Outcome.FAILED
    assert "SyntaxError" in syntax.reason


def test_files_in_and_out_and_a_private_folder(sandbox):
    program = Program(
        "import os\ndata = open('in.txt').read()\nopen('out.txt', 'w').write(data.upper())\n"
        "print(sorted(os.listdir('.')))\n",
        files={"in.txt": b"hello"},
        collect=("out.txt", "missing.txt"),
    )
    result = sandbox.run(program)
    assert result.outcome is Outcome.PASSED
    assert result.files == {"out.txt": b"HELLO"}
    assert result.stdout.strip() == "['in.txt', 'main.py', 'out.txt']"


def test_a_link_left_to_a_host_file_is_not_read_back(sandbox):
    program = Program("import os\nos.symlink('/etc/hostname', 'out.txt')\n", collect=("out.txt",))
    result = sandbox.run(program)
    assert result.outcome is Outcome.PASSED
    assert result.files == {}


def test_runs_as_an_unprivileged_user_when_started_as_root(sandbox):
    result = sandbox.run("import os\nprint(os.getuid(), os.geteuid())")
    uid, euid = map(int, result.stdout.split())
    if os.geteuid() == 0:
        assert uid == euid and uid >= 1 << 30
    else:
        assert uid != 0


def test_bubblewrap_hides_the_host(bwrap_sandbox):
    result = bwrap_sandbox.run("import os, socket\nprint(sorted(os.listdir('/')), socket.gethostname())")
    listing, host = result.stdout.rsplit(" ", 1)
    assert host.strip() == "sandbox"
    for hidden in ("home", "opt", "var", "srv"):
        assert f"'{hidden}'" not in listing


def test_pool_runs_everything_in_order(sandbox):
    sources = [f"print({i} * {i})" for i in range(12)] + ["raise ValueError('boom')"]
    seen = []
    results = run_many(sandbox, sources, workers=3, on_result=lambda i, r: seen.append(i))
    assert [r.stdout.strip() for r in results[:12]] == [str(i * i) for i in range(12)]
    assert results[12].outcome is Outcome.FAILED and results[12].reason == "ValueError: boom"
    assert sorted(seen) == list(range(13))


def test_a_broken_bubblewrap_falls_back_with_a_warning(tmp_path, monkeypatch, caplog):
    """As where user namespaces are forbidden: bwrap exists but cannot set up the sandbox."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    isolation._working_bwrap.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            sandbox = Sandbox(Limits(timeout=5))
        assert not sandbox.isolated
        assert "No permissions to create new namespace" in caplog.text
        assert sandbox.run("print('ran anyway')").stdout.strip() == "ran anyway"
        with pytest.raises(OpencoderError, match="bubblewrap"):
            Sandbox(mode="bwrap")
    finally:
        isolation._working_bwrap.cache_clear()


def test_an_interpreter_under_tmp_stays_visible_behind_the_private_tmp():
    # A CI clone's virtual environment may live under /tmp; the private /tmp must be mounted before its bind.
    argv = isolation.bwrap_argv("bwrap", "/tmp/clone/.venv/bin/python", "/tmp/work", as_root=True)
    tmpfs_at = argv.index("--tmpfs")
    venv_bind_at = argv.index("/tmp/clone/.venv")
    assert argv[tmpfs_at + 1] == "/tmp"
    assert tmpfs_at < venv_bind_at
    assert argv[venv_bind_at - 1] == "--ro-bind"
