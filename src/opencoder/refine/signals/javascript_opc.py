"""The released JavaScript parse (``compat: opc``): esprima, and one walk of its tree.

As released: ``parseModule`` when the text contains "import" or "export" (falling back to ``parseScript`` when
that fails), else ``parseScript``. esprima 4.0.1 knows ES2017 only and recurses: a text that does not parse, or
nests deeply enough to exhaust the recursive parser (RecursionError), gives None. The walk is iterative. Imported
only in opc mode: esprima is pure Python and costs about a second to import.
"""

from __future__ import annotations

import warnings

import esprima
from esprima.nodes import FunctionExpression, Node

from opencoder.refine.signals.js_facts import TreeFacts

_PARSE_ERRORS = (esprima.Error, RecursionError, MemoryError)
_FUNCTION_TYPES = frozenset({"FunctionExpression", "ArrowFunctionExpression"})
_SIMPLE_TYPES = frozenset({"Literal", "Identifier", "UnaryExpression"})


def parse(text: str) -> Node | None:
    """The esprima tree, or None when the text does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # esprima compiles regex literals with re: FutureWarnings
            if "import" in text or "export" in text:
                try:
                    return esprima.parseModule(text)
                except esprima.Error:
                    return esprima.parseScript(text)
            return esprima.parseScript(text)
    except _PARSE_ERRORS:
        return None


def _exported_name(node: Node) -> str | None:
    """``X`` of an assignment ``module.exports.X = ...``, else None (a missing esprima attribute reads None)."""
    left = node.left
    target = left.object if left.type == "MemberExpression" else None
    if target is None or target.type != "MemberExpression":
        return None
    is_exports = target.object.name == "module" and target.property.name == "exports"
    return left.property.name if is_exports else None


def tree_facts(tree: Node) -> TreeFacts:
    """Everything the released visitors collect, from one iterative walk."""
    facts = TreeFacts(statements=len(tree.body))
    stack = [tree]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "VariableDeclaration":
            for decl in node.declarations:
                init = decl.init
                name = decl.id.name  # None for a destructuring pattern
                if isinstance(init, FunctionExpression):  # not arrows, not async ones (other classes)
                    if name:
                        facts.functions.append(name)
                    continue
                if name:
                    facts.variables.append(name)
                if init is None or init.type in _SIMPLE_TYPES:
                    facts.simple_variables += 1
        elif kind == "FunctionDeclaration":
            if node.id is not None and node.id.name:
                facts.functions.append(node.id.name)
        elif kind == "AssignmentExpression":
            exported = _exported_name(node)
            if exported:
                right = node.right.type
                if right in _FUNCTION_TYPES:
                    facts.functions.append(exported)
                else:
                    facts.variables.append(exported)
                    facts.simple_variables += right in _SIMPLE_TYPES
        elif kind == "ClassDeclaration":
            if node.id is not None and node.id.name:
                facts.classes.append(node.id.name)
        elif kind == "ReturnStatement":
            facts.simple_returns += node.argument is None or node.argument.type in _SIMPLE_TYPES
        elif kind == "ImportDeclaration":
            facts.imports += 1
        for value in vars(node).values():
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, Node))
    return facts
