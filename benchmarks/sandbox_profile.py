"""Where a sandboxed Python program's time goes: each layer of a run timed on its own, in the same run, wall
clock and CPU (this process plus its reaped children) per program, on a trivial program.

    python benchmarks/sandbox_profile.py [--n 100]

Layers: the run folder (mkdtemp, writing main.py, chown, rmtree), a bare `python -I -B` start, bubblewrap alone
(`/bin/true`), bubblewrap plus the interpreter, a whole per-program run (`Sandbox(zygotes=False)`), and a whole
run through a zygote (`Sandbox()`, whose forks are counted in the zygote, not here: its CPU column is the host's
share only).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from opencoder.sandbox import Sandbox, isolation

PROGRAM = "from typing import List\n\ndef f(xs: List[int]) -> int:\n    return sum(xs)\n\nassert f([1, 2]) == 3\n"


def timed(n: int, step: Callable[[], None]) -> tuple[float, float]:
    """Milliseconds per call: wall, and CPU of this process and its reaped children."""
    step()  # warm
    before, start = os.times(), time.perf_counter()
    for _ in range(n):
        step()
    after, wall = os.times(), time.perf_counter() - start
    cpu = sum(after[:4]) - sum(before[:4])
    return 1000 * wall / n, 1000 * cpu / n


def folder() -> None:
    root = Path(tempfile.mkdtemp(prefix="opencoder-profile-"))
    work = root / "work"
    work.mkdir()
    (work / "main.py").write_text(PROGRAM)
    os.chown(work, 1 << 30, 1 << 30)
    shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="calls per layer")
    args = parser.parse_args()
    python = Sandbox(mode="none").python
    bwrap = isolation.working_bwrap(python)
    work = tempfile.mkdtemp(prefix="opencoder-profile-")
    prefix = isolation.bwrap_argv(bwrap, python, work, os.geteuid() == 0) if bwrap else None
    layers: dict[str, Callable[[], None]] = {
        "run folder (mkdtemp, write, chown, rmtree)": folder,
        "python -I -B -c pass": lambda: subprocess.run([python, "-I", "-B", "-c", "pass"], check=True),
        "python -I -B -c 'import typing, resource'": lambda: subprocess.run(
            [python, "-I", "-B", "-c", "import typing, resource"], check=True
        ),
    }
    if prefix:
        layers["bwrap /bin/true"] = lambda: subprocess.run([*prefix, "/bin/true"], check=True)
        layers["bwrap python -I -B -c pass"] = lambda: subprocess.run([*prefix, python, "-I", "-B", "-c", "pass"],
                                                                      check=True)  # fmt: skip
    per_program, zygotes = Sandbox(zygotes=False), Sandbox()
    layers["Sandbox(zygotes=False).run: whole run"] = lambda: per_program.run(PROGRAM)
    layers["Sandbox().run: whole run (zygote if root + bwrap)"] = lambda: zygotes.run(PROGRAM)
    print(f"{'layer':52s} {'wall ms':>8s} {'CPU ms':>8s}   ({args.n} calls each, load {os.getloadavg()[0]:.1f})")
    for name, step in layers.items():
        wall, cpu = timed(args.n, step)
        print(f"{name:52s} {wall:8.1f} {cpu:8.1f}")
    zygotes.close()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
