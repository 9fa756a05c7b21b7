"""JavaScript signals (``qsc_codejavascript_*``, SPEC §1.5.2), from one parse per document.

Default (``compat: fixed``): tree-sitter-javascript. A text "parses" when its tree holds no ERROR and no MISSING
node. Everything the signals count comes from one tree-sitter Query, matched in C; Python only looks at the few
matched nodes (declarations, returns, exports). The counts are the released visitors' on esprima's tree (the
tests compare both), but tree-sitter also reads what esprima 4.0.1 rejects: syntax after ES2017, JSX, a top-level
``return`` (docs/signals-lang.md). ``compat: opc`` parses with esprima as released (``javascript_opc.py``).
"""

from __future__ import annotations

import regex
import tree_sitter_javascript
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from opencoder.refine.signals.js_facts import TreeFacts
from opencoder.refine.signals.langutil import flag, line_fraction, per_code_line, ratio

LEGAL_VARIABLE = regex.compile(r"[a-z\$][a-zA-Z0-9]*")
LEGAL_FUNCTION = regex.compile(r"[a-zA-Z\$][a-zA-Z0-9]*")
LEGAL_CLASS = regex.compile(r"[A-Z][a-zA-Z0-9]*")

_LANGUAGE = Language(tree_sitter_javascript.language())
_PARSER = Parser(_LANGUAGE)
# esprima's Literal, Identifier and UnaryExpression, in tree-sitter's node types
_SIMPLE_TYPES = frozenset(
    {"string", "number", "regex", "true", "false", "null", "identifier", "undefined", "unary_expression"}
)
_FUNCTION_EXPRESSIONS = frozenset({"function_expression", "generator_function"})  # esprima FunctionExpression...
_ALL_FUNCTION_EXPRESSIONS = _FUNCTION_EXPRESSIONS | {"arrow_function"}  # ...and ArrowFunctionExpression types
_COMMENTS = frozenset({"comment", "html_comment"})
_NOT_STATEMENTS = _COMMENTS | {"hash_bang_line"}
# a.b.X / a.b[X] / a[b].X / a[b][X] assigned, for module.exports.X (esprima reads a computed Identifier key's name
# too); the names are compared in Python: text predicates need the source, which the tree lacks (see _parse)
_MODULE_EXPORTS = (
    "[(member_expression object: (identifier) @module property: (property_identifier) @exports)"
    " (subscript_expression object: (identifier) @module index: (identifier) @exports)]"
)
_EXPORT_LEFT = (
    f"left: [(member_expression object: {_MODULE_EXPORTS} property: (property_identifier) @exported)"
    f" (subscript_expression object: {_MODULE_EXPORTS} index: (identifier) @exported)]"
)
_QUERY = Query(
    _LANGUAGE,
    f"""
    (variable_declarator name: (_) @declared value: (_)? @init)
    (for_in_statement kind: _ left: (_) @declared)
    [(function_declaration name: (identifier) @function) (generator_function_declaration name: (identifier) @function)]
    (class_declaration name: (identifier) @class)
    (return_statement) @return
    (import_statement) @import
    [(assignment_expression {_EXPORT_LEFT} right: (_) @value)
     (augmented_assignment_expression {_EXPORT_LEFT} right: (_) @value)]
    """,
)


def parse(doc) -> Tree | object | None:
    """The parse tree (cached on the document), or None when the text does not parse.

    A tree-sitter Tree by default, an esprima tree with ``compat: opc``.
    """

    def run():
        if doc.compat == "opc":
            from opencoder.refine.signals import javascript_opc

            return javascript_opc.parse(doc.text)
        tree = _parse(_source(doc))
        return None if tree is None or tree.root_node.has_error else tree

    return doc.memo("javascript.ast", run)


def _source(doc) -> bytes:
    return doc.memo("javascript.source", lambda: doc.text.encode("utf-8", "surrogatepass"))


def _parse(source: bytes) -> Tree | None:
    """tree-sitter's tree, or None as soon as every parse the parser still holds has met an error.

    From then on the tree is sure to hold an ERROR or MISSING node, and tree-sitter's error recovery, left to run,
    costs far more than the parse (random text: 1 MB in 5 s, super-linear). The callbacks are also where a signal
    timeout can interrupt the parse. The progress callback needs the source as a read callback (a memoryview: no
    copies); the tree then has no source of its own, so node texts are sliced from ``source`` (``Node.text`` and
    text predicates crash).
    """
    view = memoryview(source)
    try:
        return _PARSER.parse(lambda offset, _: view[offset:], progress_callback=lambda _, has_error: has_error)
    except ValueError:  # cancelled
        return None
    finally:  # cancelled or interrupted (a signal timeout raises in the callbacks), the parser would resume this
        _PARSER.reset()  # text on its next call


def _expression(node: Node | None) -> Node | None:
    """The expression inside any parentheses (esprima's tree has no node for them)."""
    while node is not None and node.type == "parenthesized_expression":
        node = next(child for child in node.named_children if child.type not in _COMMENTS)
    return node


def _is_simple(node: Node | None) -> bool:
    node = _expression(node)
    return node is None or node.type in _SIMPLE_TYPES


def _facts(tree: Tree, source: bytes) -> TreeFacts:
    def name(node: Node) -> str:
        return source[node.start_byte : node.end_byte].decode("utf-8", "surrogatepass")

    root = tree.root_node
    facts = TreeFacts()
    for _, match in QueryCursor(_QUERY).matches(root):
        if "declared" in match:
            init = _expression(match["init"][0]) if "init" in match else None
            declared = match["declared"][0]
            declared_name = name(declared) if declared.type == "identifier" else None  # None: a destructuring pattern
            if init is not None and init.type in _FUNCTION_EXPRESSIONS and init.child(0).type != "async":
                if declared_name:
                    facts.functions.append(declared_name)
                continue
            if declared_name:
                facts.variables.append(declared_name)
            facts.simple_variables += _is_simple(init)
        elif "function" in match:
            facts.functions.append(name(match["function"][0]))
        elif "class" in match:
            facts.classes.append(name(match["class"][0]))
        elif "return" in match:
            argument = next((c for c in match["return"][0].named_children if c.type not in _COMMENTS), None)
            facts.simple_returns += _is_simple(argument)
        elif "import" in match:
            facts.imports += 1
        elif name(match["module"][0]) == "module" and name(match["exports"][0]) == "exports":
            value = _expression(match["value"][0])
            exported = name(match["exported"][0])
            if value is not None and value.type in _ALL_FUNCTION_EXPRESSIONS:
                facts.functions.append(exported)
            else:
                facts.variables.append(exported)
                facts.simple_variables += _is_simple(value)
    facts.statements = sum(child.type not in _NOT_STATEMENTS for child in root.named_children)
    return facts


def tree_facts(doc) -> TreeFacts | None:
    def run() -> TreeFacts | None:
        tree = parse(doc)
        if tree is None:
            return None
        if doc.compat == "opc":
            from opencoder.refine.signals import javascript_opc

            return javascript_opc.tree_facts(tree)
        return _facts(tree, _source(doc))

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
