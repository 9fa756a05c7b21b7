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
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one program may use. Memory is address space, so it also bounds threads' stacks and mmaps."""

    timeout: float = 3.0  # wall-clock seconds
    memory_mb: int = 2048
    file_size_mb: int = 16  # also bounds stdout/stderr, which go to files
    open_files: int = 64
    processes: int = 64  # threads count too
    output_bytes: int = 64 * 1024  # how much of stdout/stderr is read back

    @property
    def cpu_seconds(self) -> int:
        return math.ceil(self.timeout) + 1


MARKER_BYTES = 32


def prelude(limits: Limits, uid: int | None) -> str:
    """Python source that must open the program: marker, rlimits, privilege drop."""
    mb = 1024 * 1024
    rlimits = [
        ("RLIMIT_AS", limits.memory_mb * mb),
        ("RLIMIT_CPU", limits.cpu_seconds),
        ("RLIMIT_FSIZE", limits.file_size_mb * mb),
        ("RLIMIT_NOFILE", limits.open_files),
        ("RLIMIT_NPROC", limits.processes),
        ("RLIMIT_CORE", 0),
    ]
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
