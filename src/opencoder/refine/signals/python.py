"""Python signals (``qsc_codepython_*``, SPEC §1.5.2), from one ``ast.parse`` per document.

The parse tree is walked once, over statement lists only (functions, classes, assignments and for-loops are all
statements), collecting every count the signals need. A text that does not parse (syntax error, NUL byte, or
nesting deep enough to raise RecursionError/MemoryError in the compiler) gives ``cate_ast = 0.0`` and null for the
tree-based signals, never an exception.
"""

from __future__ import annotations

import ast
import gc
import re
import warnings
from dataclasses import dataclass

import regex

from opencoder.refine.signals.langutil import flag, line_fraction, per_code_line

_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
_SIMPLE_RETURN = re.compile(r"^[^\S\n]*return(?:\s+.+)?\s*$", re.MULTILINE)  # released: ^\s*, same count
_IMPORT_LINE = regex.compile(r"^\s*(?:import\s|from\s+\S+\s+import\b)")
_PASS = regex.compile(r"(?:^|[:;])\s*pass\s*(?:;|$)")  # a pass statement, alone or after ":" / ";"
_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def parse(doc) -> ast.Module | None:
    """The document's parse tree (cached on the document), or None when it does not parse."""

    def run() -> ast.Module | None:
        collecting = gc.isenabled()
        gc.disable()  # the parse allocates one object per node: cyclic GC passes over them cost ~15% and find nothing
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes etc. is not our business
                return ast.parse(doc.text)
        except _PARSE_ERRORS:
            return None
        finally:
            if collecting:
                gc.enable()

    return doc.memo("python.ast", run)


@dataclass
class TreeFacts:
    """Counts from one walk of the tree, as the released visitors define them."""

    functions: int = 0  # FunctionDef nodes, nested included, AsyncFunctionDef excluded
    simple_functions: int = 0  # FunctionDef whose body is a single return
    classes: int = 0
    class_simple_vars: int = (
        0  # Name targets of assignments directly in a class body (classes nested in a class skipped)
    )
    has_variables: bool = False  # an assignment to a Name, a for-loop Name target, or a FunctionDef argument


def tree_facts(doc) -> TreeFacts | None:
    """Walk the statements of the tree once (iteratively: deep trees cannot overflow the stack)."""

    def run() -> TreeFacts | None:
        tree = parse(doc)
        if tree is None:
            return None
        facts = TreeFacts()
        stack: list[tuple[ast.AST, bool]] = [(tree, False)]
        while stack:
            node, in_class = stack.pop()
            kind = type(node)
            if kind is ast.FunctionDef:
                facts.functions += 1
                facts.simple_functions += len(node.body) == 1 and isinstance(node.body[0], ast.Return)
                facts.has_variables |= bool(node.args.args)
            elif kind is ast.ClassDef:
                facts.classes += 1
                if not in_class:
                    facts.class_simple_vars += _class_simple_vars(node)
            elif kind is ast.Assign:
                facts.has_variables |= any(isinstance(t, ast.Name) for t in node.targets)
            elif kind is ast.For:
                facts.has_variables |= isinstance(node.target, ast.Name)
            child_in_class = in_class or kind is ast.ClassDef
            for field in _STATEMENT_LISTS:
                for child in getattr(node, field, ()):
                    stack.append((child, child_in_class))
        return facts

    return doc.memo("python.facts", run)


def _class_simple_vars(node: ast.ClassDef) -> int:
    count = 0
    for item in node.body:
        if isinstance(item, ast.Assign):
            count += sum(isinstance(t, ast.Name) for t in item.targets)
        elif isinstance(item, ast.AnnAssign):
            count += isinstance(item.target, ast.Name)
    return count


def _import_lines(doc) -> int:
    if doc.compat == "opc":  # substring: also "important", "imports" in strings
        return sum("import" in line.lower() for line in doc.code_lines)
    return sum(_IMPORT_LINE.match(line) is not None for line in doc.code_lines)


def cate_ast(doc) -> float:
    return flag(parse(doc) is not None)


def frac_lines_func_ratio(doc) -> float | None:
    facts = tree_facts(doc)
    return None if facts is None else per_code_line(doc, facts.functions)


def cate_var_zero(doc) -> float | None:
    facts = tree_facts(doc)
    return None if facts is None else flag(not facts.has_variables)


def frac_lines_pass(doc) -> float:
    if doc.compat == "opc":  # substring, case-insensitive: also "password", "compass"
        count = sum("pass" in line.lower() for line in doc.code_lines)
    else:
        count = sum(_PASS.search(line) is not None for line in doc.code_lines)
    return per_code_line(doc, count) or 0.0


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
