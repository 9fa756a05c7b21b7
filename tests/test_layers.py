"""The import contract (docs/ARCHITECTURE.md): layers import downward only, and no modules import each other in a
circle.

    cli → demo, ablate → report → the feature packages (refine, eval, train, and any new one) → sandbox,
    generate (services beside them) → engine → io → kernels → errors

The report sits above the features because it interprets what they wrote (a filter rule's threshold drawn on a
signal's histogram needs refine's rule definitions); no feature imports it.

A feature package imports none of its siblings: a stage's report section, for one, is named in the engine's
registry instead of refine importing report. Every import counts, also one inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "opencoder"
FEATURE = 3.0  # a top-level package not listed below is a feature package (recall, synth, ...)
LAYERS = {
    "cli": 5,
    "demo": 4,
    "ablate": 4,
    "report": 3.5,
    "sandbox": 2,
    "generate": 2,
    "engine": 1,
    "io": 0,
    "kernels": -1,
    "errors": -2,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(name: str) -> str | None:
    """The module (or package) ``name`` names inside opencoder, or None when it is not ours or not a module."""
    if name != "opencoder" and not name.startswith("opencoder."):
        return None
    path = SRC.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
        return name
    return None


def imports(path: Path) -> set[str]:
    """The opencoder modules that ``path`` imports, wherever in the file (a name imported from a package counts as
    its submodule when it is one, else as the package)."""
    me = module_name(path)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(filter(None, (resolve(a.name) for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = me.split(".")[: len(me.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                target = resolve(f"{base}.{alias.name}") or resolve(base)
                if target:
                    found.add(target)
    found.discard(me)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer(module: str) -> float:
    name = top(module)
    return -3 if name == "" else LAYERS.get(name, FEATURE)  # "opencoder" itself: the version, below everything


def test_layers_import_downward_only():
    wrong = []
    for module, targets in graph().items():
        for target in targets:
            if top(target) == top(module):
                continue
            if layer(target) >= layer(module):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports that go up or sideways:\n" + "\n".join(sorted(wrong))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_checks_catch_what_they_are_for():
    """The contract's own test: a cycle and an upward import are found."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer("opencoder.io.readers") < layer("opencoder.engine.stage") < layer("opencoder.refine.filter")
    assert layer("opencoder.recall.score") == layer("opencoder.eval.run")  # siblings: neither may import the other
    assert layer("opencoder.refine.filter") < layer("opencoder.report.html") < layer("opencoder.demo")
    assert "opencoder.engine.stage" in imports(PACKAGE / "refine" / "preprocess.py")
