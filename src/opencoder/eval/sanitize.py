"""Answer extraction (SPEC §8.1): the longest syntactically valid span of a model's output, reduced by the
AST to imports, classes, functions that return something and top-level assignments, and, given an entry
point, to the definitions reachable from it. Chat answers in markdown lose their prose and fences this way;
base-model runs lose trailing tests and prints. Never raises: garbage in gives an empty program.
"""

from __future__ import annotations

import ast

MAX_LINES = 100  # OpenCodeEval looks at the first 100 lines only


def normalise(text: str) -> str:
    """Tabs to four spaces, any newline to \\n, stripped, one final newline (OpenCodeEval's refine_text)."""
    text = text.replace("\t", "    ").replace("\r\n", "\n").replace("\r", "\n")
    return text.strip() + "\n"


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def longest_valid_span(text: str) -> str:
    """The span of consecutive lines that parses and has the most non-blank lines (the earliest on a tie)."""
    lines = text.splitlines()[:MAX_LINES]
    filled = [0]
    for line in lines:
        filled.append(filled[-1] + bool(line.strip()))
    best, best_span = 0, ""
    for i in range(len(lines)):
        for j in range(len(lines), i, -1):  # longest first: the first valid span from i is the best from i
            count = filled[j] - filled[i]
            if count <= best:
                break
            span = "\n".join(lines[i:j])
            if _parses(span):
                best, best_span = count, span
                break
    return best_span


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.name if any(isinstance(n, ast.Return) for n in ast.walk(node)) else None
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def _used_names(node: ast.AST) -> set[str]:
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute):
            names.add(n.attr)
    return names


def sanitize(text: str, entry_point: str | None = None) -> str:
    """Python source holding only what the tests can need from the model's output."""
    code = longest_valid_span(normalise(text))
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return ""
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    definitions: dict[str, ast.stmt] = {}
    for node in tree.body:
        name = _defined_name(node)
        if name is not None:
            definitions.pop(name, None)  # a later definition wins, in its own place
            definitions[name] = node
    if entry_point is not None:
        keep, todo = set(), [entry_point]
        while todo:
            name = todo.pop()
            if name in definitions and name not in keep:
                keep.add(name)
                todo.extend(_used_names(definitions[name]))
        definitions = {k: v for k, v in definitions.items() if k in keep}
    kept = [*imports, *definitions.values()]
    return "\n".join(ast.unparse(node) for node in kept) + ("\n" if kept else "")
