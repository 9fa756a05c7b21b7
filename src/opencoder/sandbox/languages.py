"""The languages the sandbox runs besides Python: how each is compiled and run, and what it needs from the host.

Each toolchain comes from Debian packages (`make toolchains`). A language whose tools are missing is
*unavailable*: the sandbox says so instead of running it, so a missing compiler never reads as a wrong answer.

Memory: C++, PHP and Bash are bounded by their address space (RLIMIT_AS), as Python is. The JVM, Mono and
Node reserve many GiB of address space they never touch (heap reservations, V8's pointer cage), so under an
address-space limit they cannot start; they are bounded by RLIMIT_DATA instead (private writable memory,
which is what they really use), and their own heap limit is set below it so that a memory bomb ends with the
runtime's out-of-memory error.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Literal

from opencoder.errors import OpencoderError

Memory = Literal["as", "data"]


@dataclass(frozen=True)
class Language:
    """argv templates use {source} (the file's name), {heap_mb} (the runtime's heap: half the memory limit)."""

    name: str
    source: str  # the program's file name in its folder
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    tools: tuple[str, ...] = ()  # executables that must exist on the host
    memory: Memory = "as"
    binds: tuple[str, ...] = ()  # host paths (configuration under /etc) bound read-only when they exist
    env: dict[str, str] = field(default_factory=dict)
    failure_marks: tuple[str, ...] = ()  # stderr text that makes a run that exited 0 a failure

    def unavailable(self) -> str | None:
        """Why this language cannot run here, or None."""
        missing = [tool for tool in self.tools if shutil.which(tool, path="/usr/bin:/bin") is None]
        if missing:
            return f"{self.name} toolchain is not installed ({', '.join(missing)} missing; run `make toolchains`)"
        return None

    def argv(self, template: tuple[str, ...], memory_mb: int) -> list[str]:
        return [part.format(source=self.source, heap_mb=max(memory_mb // 2, 64)) for part in template]


_JAVA_CP = "/usr/share/java/javatuples.jar"
# One compiler thread and the serial collector: the JVM starts faster and stays within the process limit.
_JVM = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xss8m")

LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        Language("python", "main.py", ("python3", "{source}")),  # run by the sandbox's own interpreter
        Language(
            "cpp",
            "main.cpp",
            ("./main",),
            # A non-void function that ends without `return` is undefined behaviour that can pass a test by
            # luck (a completion of comments only did): it is a compile error here.
            ("g++", "-std=c++17", "-O1", "-Werror=return-type", "-o", "main", "{source}"),
            tools=("g++",),
        ),
        Language(
            "java",
            "Problem.java",
            ("java", *_JVM, "-Xmx{heap_mb}m", "-ea", "-cp", f"{_JAVA_CP}:.", "Problem"),
            ("javac", "-J-XX:+UseSerialGC", "-J-Xmx{heap_mb}m", "-encoding", "UTF-8", "-cp", _JAVA_CP, "{source}"),
            tools=("javac", "java"),
            memory="data",
            binds=("/etc/java-17-openjdk",),
        ),
        Language(
            "csharp",
            "Problem.cs",
            ("mono", "--debug", "Problem.exe"),
            ("mcs", "-d:DEBUG", "-r:System.Numerics.dll", "-out:Problem.exe", "{source}"),
            tools=("mcs", "mono"),
            memory="data",
            binds=("/etc/mono",),
            # Mono reports a failed Debug.Assert only to a trace listener and still exits 0 (as MultiPL-E runs it).
            env={"MONO_GC_PARAMS": "max-heap-size={heap_mb}m", "MONO_TRACE_LISTENER": "Console.Error"},
            failure_marks=("DefaultTraceListener.Fail", "Unhandled Exception"),
        ),
        Language(
            "typescript",
            "main.ts",
            ("node", "--max-old-space-size={heap_mb}", "main.js"),
            ("tsc", "--target", "esnext", "--lib", "esnext,dom", "--module", "commonjs", "--skipLibCheck", "{source}"),
            tools=("tsc", "node"),
            memory="data",
        ),
        Language(
            "javascript",
            "main.js",
            ("node", "--max-old-space-size={heap_mb}", "{source}"),
            tools=("node",),
            memory="data",
        ),
        Language(
            "php",
            "main.php",
            ("php", "-d", "memory_limit={heap_mb}M", "-f", "{source}"),
            tools=("php",),
            binds=("/etc/php",),
        ),
        Language("bash", "main.sh", ("bash", "{source}"), tools=("bash",)),
    )
}
ALIASES = {"c++": "cpp", "cs": "csharp", "c#": "csharp", "ts": "typescript", "js": "javascript", "sh": "bash",
           "py": "python"}  # fmt: skip


def language(name: str) -> Language:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in LANGUAGES:
        raise OpencoderError(f"unknown language {name!r}; the sandbox runs {', '.join(LANGUAGES)}")
    return LANGUAGES[key]


def host_binds(lang: Language) -> list[str]:
    """The language's extra host paths that exist here, plus /etc/alternatives (Debian's tool links)."""
    return [p for p in ("/etc/alternatives", *lang.binds) if os.path.exists(p)]
