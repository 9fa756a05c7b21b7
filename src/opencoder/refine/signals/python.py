"""Python signals (``qsc_codepython_*``, SPEC §1.5.2), from one parse of each document by CPython.

The tree signals count functions, classes, class variables and variables (``TreeFacts``) as the released visitors
of ``ast.parse``'s tree do. CPython parses each document once, for its symbol table (which builds no tree); when
that succeeds the compiled kernel counts the facts from the tokens of the (now known to be valid) source
(``_pyfacts.c``), else ``ast.parse`` decides and its tree is walked over statement lists only (functions, classes,
assignments and for-loops are all statements, and no expression holds a statement). Both give the same counts:
the tests compare them on the standard library and on hand-made code. A text that does not parse (syntax error,
NUL byte, or nesting deep enough to raise RecursionError/MemoryError in the compiler) gives ``cate_ast = 0.0`` and
null for the tree-based signals, never an exception. The line signals count lines with one MULTILINE pattern over
the code text each.
"""

from __future__ import annotations

import ast
import gc
import symtable
from dataclasses import dataclass

import regex

from opencoder.refine.signals import kernel
from opencoder.refine.signals.document import parse_python, parsed
from opencoder.refine.signals.langutil import (
    RE_SPACE,
    RE_SPACE_IN_LINE,
    flag,
    line_fraction,
    per_code_line,
)
from opencoder.refine.signals.text import count_matching_lines

# A "return" line as released (re, ``^\\s*return(?:\\s+.+)?\\s*$``; its matches can run on over following lines),
# written literal first so that the search skips to each "return"
_SIMPLE_RETURN = regex.compile(rf"return(?<=^{RE_SPACE_IN_LINE}*return)(?:{RE_SPACE}+.+)?{RE_SPACE}*$", regex.MULTILINE)
# Line patterns for text.count_matching_lines, literal first: an import statement (opc: "import" anywhere in the
# lower-cased line) and a pass statement, alone or after ":" / ";" (opc: "pass" anywhere)
_IMPORT_LINE = regex.compile(
    r"import(?:(?<=^[^\S\n]*import)(?=\s)|(?<=^[^\S\n]*from[^\S\n]+\S+[^\S\n]+import)\b)", regex.MULTILINE
)
_PASS = regex.compile(r"pass(?<=(?:^|[:;])[^\S\n]*pass)(?=[^\S\n]*(?:;|$))", regex.MULTILINE)
_IMPORT_OPC = regex.compile("import")
_PASS_OPC = regex.compile("pass")
# Where statements nest: the statement-list fields of each node kind that has any (bodies of compound
# statements, except handlers and match cases, which hold bodies themselves)
_STATEMENT_LISTS = {
    kind: fields
    for kind in (ast.ExceptHandler, ast.match_case, *ast.stmt.__subclasses__())
    if (fields := tuple(f for f in ("body", "orelse", "finalbody", "handlers", "cases") if f in kind._fields))
}


@dataclass
class TreeFacts:
    """Counts of a module's statements, as the released visitors of its tree define them."""

    functions: int = 0  # FunctionDef nodes, nested included, AsyncFunctionDef excluded
    simple_functions: int = 0  # FunctionDef whose body is a single return
    classes: int = 0
    class_simple_vars: int = (
        0  # Name targets of assignments directly in a class body (classes nested in a class skipped)
    )
    has_variables: bool = False  # an assignment to a Name, a for-loop Name target, or a FunctionDef argument


def tree_facts(doc) -> TreeFacts | None:
    """The counts of the document's statements (cached on the document), or None when it does not parse.

    The cyclic GC is paused meanwhile: a parse allocates many objects (``ast.parse`` one per node, the symbol table
    a few per scope), and a collection passing over them, in the parse or triggered by the next allocations while
    they are alive, costs as much as the count and finds nothing. Freed before the GC resumes, they never reach one.
    """

    def run() -> TreeFacts | None:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return _parse_and_walk(doc.text)  # its frame, holding the tree, is gone when this returns
        finally:
            if collecting:
                gc.enable()

    return doc.memo("python.facts", run)


def _parse_and_walk(text: str) -> TreeFacts | None:
    if parses(text):
        return TreeFacts(*kernel.python_facts(text))
    tree = parse_python(text)  # a syntax error, or one that only the symbol table finds (ast.parse accepts it)
    return None if tree is None else _walk(tree)


def parses(text: str) -> bool:
    """Whether CPython parses ``text``, asked of its symbol table, which parses the text as ``ast.parse`` does
    without making one Python object per node (a third cheaper). Its errors are a superset of ``ast.parse``'s
    (it also refuses ``nonlocal`` at module level, unknown ``__future__`` features, ...): a False is checked."""
    return parsed(_symbol_table, text) is not None


def _symbol_table(text: str) -> symtable.SymbolTable:
    return symtable.symtable(text, "<unknown>", "exec")


def _walk(tree: ast.Module) -> TreeFacts:
    facts = TreeFacts()
    has_variables = False
    pending: list[tuple[list[ast.AST], bool]] = [(tree.body, False)]  # (statement list, inside a class)
    while pending:
        statements, in_class = pending.pop()
        for node in statements:
            kind = type(node)
            if kind is ast.Assign:
                has_variables = has_variables or any(type(t) is ast.Name for t in node.targets)
                continue
            fields = _STATEMENT_LISTS.get(kind)
            if fields is None:
                continue  # a simple statement: nothing nested, nothing counted
            if kind is ast.FunctionDef:
                facts.functions += 1
                facts.simple_functions += len(node.body) == 1 and type(node.body[0]) is ast.Return
                has_variables = has_variables or bool(node.args.args)
            elif kind is ast.ClassDef:
                facts.classes += 1
                if not in_class:
                    facts.class_simple_vars += _class_simple_vars(node)
            elif kind is ast.For:
                has_variables = has_variables or type(node.target) is ast.Name
            nested_in_class = in_class or kind is ast.ClassDef
            pending.extend((getattr(node, field), nested_in_class) for field in fields)
    facts.has_variables = has_variables
    return facts


def _class_simple_vars(node: ast.ClassDef) -> int:
    count = 0
    for item in node.body:
        if isinstance(item, ast.Assign):
            count += sum(isinstance(t, ast.Name) for t in item.targets)
        elif isinstance(item, ast.AnnAssign):
            count += isinstance(item.target, ast.Name)
    return count


def _import_lines(doc) -> int:
    def run() -> int:
        if doc.compat == "opc":  # substring: also "important", "imports" in strings
            return count_matching_lines(doc.code_text_lower, _IMPORT_OPC)
        return count_matching_lines(doc.code_text, _IMPORT_LINE)

    return doc.memo("python.import_lines", run)


def cate_ast(doc) -> float:
    return flag(tree_facts(doc) is not None)


def frac_lines_func_ratio(doc) -> float | None:
    facts = tree_facts(doc)
    return None if facts is None else per_code_line(doc, facts.functions)


def cate_var_zero(doc) -> float | None:
    facts = tree_facts(doc)
    return None if facts is None else flag(not facts.has_variables)


def frac_lines_pass(doc) -> float:
    if doc.compat == "opc":  # substring, case-insensitive: also "password", "compass"
        return per_code_line(doc, count_matching_lines(doc.code_text_lower, _PASS_OPC)) or 0.0
    return per_code_line(doc, count_matching_lines(doc.code_text, _PASS)) or 0.0


def frac_lines_import(doc) -> float:
    return per_code_line(doc, _import_lines(doc)) or 0.0


def frac_lines_simplefunc(doc) -> float | None:
    facts = tree_facts(doc)
    return None if facts is None else per_code_line(doc, facts.simple_functions)


def score_lines_no_logic(doc) -> float | None:
    facts = tree_facts(doc)
    if facts is None:
        return None
    returns = len(_SIMPLE_RETURN.findall(doc.code_text))
    count = facts.functions + _import_lines(doc) + facts.classes + returns + facts.class_simple_vars
    return per_code_line(doc, count)


SIGNALS = {
    "qsc_codepython_cate_ast": cate_ast,
    "qsc_codepython_frac_lines_func_ratio": frac_lines_func_ratio,
    "qsc_codepython_cate_var_zero": cate_var_zero,
    "qsc_codepython_frac_lines_pass": frac_lines_pass,
    "qsc_codepython_frac_lines_import": frac_lines_import,
    "qsc_codepython_frac_lines_simplefunc": frac_lines_simplefunc,
    "qsc_codepython_score_lines_no_logic": score_lines_no_logic,
    "qsc_codepython_frac_lines_print": line_fraction("print", fixed=r"\bprint\b"),
}
