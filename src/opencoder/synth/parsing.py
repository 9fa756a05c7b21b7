"""Reading a teacher's answer: fenced code blocks, bracketed sections, assert statements, a judge's score.

Every reader raises Reject with a short reason when the answer lacks what it looks for, so the pipeline records
why the seed went instead of failing."""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
_NUMBER = r"(?<![\d.])(10|[0-9])(?!\.?\d)"
# A judge that explains before it scores ("The code is clear ... I rate it 7/10."): a number out of 10 first, then
# one after the word "score" or "rate", then the first whole number from 0 to 10.
_SCORES = (
    re.compile(_NUMBER + r"\s*(?:/|out of)\s*10(?!\d)"),
    re.compile(r"(?:score|rate|rating)\D{0,16}?" + _NUMBER, re.I),
    re.compile(_NUMBER),
)


class Reject(Exception):
    """A seed stops here; the message is the recorded reason."""


def code_blocks(text: str, language: str | None = None) -> list[str]:
    """The closed fenced blocks of `text`, of one language (blocks without a tag count as any language)."""
    found = []
    for tag, body in _FENCE.findall(text):
        if language is None or not tag or tag.lower() in _ALIASES.get(language, {language}):
            found.append(body.rstrip() + "\n")
    return found


_ALIASES = {"python": {"python", "py", "python3"}}


def first_code(text: str, language: str = "python") -> str:
    """The first closed code block of `language`; Reject when there is none."""
    blocks = code_blocks(text, language)
    if not blocks:
        raise Reject(f"no closed ```{language} code block")
    return blocks[0]


def sections(text: str, names: tuple[str, ...]) -> dict[str, str]:
    """Each named section's body: what follows a header up to the next one. A header starts a line and is
    `[Name]`, `Name:` or a heading holding just the name (`## Name`, `**Name**`), any case. Reject names the
    sections missing or empty."""
    n = "|".join(re.escape(name) for name in names)
    header = re.compile(
        rf"^[ \t]*(?:#+[ \t]*)?\**(?:\[({n})\]|({n})\**[ \t]*:|({n})\**[ \t]*$)\**[ \t]*:?", re.I | re.M
    )
    marks = [(m.start(), m.end(), next(g for g in m.groups() if g).lower()) for m in header.finditer(text)]
    found: dict[str, str] = {}
    for i, (_, end, name) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        canonical = next(c for c in names if c.lower() == name)
        found.setdefault(canonical, text[end:stop].strip())
    missing = [c for c in names if not found.get(c)]
    if missing:
        raise Reject(f"missing section(s): {', '.join(missing)}")
    return found


def parse_python(code: str, what: str = "code") -> ast.Module:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError) as err:
        raise Reject(f"{what} is not valid Python: {err.__class__.__name__}: {err}") from None


def asserts(code: str) -> list[str]:
    """The source of each top-level assert statement (the tests a teacher wrote)."""
    module = parse_python(code, "tests")
    return [ast.get_source_segment(code, node) or "" for node in module.body if isinstance(node, ast.Assert)]


def functions(code: str) -> list[str]:
    """Names of the top-level functions and classes."""
    module = parse_python(code)
    return [n.name for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def score(text: str) -> int:
    """A judge's score from 0 to 10: a number out of 10, else one after "score"/"rate", else the first one."""
    match = next((m for pattern in _SCORES if (m := pattern.search(text))), None)
    if match is None:
        raise Reject("the judge gave no score from 0 to 10")
    return int(match.group(1))


def code_and_tests(text: str, min_asserts: int = 1) -> tuple[str, list[str]]:
    """From an answer's Python blocks: the solution (everything but the top-level asserts, comments kept) and
    the asserts. Reject when there is no function or fewer than `min_asserts` asserts."""
    blocks = code_blocks(text, "python")
    if not blocks:
        raise Reject("no closed ```python code block")
    source = "\n".join(blocks)
    module = parse_python(source)
    lines = source.splitlines()
    tests, drop = [], set()
    for node in module.body:
        if isinstance(node, ast.Assert):
            tests.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
            drop.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in module.body):
        raise Reject("the code defines no function")
    if len(tests) < min_asserts:
        raise Reject(f"{len(tests)} assert statement(s), {min_asserts} needed")
    solution = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip() + "\n"
    return solution, tests


def clip(text: str, limit: int = 3000) -> str:
    """A seed cut to `limit` characters at a line end, so that prompts stay within small models' context."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit] + "\n…"
