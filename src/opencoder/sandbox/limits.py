"""Resource limits of one sandboxed program, and the trusted prelude that applies them inside the fresh
interpreter.

The prelude runs before any untrusted line: it reads the run's secret marker from stdin (a pipe, so the
program cannot read it again), sets the rlimits with soft = hard (so they cannot be raised back) and, when the
interpreter started as root, drops to the run's own unprivileged uid. A run counts as finished only when the
epilogue prints that marker, so a program that calls ``sys.exit(0)`` or ``os._exit(0)`` half-way does not
pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal


@dataclass(frozen=True)
class Limits:
    """What one program may use. Memory is address space, so it also bounds threads' stacks and mmaps."""

    timeout: float = 3.0  # wall-clock seconds
    memory_mb: int = 2048
    file_size_mb: int = 16  # also bounds stdout/stderr, which go to files
    open_files: int = 64
    processes: int = 64  # threads count too
    output_bytes: int = 64 * 1024  # how much of stdout/stderr is read back
    compile_timeout: float = 30.0  # a compile step (C++, Java, C#, TypeScript) has its own limits
    compile_memory_mb: int = 2048

    @property
    def cpu_seconds(self) -> int:
        return math.ceil(self.timeout) + 1

    @property
    def compile_limits(self) -> Limits:
        """The compiler's limits: its own time and memory, room for its diagnostics and helper processes."""
        return replace(self, timeout=self.compile_timeout, memory_mb=self.compile_memory_mb,
                       file_size_mb=max(self.file_size_mb, 64), processes=max(self.processes, 64))  # fmt: skip


MARKER_BYTES = 32


def limit_values(limits: Limits, memory: Literal["as", "data"] = "as") -> list[tuple[str, int]]:
    """The rlimits (name, value) of a run. memory="data" bounds private writable memory instead of address
    space, for runtimes that reserve far more address space than they use (languages.py)."""
    mb = 1024 * 1024
    return [
        ("RLIMIT_AS" if memory == "as" else "RLIMIT_DATA", limits.memory_mb * mb),
        ("RLIMIT_CPU", limits.cpu_seconds),
        ("RLIMIT_FSIZE", limits.file_size_mb * mb),
        ("RLIMIT_NOFILE", limits.open_files),
        ("RLIMIT_NPROC", limits.processes),
        ("RLIMIT_CORE", 0),
    ]


def prelude(limits: Limits, uid: int | None) -> str:
    """Python source that must open the program: marker, rlimits, privilege drop."""
    rlimits = limit_values(limits)
    lines = [
        "def _sandbox_setup():",
        "    import os, resource",
        f"    marker = os.read(0, {MARKER_BYTES})",
        f"    for name, value in {rlimits!r}:",
        "        resource.setrlimit(getattr(resource, name), (value, value))",
    ]
    if uid is not None:
        lines += [
            "    if os.geteuid() == 0:",
            "        os.setgroups([])",
            f"        os.setgid({uid})",
            f"        os.setuid({uid})",
        ]
    lines += [
        "    def done(write=os.write, sys=__import__('sys')):",
        "        try:",
        "            sys.stdout.flush()",
        "        finally:",
        "            write(1, b'\\n' + marker + b'\\n')",
        "    return done",
        "_sandbox_done = _sandbox_setup()",
        "del _sandbox_setup",
        "",
    ]
    return "\n".join(lines)


EPILOGUE = "\n_sandbox_done()\n"
