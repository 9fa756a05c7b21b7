"""The host's side of the zygotes (zygote.py): start them inside bubblewrap ahead of need, hand each one program
at a time, and keep the idle ones for the next program.

A sandbox started as root with working bubblewrap runs Python programs this way: the interpreter and the
bubblewrap start once per zygote instead of once per program. A zygote that answers wrongly or not at all is
killed (with everything in its namespaces) and replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from opencoder.sandbox import isolation

_GRACE_S = 5.0  # how long past a program's timeout the host waits for its zygote's answer


class ZygoteError(RuntimeError):
    """A zygote failed (not the program in it)."""


@dataclass(frozen=True)
class Answer:
    code: int  # as bubblewrap reports it: the exit code, or 128 + N for signal N
    timed_out: bool


@cache
def zygote_source() -> str:
    return (resources.files("opencoder.sandbox") / "zygote.py").read_text(encoding="utf-8")


class Zygote:
    """One zygote process: runs one program at a time (not thread-safe; the pool hands it to one thread)."""

    def __init__(self, argv: list[str], env: Mapping[str, str]):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(env),
            start_new_session=True, bufsize=0,
        )  # fmt: skip
        self._pending = b""

    def run(self, name: str, marker: bytes, timeout: float) -> Answer:
        """Run the program in runs/NAME/work and wait for it (ZygoteError if the zygote fails)."""
        request = {"run": name, "marker": marker.decode(), "timeout": timeout}
        try:
            os.write(self.proc.stdin.fileno(), json.dumps(request).encode() + b"\n")
        except OSError as error:
            raise ZygoteError(f"zygote gone: {error}") from error
        line = self._read_line(timeout + _GRACE_S)
        try:
            answer = json.loads(line)
            if "error" not in answer:
                return Answer(int(answer["code"]), bool(answer["timed_out"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ZygoteError(f"zygote answered {line[:200]!r}") from error
        raise ZygoteError(answer["error"])

    def _read_line(self, timeout: float) -> bytes:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._pending:
            if not select.select([fd], [], [], timeout)[0]:
                raise ZygoteError(f"zygote gave no answer within {timeout:g} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ZygoteError(f"zygote ended (status {self.proc.poll()})")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line

    def close(self) -> None:
        """End the zygote: at the end of its input it kills its program and exits, and bubblewrap then ends
        everything in its namespaces."""
        self.proc.stdin.close()
        try:
            self.proc.wait(_GRACE_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc.stdout.close()


class ZygotePool:
    """Idle zygotes of one sandbox, and the host folder whose subfolders are their programs' runs."""

    def __init__(self, bwrap: str, python: str, env: Mapping[str, str]):
        self.runs = tempfile.mkdtemp(prefix="opencoder-zygote-")
        os.chmod(self.runs, 0o711)
        keep = [p for p in isolation.interpreter_paths(python) if p == "/tmp" or p.startswith("/tmp/")]
        self._argv = [*isolation.zygote_argv(bwrap, python, self.runs), python, "-I", "-B", "-c", zygote_source(),
                      json.dumps({"keep": keep})]  # fmt: skip
        self._env = env
        self._idle: list[Zygote] = []
        self._lock = threading.Lock()
        self.owner = os.getpid()  # a forked copy of the sandbox must not talk to (or close) these zygotes
        self._finalizer = weakref.finalize(self, _close_all, self._idle, self._lock, self.runs, self.owner)

    def run_folder(self) -> Path:
        """A new private folder for one program's run, under the folder the zygotes see."""
        return Path(tempfile.mkdtemp(prefix="run-", dir=self.runs))

    def run(self, folder: Path, marker: bytes, timeout: float) -> Answer:
        """Run the program in folder/work in an idle zygote (a new one if none is idle)."""
        with self._lock:
            zygote = self._idle.pop() if self._idle else None
        if zygote is None:
            zygote = Zygote(self._argv, self._env)
        try:
            answer = zygote.run(folder.name, marker, timeout)
        except ZygoteError:
            zygote.close()
            raise
        with self._lock:
            self._idle.append(zygote)
        return answer

    def close(self) -> None:
        self._finalizer()


def _close_all(idle: list[Zygote], lock: threading.Lock, runs: str, owner: int) -> None:
    if os.getpid() != owner:
        return
    with lock:
        zygotes, idle[:] = list(idle), []
    for zygote in zygotes:
        zygote.close()
    shutil.rmtree(runs, ignore_errors=True)
