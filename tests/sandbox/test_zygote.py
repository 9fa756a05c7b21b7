"""Zygotes (as root with bubblewrap): programs forked from a pre-started interpreter must behave as programs
started on their own, and nothing of one program may reach the next one run by the same zygote."""

from __future__ import annotations

import logging
import os
import textwrap

import pytest

from opencoder.sandbox import Outcome, Program, Sandbox

from .conftest import LIMITS, unavailable

# Programs whose every observable (outcome, reason, exit status, stdout, last line of stderr) must be the same
# whether a zygote forks them or they start their own interpreter.
SAME_EITHER_WAY = [
    "print('hello')",
    "def f():\n    return 1\nassert f() == 2, 'wrong answer'\n",
    "def f(:\n",
    "import sys\nsys.exit(3)\n",
    "import sys\nsys.exit('a message')\n",
    "import sys\nsys.exit(0)\n",
    "import os\nos._exit(0)\n",
    "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "import sys\nprint('to stderr', file=sys.stderr)\nraise KeyError('k')\n",
    "import threading, time\n"
    "def late():\n    time.sleep(0.2)\n    print('thread done', flush=True)\n"
    "threading.Thread(target=late).start()\n",
    "import atexit\natexit.register(print, 'at exit')\n",
    "import os, sys\nprint(__name__, os.path.basename(__file__), sys.argv, os.getcwd(), sys.flags.isolated)\n",
    "import sys\nprint(sys.stdin.read() == '', sys.stdout.encoding, sys.dont_write_bytecode)\n",
    "import pickle\nclass A:\n    pass\nprint(type(pickle.loads(pickle.dumps(A()))).__name__)\n",
    "import math\nprint(math.factorial(20))\nraise SystemExit(None)\n",
]


@pytest.fixture
def zygote_sandbox() -> Sandbox:
    sandbox = Sandbox(LIMITS)
    if sandbox._zygotes is None:
        unavailable("zygotes need bubblewrap and root", needs_bwrap=sandbox.isolated or os.geteuid() == 0)
    yield sandbox
    sandbox.close()


def _observed(result) -> tuple:
    last = result.stderr.strip().splitlines()[-1:] if result.stderr.strip() else []
    return result.outcome, result.reason, result.exit_code, result.stdout, last


@pytest.mark.parametrize("source", SAME_EITHER_WAY)
def test_a_forked_program_behaves_as_one_started_alone(zygote_sandbox, source):
    alone = Sandbox(LIMITS, zygotes=False)
    assert _observed(zygote_sandbox.run(source)) == _observed(alone.run(source))


def test_nothing_of_a_program_reaches_the_next(zygote_sandbox):
    """Programs run one after another in the same zygote: files in /tmp, the runs folder and other
    namespaces' processes are not visible to the next program."""
    first = zygote_sandbox.run(
        "import subprocess, sys\n"
        "open('/tmp/left-behind', 'w').write('secret')\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'], start_new_session=True)\n"
    )
    assert first.outcome is Outcome.PASSED
    second = zygote_sandbox.run(
        textwrap.dedent("""
            import os
            print(os.path.exists('/tmp/left-behind'), os.listdir('/runs'))
            print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()) == [1, os.getpid()])
            print(os.listdir('.'))
        """)
    )
    assert second.stdout.split("\n")[:3] == ["False []", "True", "['main.py']"]
    assert len(zygote_sandbox._zygotes._idle) == 1  # both ran in the same zygote


def test_a_program_has_no_capability_left(zygote_sandbox):
    """The zygote keeps CAP_SYS_ADMIN to make namespaces; the program must lose every capability."""
    result = zygote_sandbox.run(
        "caps = dict(line.split(':\\t') for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)\n"
        "print(caps['CapEff'], caps['CapPrm'], caps['CapAmb'])\n"
        "import ctypes\nprint(ctypes.CDLL(None, use_errno=True).mount(b'tmpfs', b'/sandbox', b'tmpfs', 0, None))\n"
    )
    effective, permitted, ambient, mount = result.stdout.split()
    assert {effective, permitted, ambient} == {"0000000000000000"}
    assert mount == "-1"


def test_a_broken_zygote_falls_back_to_a_bubblewrap_per_program(zygote_sandbox, caplog):
    assert zygote_sandbox.run("print(1)").passed
    zygote = zygote_sandbox._zygotes._idle[0]
    os.write(zygote.proc.stdin.fileno(), b"not a request\n")  # the zygote dies behind the sandbox's back
    zygote.proc.wait(timeout=10)
    with caplog.at_level(logging.WARNING):
        result = zygote_sandbox.run("print(2)")
    assert result.outcome is Outcome.PASSED and result.stdout.strip() == "2"
    assert "zygote failed" in caplog.text
    assert zygote_sandbox._zygotes is None  # from now on, the per-program path
    assert zygote_sandbox.run(Program("print(open('in.txt').read())", files={"in.txt": b"3"})).stdout.strip() == "3"


def test_closing_the_sandbox_ends_its_zygotes(zygote_sandbox):
    assert zygote_sandbox.run("print(1)").passed
    pool = zygote_sandbox._zygotes
    process = pool._idle[0].proc
    zygote_sandbox.close()
    assert process.poll() is not None
    assert not os.path.exists(pool.runs)


def test_a_forked_copy_of_the_sandbox_leaves_the_parents_zygotes_alone(zygote_sandbox, tmp_path):
    assert zygote_sandbox.run("print(1)").passed
    zygote = zygote_sandbox._zygotes._idle[0]
    child = os.fork()
    if child == 0:  # runs through a bubblewrap of its own, then exits without closing the parent's zygotes
        result = zygote_sandbox.run("print(6 * 7)")
        (tmp_path / "child.txt").write_text(result.stdout)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert status == 0
    assert (tmp_path / "child.txt").read_text().strip() == "42"
    assert zygote.proc.poll() is None
    assert zygote_sandbox.run("print(2)").stdout.strip() == "2"
    assert zygote_sandbox._zygotes._idle == [zygote]  # the parent still uses the same zygote
