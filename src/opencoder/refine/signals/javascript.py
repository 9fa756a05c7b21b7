"""JavaScript signals (``qsc_codejavascript_*``, SPEC §1.5.2), from one esprima parse per document.

As released: ``parseModule`` when the text contains "import" or "export" (falling back to ``parseScript`` when
that fails), else ``parseScript``. A text that does not parse, or nests deeply enough to exhaust the recursive
parser (RecursionError), gives ``cate_ast = 0.0`` and null for the tree-based signals. The tree is walked once,
iteratively, collecting everything the signals count.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import esprima
import regex
from esprima.nodes import FunctionExpression, Node

from opencoder.refine.signals.langutil import flag, line_fraction, per_code_line, ratio

_PARSE_ERRORS = (esprima.Error, RecursionError, MemoryError)
_SIMPLE_TYPES = frozenset({"Literal", "Identifier", "UnaryExpression"})
_FUNCTION_TYPES = frozenset({"FunctionExpression", "ArrowFunctionExpression"})
LEGAL_VARIABLE = regex.compile(r"[a-z\$][a-zA-Z0-9]*")
LEGAL_FUNCTION = regex.compile(r"[a-zA-Z\$][a-zA-Z0-9]*")
LEGAL_CLASS = regex.compile(r"[A-Z][a-zA-Z0-9]*")


def parse(doc) -> Node | None:
    """The esprima tree (cached on the document), or None when the text does not parse."""

    def run() -> Node | None:
        text = doc.text
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

    return doc.memo("javascript.ast", run)


@dataclass
class TreeFacts:
    """What the released visitors collect, from one walk."""

    variables: list[str] = field(default_factory=list)  # declared names (not function expressions), exports
    simple_variables: int = 0  # declarations initialised with nothing, a literal, an identifier or a unary op
    functions: list[str] = field(default_factory=list)  # function declarations/expressions, exported functions
    classes: list[str] = field(default_factory=list)
    simple_returns: int = 0
    imports: int = 0
    statements: int = 0  # top-level statements


def _exported_name(node: Node) -> str | None:
    """``X`` of an assignment ``module.exports.X = ...``, else None."""
    left = node.left
    target = left.object if left.type == "MemberExpression" else None
    if target is None or target.type != "MemberExpression":
        return None
    is_exports = target.object.name == "module" and target.property.name == "exports"
    return left.property.name if is_exports else None


def tree_facts(doc) -> TreeFacts | None:
    def run() -> TreeFacts | None:
        tree = parse(doc)
        if tree is None:
            return None
        facts = TreeFacts(statements=len(tree.body))
        stack = [tree]
        while stack:
            node = stack.pop()
            kind = node.type
            if kind == "VariableDeclaration":
                for decl in node.declarations:
                    init = decl.init
                    is_function = isinstance(init, FunctionExpression)  # not arrows, not async ones
                    name = decl.id.name
                    if is_function:
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

    return doc.memo("javascript.facts", run)


def cate_ast(doc) -> float:
    return flag(parse(doc) is not None)


def _with_facts(fn):
    """A signal that is null when the document does not parse."""

    def signal(doc):
        facts = tree_facts(doc)
        return None if facts is None else fn(doc, facts)

    signal.__name__ = fn.__name__
    return signal


@_with_facts
def cate_var_zero(doc, facts: TreeFacts) -> float:
    return flag(not facts.variables)


@_with_facts
def frac_lines_func_ratio(doc, facts: TreeFacts) -> float | None:
    return per_code_line(doc, len(facts.functions))


@_with_facts
def num_statement_line(doc, facts: TreeFacts) -> float | None:
    return per_code_line(doc, facts.statements)


@_with_facts
def score_lines_no_logic(doc, facts: TreeFacts) -> float | None:
    count = len(facts.functions) + facts.imports + facts.simple_variables + facts.simple_returns + len(facts.classes)
    return per_code_line(doc, count)


def _legal(names: list[str], pattern: regex.Pattern) -> float | None:
    return ratio(sum(pattern.fullmatch(name) is not None for name in names), len(names))


@_with_facts
def frac_words_legal_var_name(doc, facts: TreeFacts) -> float | None:
    return _legal(facts.variables, LEGAL_VARIABLE)


@_with_facts
def frac_words_legal_func_name(doc, facts: TreeFacts) -> float | None:
    return _legal(facts.functions, LEGAL_FUNCTION)


@_with_facts
def frac_words_legal_class_name(doc, facts: TreeFacts) -> float | None:
    return _legal(facts.classes, LEGAL_CLASS)


SIGNALS = {
    "qsc_codejavascript_cate_ast": cate_ast,
    "qsc_codejavascript_cate_var_zero": cate_var_zero,
    "qsc_codejavascript_frac_lines_func_ratio": frac_lines_func_ratio,
    "qsc_codejavascript_num_statement_line": num_statement_line,
    "qsc_codejavascript_score_lines_no_logic": score_lines_no_logic,
    "qsc_codejavascript_frac_words_legal_var_name": frac_words_legal_var_name,
    "qsc_codejavascript_frac_words_legal_func_name": frac_words_legal_func_name,
    "qsc_codejavascript_frac_words_legal_class_name": frac_words_legal_class_name,
    "qsc_codejavascript_frac_lines_print": line_fraction("console.log", fixed=r"\bconsole\.log\b"),
}
