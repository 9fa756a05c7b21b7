"""The trusted launcher that stands between the sandbox and a program: it sets the program's rlimits, drops it
to the run's uid and, where no PID namespace will take every descendant down (no bubblewrap), stays behind as
the program's child subreaper and kills whatever the program left when it ends.

It runs as ``python -I -S -c SOURCE CONFIG ARGV...`` (SOURCE is this file's text, so nothing needs to be
mounted to run it), imports only the standard library, and is never imported by the package itself except to
read its source. CONFIG is JSON: ``{"rlimits": [[name, value], ...], "uid": int | null, "reap": bool}``.

As a subreaper, every process the program starts, even one in a new session whose parent died, is re-parented
to the launcher; so after the program ends, or when the launcher gets SIGTERM (the sandbox's timeout), it kills
its descendants until none is left, then exits with the program's status (or dies of the program's signal).
"""

import contextlib
import json
import os
import resource
import signal
import sys
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option, value):
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl failed")


def _become(config, argv):
    """In the program's process: limits, uid, then exec. Never returns."""
    # Python ignores these two, and an ignored signal stays ignored across exec: a program past the file-size
    # limit would then see write errors it may not check, instead of being killed.
    for sig in (signal.SIGXFSZ, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    for name, value in config["rlimits"]:
        resource.setrlimit(getattr(resource, name), (value, value))
    uid = config["uid"]
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if config["reap"]:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # set after the uid change, which clears it
    os.execv(argv[0], argv)


def _children():
    """Pids whose parent is this process (a /proc scan: /proc/PID/task/*/children needs a kernel option)."""
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == me:
            found.append(int(name))
    return found


def _kill_descendants():
    """SIGKILL children until none is left; each kill re-parents the victim's children here."""
    while True:
        for pid in _children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.005)


def _stop(_signum, _frame):
    """SIGTERM (the sandbox's timeout): kill the program's group and every descendant, then exit."""
    if _program:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(_program[0], signal.SIGKILL)
    _kill_descendants()
    os._exit(128 + signal.SIGTERM)


_program = []


def _reap(child):
    """Wait for the program, then take every descendant down; return its wait status."""
    status = None
    while status is None:
        pid, wait_status = os.waitpid(-1, 0)
        if pid == child:
            status = wait_status
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _kill_descendants()
    return status


def main():
    config = json.loads(sys.argv[1])
    argv = sys.argv[2:]
    if not config["reap"]:
        _become(config, argv)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGTERM, _stop)  # before the fork: a timeout may come at once
    child = os.fork()
    if child == 0:
        try:
            os.setsid()
            _become(config, argv)
        except BaseException as error:
            os.write(2, f"launcher: cannot start {argv[0]}: {error}\n".encode())
        finally:
            os._exit(127)
    _program.append(child)
    status = _reap(child)
    if os.WIFSIGNALED(status):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
