"""The zygote: a trusted Python interpreter started once inside bubblewrap that forks one contained child per
Python program, so that a program costs three forks instead of a bubblewrap and an interpreter start.

It runs as ``python -I -B -c SOURCE CONFIG`` (SOURCE is this file's text; CONFIG is JSON ``{"keep": [path,
...]}``, the interpreter's folders under /tmp), inside a bubblewrap that binds the host's runs folder at
/runs, has no network and keeps CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID. It reads one request per line on
stdin, ``{"run": NAME, "marker": TEXT, "timeout": SECONDS}``, where /runs/NAME/work holds main.py (the
prelude of limits.py, the program, the epilogue), and answers one line on stdout: ``{"code": STATUS,
"timed_out": BOOL}`` or ``{"error": TEXT}``. At the end of its input (the sandbox closed it, or the sandbox's
process died) it kills the program it runs, if any, and exits; bubblewrap then ends everything left inside.

Per program, three processes:
- the keeper (forked by the zygote) enters new mount, PID and IPC namespaces, binds the run's folder at
  /sandbox, mounts a fresh /tmp (re-binding the interpreter where it lived under /tmp), hides /runs, enforces
  the wall-clock timeout and answers;
- the init (PID 1 of the new namespace) mounts a /proc that shows only that namespace, starts the program and
  exits with its status (128 + N for a signal, as bubblewrap's init does): the kernel then kills every process
  the program left;
- the program, in its own session, with the marker on stdin and stdout/stderr in files, runs main.py as
  ``python -I -B main.py`` would: the prelude sets the rlimits and drops to the run's own uid (which takes
  away every capability) before any untrusted line runs.
Programs run one after another in a zygote, so nothing of one (processes, /tmp, SysV IPC) outlives it into the
next.
"""

import builtins
import ctypes
import json
import os
import select
import signal
import sys
import types

# Imported once here, not per program: the prelude needs `resource`; most programs one of the others.
_PRELOADED = ("resource", "typing", "math", "re", "collections")
RUNS = "/runs"
WORKDIR = "/sandbox"
_NEWNS, _NEWPID, _NEWIPC = 0x00020000, 0x20000000, 0x08000000
_RDONLY, _NOSUID, _NODEV, _NOEXEC, _REMOUNT, _BIND, _REC, _PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None):
    def encode(text):
        return None if text is None else text.encode()

    _check(_libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def _bind(source, target, flags):
    _mount(source, target, None, _BIND | _REC)
    _mount(None, target, None, _BIND | _REMOUNT | flags)


def _fresh_tmp(keep):
    """A new empty /tmp; folders of the interpreter that lived under the old one are bound again."""
    held = [(path, os.open(path, os.O_PATH)) for path in keep]
    _mount("tmpfs", "/tmp", "tmpfs", _NOSUID | _NODEV, "mode=1777")
    for path, fd in held:
        os.makedirs(path, mode=0o755)
        _bind(f"/proc/self/fd/{fd}", path, _RDONLY | _NOSUID | _NODEV)
        os.close(fd)


def _exit_code(status):
    """A wait status as bubblewrap's init reports it: the exit code, or 128 + N for signal N."""
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _keeper(request, keep):
    """Set up the program's namespaces and files, run its init, enforce the timeout; return the answer."""
    _check(_libc.unshare(_NEWNS | _NEWPID | _NEWIPC), "unshare")
    _mount(None, "/", None, _REC | _PRIVATE)
    run = f"{RUNS}/{request['run']}"
    out = os.open(f"{run}/stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(f"{run}/stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _bind(f"{run}/work", WORKDIR, _NOSUID | _NODEV)
    _fresh_tmp(keep)
    _mount("tmpfs", RUNS, "tmpfs", _RDONLY | _NOSUID | _NODEV, "mode=0755")  # no program sees another's folder
    marker, write_end = os.pipe()
    os.write(write_end, request["marker"].encode())
    os.close(write_end)
    init = os.fork()
    if init == 0:
        _child(_init, out, err, marker)
    for fd in (out, err, marker):
        os.close(fd)
    pidfd = os.pidfd_open(init)
    finished = bool(select.select([pidfd], [], [], request["timeout"])[0])
    if not finished:
        os.kill(init, signal.SIGKILL)  # the namespace's init: every process in it dies with it
    _, status = os.waitpid(init, 0)
    return {"code": _exit_code(status), "timed_out": not finished}


def _child(body, *args):
    """Run body in a forked child; it never returns to the caller's code."""
    try:
        body(*args)
    except BaseException as error:
        os.write(2, f"sandbox zygote: {error!r}\n".encode())
    finally:
        os._exit(127)


def _init(out, err, marker):
    """PID 1 of the program's namespace: start the program, wait for it, exit with its status."""
    _check(_libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    _mount("proc", "/proc", "proc", _NOSUID | _NODEV | _NOEXEC)
    program = os.fork()
    if program == 0:
        _child(_program, out, err, marker)
    while True:
        pid, status = os.waitpid(-1, 0)  # also reaps the orphans the program leaves
        if pid == program:
            os._exit(_exit_code(status))


def _program(out, err, marker):
    """The program's own process: main.py run as `python -I -B main.py` would run it."""
    os.setsid()
    for fd, target in ((marker, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.chdir(WORKDIR)
    path = f"{WORKDIR}/main.py"
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __builtins__=builtins, __cached__=None)
    sys.modules["__main__"] = main
    sys.argv = ["main.py"]
    try:
        with open(path, "rb") as f:
            code = compile(f.read(), path, "exec", dont_inherit=True)
        exec(code, main.__dict__)
        status = 0
    except SystemExit as stop:
        status = _system_exit(stop)
    except BaseException as error:
        error = error.with_traceback(error.__traceback__.tb_next)  # without this function's frame
        sys.excepthook(type(error), error, error.__traceback__)
        status = 1
    os._exit(_finish(status))


def _system_exit(stop):
    """The interpreter's rule: None is 0, an int is itself, anything else is printed and is 1."""
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=sys.stderr)
    return 1


def _finish(status):
    """What the interpreter does at exit: wait for threads, run atexit functions, flush (120 if that fails)."""
    if "threading" in sys.modules:
        sys.modules["threading"]._shutdown()
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            status = status or 120
    return status


def _serve(request, keep):
    """Fork the keeper of one program; in the keeper, answer and exit."""
    keeper = os.fork()
    if keeper == 0:
        try:
            answer = _keeper(request, keep)
        except BaseException as error:
            answer = {"error": repr(error)}
        try:
            os.write(1, json.dumps(answer).encode() + b"\n")
        finally:
            os._exit(0)
    return keeper


def main():
    keep = json.loads(sys.argv[1])["keep"]
    for name in _PRELOADED:
        __import__(name)
    pending, keeper, pidfd = b"", None, None
    while True:
        if keeper is None and b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            keeper = _serve(json.loads(line), keep)
            pidfd = os.pidfd_open(keeper)
        ready = select.select([0] if pidfd is None else [0, pidfd], [], [])[0]
        if pidfd in ready:
            _, status = os.waitpid(keeper, 0)
            os.close(pidfd)
            keeper, pidfd = None, None
            if status != 0:
                os.write(1, json.dumps({"error": f"zygote keeper ended with status {status}"}).encode() + b"\n")
        if 0 in ready:
            chunk = os.read(0, 65536)
            if not chunk:  # the sandbox closed us, or its process died: take the running program down too
                if keeper is not None:
                    os.kill(keeper, signal.SIGKILL)
                os._exit(0)
            pending += chunk


if __name__ == "__main__":
    main()
