"""Run one untrusted Python program in a fresh interpreter, contained, and say how it ended.

Each run gets a private folder, a fresh `python -I`, rlimits (see limits.py), its own session and process
group, a wall-clock timeout, stdout/stderr written to files whose size RLIMIT_FSIZE bounds and of which only a
bounded head is read back. Inside bubblewrap (isolation.py) a PID namespace takes every descendant down with
the program; without it, the process group is killed and, when we are root, every process of the run's uid.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal

from opencoder.errors import OpencoderError
from opencoder.sandbox import isolation
from opencoder.sandbox.limits import EPILOGUE, MARKER_BYTES, Limits, prelude

log = logging.getLogger(__name__)

Isolation = Literal["auto", "bwrap", "none"]
_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # fmt: skip
_MARKER_TAIL = 4096  # the marker must be in the last bytes of stdout
_UID_BASE = 1 << 30  # fresh uids are drawn from [2^30, 2^31): far from real users and subuid ranges


_FILE_SIZE = "file size limit of {} MiB (output or files too large)"


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CRASHED = "crashed"


@dataclass(frozen=True)
class Program:
    """Source to run, extra files placed beside it, and files to read back after it ends."""

    source: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    collect: tuple[str, ...] = ()
    limits: Limits | None = None


@dataclass
class Result:
    outcome: Outcome
    reason: str
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


def _others_can_enter(path: str) -> bool:
    """True if any user can reach and list path: every folder on the way and path itself are o+x, path o+r."""
    folders = [*isolation.ancestors(path), path]
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in folders) and bool(os.stat(path).st_mode & stat.S_IROTH)


class Sandbox:
    """Runs programs one at a time per call; thread-safe, so a pool of threads can share one."""

    def __init__(self, limits: Limits | None = None, python: str | None = None, mode: Isolation = "auto"):
        self.limits = limits or Limits()
        self.python = python or sys.executable
        self.bwrap = None if mode == "none" else isolation.working_bwrap(self.python)
        if mode == "bwrap" and self.bwrap is None:
            raise OpencoderError("isolation 'bwrap' was asked for, but bubblewrap is missing or does not work here")
        self.as_root = os.geteuid() == 0
        # Root is exempt from RLIMIT_NPROC, so as root each run drops to its own uid: possible without
        # bubblewrap only where that uid can still read the interpreter.
        self.drop_uid = self.as_root and (
            self.bwrap is not None or all(_others_can_enter(p) for p in isolation_paths(self.python))
        )
        if self.bwrap is None:
            log.warning(
                "sandbox without bubblewrap: rlimits, a process group%s, no network or file-system isolation",
                " and a fresh uid per run" if self.drop_uid else "",
            )

    @property
    def isolated(self) -> bool:
        return self.bwrap is not None

    def run(self, program: Program | str) -> Result:
        if isinstance(program, str):
            program = Program(program)
        limits = program.limits or self.limits
        uid = _UID_BASE + secrets.randbelow(_UID_BASE) if self.drop_uid else None
        root = Path(tempfile.mkdtemp(prefix="opencoder-sandbox-"))
        try:
            return self._run_in(root, program, limits, uid)
        except OSError as error:  # e.g. the disk is full: this program crashed, the run goes on
            return Result(Outcome.CRASHED, f"sandbox error: {error}", None, "", "", 0.0)
        finally:
            _remove_tree(root)

    def _run_in(self, root: Path, program: Program, limits: Limits, uid: int | None) -> Result:
        work = root / "work"
        work.mkdir()
        source = prelude(limits, uid) + program.source + EPILOGUE
        # Lone surrogates (garbage a model emitted) are kept as bytes: the interpreter then rejects the file.
        (work / "main.py").write_bytes(source.encode("utf-8", errors="surrogatepass"))
        for name, data in program.files.items():
            (work / name).write_bytes(data)
        os.chmod(root, 0o711)
        if uid is not None:
            for path in [work, *work.iterdir()]:
                os.chown(path, uid, uid)
        if self.bwrap is not None:
            argv = isolation.bwrap_argv(self.bwrap, self.python, str(work), self.as_root)
            argv += [self.python, "-I", "-B", f"{isolation.WORKDIR}/main.py"]
        else:
            argv = [self.python, "-I", "-B", str(work / "main.py")]
        marker = secrets.token_hex(MARKER_BYTES // 2).encode()
        read_end, write_end = os.pipe()
        os.write(write_end, marker)
        os.close(write_end)
        out_path, err_path = root / "stdout", root / "stderr"
        start = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            try:
                proc = subprocess.Popen(
                    argv, stdin=read_end, stdout=out, stderr=err, cwd=work, env=_ENV, start_new_session=True
                )
            except OSError as error:
                return Result(Outcome.CRASHED, f"sandbox could not start: {error}", None, "", "", 0.0)
            finally:
                os.close(read_end)
            timed_out = not _wait_exit(proc.pid, limits.timeout)
            # The leader is now a zombie (not reaped), so its group id cannot be reused before this kill.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        seconds = time.monotonic() - start
        if uid is not None and self.bwrap is None:
            _kill_uid(uid)
        stdout = _read_head(out_path, limits.output_bytes)
        stderr = _read_head(err_path, limits.output_bytes)
        finished = marker in _read_tail(out_path, _MARKER_TAIL)
        outcome, reason = _classify(proc.returncode, timed_out, finished, stderr, limits)
        files = {name: data for name in program.collect if (data := _read_file(work / name, limits)) is not None}
        return Result(outcome, reason, proc.returncode, _strip_marker(stdout, marker), stderr, seconds, files)


def isolation_paths(python: str) -> list[str]:
    return [*isolation.interpreter_paths(python), os.path.dirname(os.path.realpath(python))]


def _wait_exit(pid: int, timeout: float) -> bool:
    """Wait until pid exits without reaping it; False on timeout."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


def _kill_uid(uid: int) -> None:
    """Kill every process of a run's uid (escapees): kill(-1) sent as that uid reaches just them."""
    kill = shutil.which("kill") or "/bin/kill"
    subprocess.run([kill, "-9", "-1"], user=uid, group=uid, extra_groups=[],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # fmt: skip


def _classify(code: int, timed_out: bool, finished: bool, stderr: str, limits: Limits) -> tuple[Outcome, str]:
    if timed_out:
        return Outcome.TIMED_OUT, f"wall-clock timeout after {limits.timeout:g} s"
    if code < 0:
        sig = signal.Signals(-code)
        if sig is signal.SIGXCPU:
            return Outcome.TIMED_OUT, f"CPU time limit of {limits.cpu_seconds} s"
        if sig is signal.SIGXFSZ:
            return Outcome.CRASHED, _FILE_SIZE.format(limits.file_size_mb)
        return Outcome.CRASHED, f"killed by {sig.name}"
    if code == 0:
        if finished:
            return Outcome.PASSED, "passed"
        return Outcome.FAILED, "exited before the end of the program"
    last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "")
    if last.startswith("bwrap:"):
        return Outcome.CRASHED, f"sandbox: {last}"
    if last.startswith("MemoryError") or "[Errno 12]" in last:
        return Outcome.CRASHED, f"out of memory (limit {limits.memory_mb} MiB)"
    if "[Errno 27]" in last:  # Python ignores SIGXFSZ, so a write past RLIMIT_FSIZE raises instead
        return Outcome.CRASHED, _FILE_SIZE.format(limits.file_size_mb)
    return Outcome.FAILED, last[:500] or f"exit status {code}"


def _read_head(path: Path, limit: int) -> str:
    with open(path, "rb") as f:
        return f.read(limit).decode("utf-8", errors="replace")


def _read_tail(path: Path, limit: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(max(0, os.fstat(f.fileno()).st_size - limit))
        return f.read()


def _strip_marker(stdout: str, marker: bytes) -> str:
    return stdout.replace("\n" + marker.decode() + "\n", "")


def _read_file(path: Path, limits: Limits) -> bytes | None:
    """A file the program left, read without following links; None if missing, odd or too large."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with open(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limits.file_size_mb * 1024 * 1024:
            return None
        return f.read()


def _remove_tree(root: Path) -> None:
    """Delete a run's folder even where the program took away its own permissions."""

    def make_writable(func, path, _exc):
        os.chmod(os.path.dirname(path), 0o700)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, 0o700)
        func(path)

    if root.exists():
        shutil.rmtree(root, onerror=make_writable)
