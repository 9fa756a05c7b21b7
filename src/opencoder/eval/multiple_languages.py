"""The MultiPL-E targets: each sandbox language's translator, and MultiPL-E's short name for it."""

from __future__ import annotations

from collections.abc import Callable

from opencoder.eval.multiple import PHP, Bash, JavaScript, Translator
from opencoder.eval.multiple_static import Cpp, CSharp, Java, TypeScript

TRANSLATORS: dict[str, Callable[[], Translator]] = {
    "cpp": Cpp,
    "java": Java,
    "csharp": CSharp,
    "typescript": TypeScript,
    "javascript": JavaScript,
    "php": PHP,
    "bash": Bash,
}
SHORT = {"cpp": "cpp", "java": "java", "csharp": "cs", "typescript": "ts", "javascript": "js", "php": "php",
         "bash": "sh"}  # fmt: skip  # MultiPL-E's names, used in benchmark names
