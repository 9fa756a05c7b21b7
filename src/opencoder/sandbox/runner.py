"""Run one untrusted program (Python or another language, languages.py) contained, and say how it ended.

Each run gets a private folder, a fresh process (`python -I`, forked from a zygote where zygotes.py can run
them, or a compile step then the program), rlimits (limits.py), its own session and process group, a
wall-clock timeout, stdout/stderr written to files whose size RLIMIT_FSIZE bounds and of which only a bounded
head is read back. Inside bubblewrap (isolation.py) a PID
namespace takes every descendant down with the program; without it, the launcher (launcher.py) stays behind as
a child subreaper and kills every process the program started, even those in a new session.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
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
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from opencoder.errors import OpencoderError
from opencoder.sandbox import isolation, languages
from opencoder.sandbox.languages import Language
from opencoder.sandbox.limits import EPILOGUE, MARKER_BYTES, Limits, limit_values, prelude
from opencoder.sandbox.zygotes import ZygoteError, ZygotePool

log = logging.getLogger(__name__)

Isolation = Literal["auto", "bwrap", "none"]
_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # fmt: skip
_MARKER_TAIL = 4096  # the marker must be in the last bytes of stdout
_UID_BASE = 1 << 30  # fresh uids are drawn from [2^30, 2^31): far from real users and subuid ranges
_SIGNALS = {int(sig) for sig in signal.Signals}
_LAUNCHER_GRACE_S = 2.0  # time the launcher gets to kill a timed-out program's processes


_FILE_SIZE = "file size limit of {} MiB (output or files too large)"


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CRASHED = "crashed"
    UNAVAILABLE = "unavailable"  # the language's toolchain is not installed: nothing ran


@dataclass(frozen=True)
class Program:
    """Source to run, extra files placed beside it, and files to read back after it ends."""

    source: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    collect: tuple[str, ...] = ()
    limits: Limits | None = None
    language: str = "python"  # see languages.py


@dataclass
class Result:
    outcome: Outcome
    reason: str
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float  # the whole run, compile step included
    files: dict[str, bytes] = field(default_factory=dict)
    compile_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


def _others_can_enter(path: str) -> bool:
    """True if any user can reach and list path: every folder on the way and path itself are o+x, path o+r."""
    folders = [*isolation.ancestors(path), path]
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in folders) and bool(os.stat(path).st_mode & stat.S_IROTH)


class Sandbox:
    """Runs programs one at a time per call; thread-safe, so a pool of threads can share one."""

    def __init__(
        self, limits: Limits | None = None, python: str | None = None, mode: Isolation = "auto", zygotes: bool = True
    ):
        """zygotes: run Python programs through pre-started zygotes (zygote.py) where they can work (bubblewrap,
        started as root); False starts a bubblewrap and an interpreter per program."""
        self.limits = limits or Limits()
        self.python = python or sys.executable
        self.bwrap = None if mode == "none" else isolation.working_bwrap(self.python)
        if mode == "bwrap" and self.bwrap is None:
            raise OpencoderError("isolation 'bwrap' was asked for, but bubblewrap is missing or does not work here")
        self.as_root = os.geteuid() == 0
        # Root is exempt from RLIMIT_NPROC, so as root each run drops to its own uid: possible without
        # bubblewrap only where that uid can still read the interpreter (other languages' tools live in /usr).
        self.drop_uid = self.as_root and (
            self.bwrap is not None or all(_others_can_enter(p) for p in isolation_paths(self.python))
        )
        if self.bwrap is None:
            _warn_unisolated(self.as_root, self.drop_uid, self.python)
        use = zygotes and self.bwrap is not None and self.as_root
        self._zygotes = ZygotePool(self.bwrap, self.python, _ENV) if use else None

    def close(self) -> None:
        """End the zygotes now (they also end when the sandbox is garbage-collected or this process exits)."""
        if self._zygotes is not None:
            self._zygotes.close()

    @property
    def isolated(self) -> bool:
        return self.bwrap is not None

    def run(self, program: Program | str) -> Result:
        if isinstance(program, str):
            program = Program(program)
        lang = languages.language(program.language)
        if lang.name != "python" and (why := lang.unavailable()) is not None:
            return Result(Outcome.UNAVAILABLE, why, None, "", "", 0.0)
        limits = program.limits or self.limits
        drop = self.as_root and (self.drop_uid or lang.name != "python")
        uid = _UID_BASE + secrets.randbelow(_UID_BASE) if drop else None
        pool = self._zygotes if lang.name == "python" else None
        if pool is not None and pool.owner != os.getpid():
            pool = None  # a forked copy of this sandbox: the zygotes belong to the parent
        if pool is not None:
            try:
                return self._run_at(pool.run_folder(), program, lang, limits, uid, pool)
            except ZygoteError as error:
                log.warning("sandbox zygote failed (%s): each Python program now starts its own bubblewrap", error)
                self._zygotes = None
        return self._run_at(Path(tempfile.mkdtemp(prefix="opencoder-sandbox-")), program, lang, limits, uid, None)

    def _run_at(
        self, root: Path, program: Program, lang: Language, limits: Limits, uid: int | None, pool: ZygotePool | None
    ) -> Result:
        try:
            return self._run_in(root, program, lang, limits, uid, pool)
        except OSError as error:  # e.g. the disk is full: this program crashed, the run goes on
            return Result(Outcome.CRASHED, f"sandbox error: {error}", None, "", "", 0.0)
        finally:
            _remove_tree(root)

    def _run_in(
        self, root: Path, program: Program, lang: Language, limits: Limits, uid: int | None, pool: ZygotePool | None
    ) -> Result:
        work = root / "work"
        work.mkdir()
        source = prelude(limits, uid) + program.source + EPILOGUE if lang.name == "python" else program.source
        # Lone surrogates (garbage a model emitted) are kept as bytes: the interpreter then rejects the file.
        (work / lang.source).write_bytes(source.encode("utf-8", errors="surrogatepass"))
        for name, data in program.files.items():
            (work / name).write_bytes(data)
        os.chmod(root, 0o711)
        if uid is not None:
            for path in [work, *work.iterdir()]:
                os.chown(path, uid, uid)
        compile_seconds = 0.0
        if lang.name == "python":
            marker = secrets.token_hex(MARKER_BYTES // 2).encode()
            if pool is not None:
                step = _zygote_step(pool, root, limits, marker)
            else:
                step = self._step(work, lang, [self.python, "-I", "-B", lang.source], limits, None, marker)
            outcome, reason = _classify(step, limits, marker)
            stdout = _strip_marker(step.stdout, marker)
        else:
            if lang.compile is not None:
                compiled = self._step(work, lang, lang.argv(lang.compile, limits.compile_memory_mb),
                                      limits.compile_limits, uid, None)  # fmt: skip
                if compiled.timed_out or compiled.code != 0:
                    return _compile_failure(compiled, limits)
                compile_seconds = compiled.seconds
            step = self._step(work, lang, lang.argv(lang.run, limits.memory_mb), limits, uid, None)
            outcome, reason = _classify(step, limits, None)
            if outcome is Outcome.PASSED and any(mark in step.stderr for mark in lang.failure_marks):
                outcome, reason = Outcome.FAILED, _error_line(step.stderr) or "assertion failed"
            stdout = step.stdout
        files = {name: data for name in program.collect if (data := _read_file(work / name, limits)) is not None}
        seconds = compile_seconds + step.seconds
        return Result(outcome, reason, step.code, stdout, step.stderr, seconds, files, compile_seconds)

    def _step(
        self, work: Path, lang: Language, argv: list[str], limits: Limits, uid: int | None, marker: bytes | None
    ) -> _Step:
        """Run one command of a program (a compiler or the program) in its folder, within limits, and wait.

        A Python program applies its own limits in its prelude; any other command goes through the launcher,
        which does. Without bubblewrap the launcher also stays behind to kill every process the command left.
        """
        reap = self.bwrap is None
        if lang.name != "python" or reap:
            tool = shutil.which(argv[0], path="/usr/bin:/bin") or argv[0]
            rlimits = [] if lang.name == "python" else limit_values(limits, lang.memory)
            config = json.dumps({"rlimits": rlimits, "uid": uid if lang.name != "python" else None, "reap": reap})
            argv = [self.python, "-I", "-S", "-c", launcher_source(), config, tool, *argv[1:]]
        if self.bwrap is not None:
            binds = languages.host_binds(lang)
            argv = [*isolation.bwrap_argv(self.bwrap, self.python, str(work), self.as_root, binds), *argv]
        env = {**_ENV, **{k: v.format(heap_mb=max(limits.memory_mb // 2, 64)) for k, v in lang.env.items()}}
        read_end, write_end = os.pipe()
        if marker is not None:
            os.write(write_end, marker)
        os.close(write_end)
        root = work.parent
        out_path, err_path = root / "stdout", root / "stderr"
        start = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            try:
                proc = subprocess.Popen(
                    argv, stdin=read_end, stdout=out, stderr=err, cwd=work, env=env, start_new_session=True
                )
            except OSError as error:
                return _Step(None, False, 0.0, "", f"sandbox could not start: {error}", False)
            finally:
                os.close(read_end)
            timed_out = not _wait_exit(proc.pid, limits.timeout)
            if timed_out and reap:
                # The launcher kills the program and all it started, then exits; the group kill is the backstop.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
                _wait_exit(proc.pid, _LAUNCHER_GRACE_S)
            # The leader is now a zombie (not reaped), so its group id cannot be reused before this kill.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        seconds = time.monotonic() - start
        return _ended(root, proc.returncode, self.bwrap is not None, timed_out, seconds, limits, marker)


def _zygote_step(pool: ZygotePool, root: Path, limits: Limits, marker: bytes) -> _Step:
    """Run root/work/main.py in a zygote and wait (ZygoteError if the zygote, not the program, failed)."""
    start = time.monotonic()
    answer = pool.run(root, marker, limits.timeout)
    return _ended(root, answer.code, True, answer.timed_out, time.monotonic() - start, limits, marker)


def _ended(
    root: Path, code: int, in_bwrap: bool, timed_out: bool, seconds: float, limits: Limits, marker: bytes | None
) -> _Step:
    """A finished step, its output read back from root/stdout and root/stderr."""
    if in_bwrap and code > 128 and code - 128 in _SIGNALS:
        code = 128 - code  # bubblewrap's init reports a program killed by signal N as exit status 128 + N
    out_path = root / "stdout"
    finished = marker is not None and marker in _read_tail(out_path, _MARKER_TAIL)
    stdout = _read_head(out_path, limits.output_bytes)
    stderr = _read_head(root / "stderr", limits.output_bytes)
    return _Step(code, timed_out, seconds, stdout, stderr, finished)


@dataclass(frozen=True)
class _Step:
    code: int | None  # None: it could not start
    timed_out: bool
    seconds: float
    stdout: str
    stderr: str
    finished: bool  # a Python program printed its marker


def isolation_paths(python: str) -> list[str]:
    return [*isolation.interpreter_paths(python), os.path.dirname(os.path.realpath(python))]


def _warn_unisolated(as_root: bool, drop_uid: bool, python: str) -> None:
    if as_root and not drop_uid:
        log.warning(
            "sandbox without bubblewrap, started as root, and %s cannot be read by an unprivileged user: "
            "untrusted Python code RUNS AS ROOT and can read, change or delete any file on this machine; "
            "only rlimits bound it and the processes it leaves are killed after each run. Install bubblewrap, "
            "or use an interpreter outside root's home (e.g. /usr/bin/python3)",
            python,
        )
    else:
        log.warning(
            "sandbox without bubblewrap: rlimits, %s, every process a program leaves is killed; no network "
            "or file-system isolation",
            "a fresh unprivileged uid per run" if as_root else "runs as the current user",
        )


@cache
def launcher_source() -> str:
    return (resources.files("opencoder.sandbox") / "launcher.py").read_text(encoding="utf-8")


def _wait_exit(pid: int, timeout: float) -> bool:
    """Wait until pid exits without reaping it; False on timeout."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


def _compile_failure(step: _Step, limits: Limits) -> Result:
    """A compile that failed or never ended: a failure of the program, its diagnostic kept."""
    diagnostic = (step.stdout + step.stderr).strip()
    if step.timed_out:
        outcome, reason = Outcome.TIMED_OUT, f"compile timeout after {limits.compile_limits.timeout:g} s"
    elif step.code is None:
        outcome, reason = Outcome.CRASHED, step.stderr
    else:
        first = next((line for line in diagnostic.splitlines() if "error" in line.lower()), "")
        outcome, reason = Outcome.FAILED, f"compile error: {first[:400] or f'exit status {step.code}'}"
    return Result(outcome, reason, step.code, step.stdout, diagnostic, step.seconds, compile_seconds=step.seconds)


# How runtimes report running out of memory (Python, C++, JVM, Node, Mono, PHP, Bash).
_OUT_OF_MEMORY = ("MemoryError", "[Errno 12]", "std::bad_alloc", "OutOfMemoryError", "heap out of memory",
                  "OutOfMemoryException", "Allowed memory size", "Cannot allocate memory", "xmalloc",
                  "failed to allocate memory")  # fmt: skip


_ERROR_LINE = re.compile(r"Error|Exception|Assertion|assert|Fail")
_STACK_FRAME = re.compile(r"\s+at |#\d+ ")


def _classify(step: _Step, limits: Limits, marker: bytes | None) -> tuple[Outcome, str]:
    """How a run ended. A Python program passes only if it printed its marker; any other, if it exited 0."""
    code = step.code
    if code is None:
        return Outcome.CRASHED, step.stderr
    if step.timed_out:
        return Outcome.TIMED_OUT, f"wall-clock timeout after {limits.timeout:g} s"
    lines = [line for line in step.stderr.splitlines() if line.strip()]
    last = _last_line(step.stderr)
    if code < 0:
        sig = signal.Signals(-code)
        if sig is signal.SIGXCPU:
            return Outcome.TIMED_OUT, f"CPU time limit of {limits.cpu_seconds} s"
        if sig is signal.SIGXFSZ:
            return Outcome.CRASHED, _FILE_SIZE.format(limits.file_size_mb)
        if sig is not signal.SIGABRT or marker is not None:
            return Outcome.CRASHED, f"killed by {sig.name}"
    if code == 0:
        if marker is None or step.finished:
            return Outcome.PASSED, "passed"
        return Outcome.FAILED, "exited before the end of the program"
    if last.startswith("bwrap:"):
        return Outcome.CRASHED, f"sandbox: {last}"
    tail = last if marker is not None else "\n".join(lines[-20:])
    if any(sign in tail for sign in _OUT_OF_MEMORY):
        return Outcome.CRASHED, f"out of memory (limit {limits.memory_mb} MiB)"
    if "[Errno 27]" in last:  # Python ignores SIGXFSZ, so a write past RLIMIT_FSIZE raises instead
        return Outcome.CRASHED, _FILE_SIZE.format(limits.file_size_mb)
    # A failed assertion: Python's exception (its last line), C++'s abort (SIGABRT), a non-zero exit elsewhere.
    return Outcome.FAILED, (last if marker is not None else _error_line(step.stderr))[:500] or f"exit status {code}"


def _error_line(stderr: str) -> str:
    """The line that says what went wrong, which sits above a stack trace (Java, C#, PHP) or Node's version line:
    the last one that names an error, else the first that is not a stack frame."""
    message = [line.strip() for line in stderr.splitlines() if line.strip() and not _STACK_FRAME.match(line)]
    return next((x for x in reversed(message) if _ERROR_LINE.search(x)), message[0] if message else "")


def _last_line(text: str) -> str:
    return next((line for line in reversed(text.splitlines()) if line.strip()), "")


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
