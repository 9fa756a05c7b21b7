"""Bubblewrap isolation: the command line that wraps one program, and a one-time check that it works here.

Inside bubblewrap a program sees a read-only system (/usr and the Python installation it runs), a private
/tmp, its own working folder as /sandbox, no network, its own PID namespace (so every process it starts dies
with it) and nothing of the user's files. Started as root, bubblewrap needs no user namespace and the
program's prelude drops to a fresh uid, so RLIMIT_NPROC really counts (root is exempt from it); started as a
normal user, bubblewrap maps the program to uid 65534 inside a user namespace, where the kernel counts
processes per namespace.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

WORKDIR = "/sandbox"
ZYGOTE_RUNS = "/runs"  # where a zygote sees the host's folder of runs
_SETUID_CAPS = ("CAP_SETUID", "CAP_SETGID")
# Host files a dynamically linked interpreter may read; each is bound only if it exists.
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf")
_CHECK_TIMEOUT_S = 30


def ancestors(path: str) -> list[str]:
    """Parent folders of an absolute path, outermost first, without '/'."""
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def interpreter_paths(python: str) -> list[str]:
    """Folders a Python interpreter needs to start and import its packages (outside /usr, which is always bound)."""
    real = os.path.realpath(python)
    if real == os.path.realpath(sys.executable):
        roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    else:
        roots = {str(Path(real).parent.parent)}
    roots.add(str(Path(os.path.abspath(python)).parent.parent))  # a virtual environment's own folder
    kept = sorted(r for r in roots if not r.startswith("/usr"))
    # Keep only outermost folders: binding a folder and then its child would hide the child's bind.
    return [r for r in kept if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in kept)]


def bwrap_argv(bwrap: str, python: str, workdir: str, as_root: bool, binds: Sequence[str] = ()) -> list[str]:
    """The bubblewrap prefix that runs `python` with `workdir` mounted read-write at /sandbox (and `binds`,
    host paths a toolchain reads, read-only at their place)."""
    return _argv(bwrap, python, workdir, WORKDIR, binds, as_root, _SETUID_CAPS, die_with_parent=True)


def zygote_argv(bwrap: str, python: str, runs: str) -> list[str]:
    """The bubblewrap prefix of a zygote (zygote.py; as root only): the host folder `runs` at /runs, an empty
    /sandbox to bind each program's folder on, and CAP_SYS_ADMIN to make each program's namespaces. Without
    --die-with-parent, which follows the thread that started it: a zygote ends at the end of its input."""
    argv = _argv(bwrap, python, runs, ZYGOTE_RUNS, (), True, (*_SETUID_CAPS, "CAP_SYS_ADMIN"), die_with_parent=False)
    return [*argv[:-1], "--dir", WORKDIR, "--"]


def _argv(
    bwrap: str,
    python: str,
    workdir: str,
    at: str,
    binds: Sequence[str],
    as_root: bool,
    caps: Sequence[str],
    die_with_parent: bool,
) -> list[str]:
    argv = [bwrap, "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        host = f"/{name}"
        if os.path.islink(host):
            argv += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            argv += ["--ro-bind", host, host]
    # bwrap would create /etc for the binds as 0700: a program dropped to its own uid could not reach them.
    argv += ["--perms", "0755", "--dir", "/etc"]
    for path in (*_ETC_FILES, *binds):
        argv += ["--ro-bind-try", path, path]
    # The private /tmp comes before the interpreter's binds: mounted after them, it would hide an interpreter
    # (say a virtual environment in a CI clone) that lives under /tmp.
    argv += ["--perms", "01777", "--tmpfs", "/tmp"]
    made: set[str] = {"/tmp"}
    for root in interpreter_paths(python):
        for parent in ancestors(root):
            if parent not in made:
                made.add(parent)
                argv += ["--perms", "0755", "--dir", parent]
        argv += ["--ro-bind", root, root]
    argv += [
        "--bind", workdir, at,
        "--chdir", at,
        "--proc", "/proc",
        "--dev", "/dev",
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--hostname", "sandbox",
        "--new-session",
    ]  # fmt: skip
    if die_with_parent:
        argv.append("--die-with-parent")
    if as_root:
        # Started as root, bubblewrap would keep every capability: only what the prelude needs to drop to the
        # run's uid (and a zygote to make namespaces); the program loses them all when it drops.
        argv += ["--cap-drop", "ALL"]
        for cap in caps:
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
    return [*argv, "--"]


_lock = threading.Lock()


@cache
def _working_bwrap(python: str) -> str | None:
    """The bwrap binary if a trivial program runs inside it with our options, else None (after one warning)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        log.warning("bubblewrap (bwrap) not found: sandboxed programs run without namespace isolation")
        return None
    import tempfile

    with tempfile.TemporaryDirectory(prefix="opencoder-bwrap-check-") as workdir:
        argv = [*bwrap_argv(bwrap, python, workdir, os.geteuid() == 0), python, "-I", "-c", "print('ok')"]
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=_CHECK_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as err:
            log.warning("bubblewrap does not work here (%s): running without namespace isolation", err)
            return None
    if out.returncode != 0 or out.stdout.strip() != "ok":
        reason = (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1]
        log.warning("bubblewrap does not work here (%s): running without namespace isolation", reason)
        return None
    return bwrap


def working_bwrap(python: str) -> str | None:
    """Thread-safe, checked once per interpreter path and process."""
    with _lock:
        return _working_bwrap(python)
