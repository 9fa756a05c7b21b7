"""SFT: Package-Instruct (SPEC §4). Against outdated API usage: the seed code's calls into installed Python
libraries are looked up with `inspect` and `pydoc` (today's signature and documentation), and the teacher
writes a single-function problem and a solution that follows that documentation, with asserts; kept only if
the solution uses the API and passes.

Only the libraries of the option `packages` are imported to read their docs (importing runs a module's code in
this process): the standard library modules below and the data libraries the paper names."""

from __future__ import annotations

import ast
import importlib
import inspect
import pydoc
from typing import Any

from opencoder.synth.common import checked_program, fenced, seed_excerpt
from opencoder.synth.parsing import Reject, code_and_tests, sections
from opencoder.synth.pipeline import Ask, Check, Execute, Item, Recipe, SynthContext

PACKAGES = ("numpy", "pandas", "collections", "itertools", "functools", "re", "json", "math", "statistics",
            "datetime", "heapq", "bisect", "string", "textwrap", "operator", "fractions", "decimal")  # fmt: skip
DOC_CHARS = 1500

PROMPT = """You write educational programming problems that teach a library as it is today. Use the code \
snippet for inspiration and the current API documentation below as the reference.

Write two parts, each starting with its header on its own line:
[Problem Description]
A completely self-contained problem that asks for exactly one Python function and explicitly requires \
using `{api}`.
[Solution]
The function in one ```python block, written to follow the documentation below, then a second ```python \
block with at least three assert statements that test it.

[Code Snippet]
{seed}

[Library API Requirements]
{api}{signature}

[Library API Doc]
{doc}
"""


def _calls(code: str, packages: set[str]) -> list[tuple[str, str]]:
    """(module, attribute) of every `alias.attr` use whose alias imports a module of `packages`, in order."""
    try:
        module = ast.parse(code)
    except (SyntaxError, ValueError):
        raise Reject("the seed is not valid Python") from None
    aliases: dict[str, str] = {}
    found: list[tuple[str, str]] = []
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for name in node.names:
                if name.name in packages:
                    aliases[name.asname or name.name] = name.name
        elif isinstance(node, ast.ImportFrom) and node.module in packages and node.level == 0:
            found += [(node.module, name.name) for name in node.names if name.name != "*"]
    for node in ast.walk(module):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            found.append((aliases[node.value.id], node.attr))
    return list(dict.fromkeys(found))


def find_api(item: Item, ctx: SynthContext) -> None:
    """The first public callable the seed uses from an allowed package, with its signature and documentation."""
    packages = set(ctx.options.get("packages") or PACKAGES)
    for module_name, attr in _calls(item.seed.text, packages):
        if attr.startswith("_"):
            continue
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue
        if not callable(obj):
            continue
        try:
            signature = str(inspect.signature(obj))
        except (TypeError, ValueError):
            signature = "(...)"
        doc = (pydoc.getdoc(obj) or "").strip()
        if doc:
            item.fields["api"] = f"{module_name}.{attr}"
            item.fields["signature"], item.fields["doc"] = signature, doc[:DOC_CHARS]
            return
    raise Reject(f"no documented call into the packages {', '.join(sorted(packages))}")


def prompt(item: Item, ctx: SynthContext) -> str:
    f = item.fields
    return PROMPT.format(seed=seed_excerpt(item, ctx, 2000), api=f["api"], signature=f["signature"], doc=f["doc"])


def parsed(item: Item, ctx: SynthContext) -> None:
    parts = sections(item.fields["generated"], ("Problem Description", "Solution"))
    item.fields["problem"] = parts["Problem Description"]
    item.fields["solution"], item.fields["tests"] = code_and_tests(
        parts["Solution"], int(ctx.options.get("min_asserts", 1))
    )
    attr = item.fields["api"].rsplit(".", 1)[1]
    if attr not in item.fields["solution"]:
        raise Reject(f"the solution does not use {item.fields['api']}")


def sample(item: Item, ctx: SynthContext) -> dict[str, Any]:
    answer = fenced(item.fields["solution"]) + "\n\n" + fenced("\n".join(item.fields["tests"]))
    messages = [{"role": "user", "content": item.fields["problem"]}, {"role": "assistant", "content": answer}]
    return {"messages": messages, "api": item.fields["api"], "language": "python"}


RECIPE = Recipe(
    name="package",
    kind="sft",
    steps=(
        Check("api_found", find_api),
        Ask("generated", prompt, "generated", max_tokens=1024),
        Check("parsed", parsed),
        Execute("passed", checked_program),
    ),
    sample=sample,
)
