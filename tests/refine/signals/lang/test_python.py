"""Python signals on hand-made snippets (expected values worked out by hand in the comments), and the fast tree walk
and line patterns against the definitions they replace, on snippets, generated text and real files."""

import ast
import re
from types import SimpleNamespace

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from opencoder.refine.signals import kernel, python
from opencoder.refine.signals.document import CodeDocument
from opencoder.refine.signals.text import count_matching_lines, split_lines

# Pieces of lines for generated text: keywords, separators, and whitespace the patterns must treat like Python's
# per-line loop did ("\r", form feed, "\x1c" and NEL are whitespace to str.isspace, and only "\n" ends a line)
LINE_TOKENS = ["pass", "import", "from", "print", "PASS", "Import", "İ", "x", "os", ".", ":", ";", " ", "\t", "\n"]
LINE_TOKENS += ["\n", "\r", "\x0c", "\x1c", "\x1f", "\x85", "\u2028", "\xa0", "password", "printf", "return"]

SRC = """import os
from sys import path


class A:
    x = 1
    y: int = 2

    def f(self):
        return self.x


def g(a):
    for i in range(a):
        print(i)
    pass
"""
# 11 code lines: import os | from sys import path | class A: | x = 1 | y: int = 2 | def f(self): | return self.x
#                def g(a): | for i in range(a): | print(i) | pass


def test_python_signals(signals):
    s = signals(SRC, "python")
    assert len(s) == 8
    assert s["cate_ast"] == 1.0
    assert s["frac_lines_func_ratio"] == round(2 / 11, 8)  # f, g
    assert s["cate_var_zero"] == 0.0  # x = 1 assigns a Name
    assert s["frac_lines_pass"] == round(1 / 11, 8)
    assert s["frac_lines_import"] == round(2 / 11, 8)
    assert s["frac_lines_simplefunc"] == round(1 / 11, 8)  # f's body is a single return
    # 2 functions + 2 import lines + 1 class + 1 "return ..." line + 2 class-body assignments (x, y) = 8
    assert s["score_lines_no_logic"] == round(8 / 11, 8)
    assert s["frac_lines_print"] == round(1 / 11, 8)


def test_comments_and_docstrings_are_not_code_lines(signals):
    # code lines: def f(): | pass  -> pass 1/2; the docstring and the comment do not count
    s = signals('def f():\n    """Doc."""\n    # pass the test\n    pass\n', "python")
    assert s["frac_lines_pass"] == 0.5
    assert s["cate_var_zero"] == 1.0  # no assignment, no for target, no arguments


# 3 code lines; "password", "reprint" and "important" hold the substrings the released code counts
SUBSTRINGS = "password = get()\nreprint(password)\nimportant = 1\n"


@pytest.mark.parametrize(
    ("compat", "expected"),
    [
        ("opc", {"pass": round(2 / 3, 8), "print": round(1 / 3, 8), "import": round(1 / 3, 8)}),
        ("fixed", {"pass": 0.0, "print": 0.0, "import": 0.0}),
    ],
)
def test_substring_matches_only_in_opc(signals, compat, expected):
    s = signals(SUBSTRINGS, "python", compat)
    assert {k: s[f"frac_lines_{k}"] for k in expected} == expected


def test_parse_failure_gives_documented_values(signals):
    s = signals("def f(:\n    return 1\n", "python")
    assert s["cate_ast"] == 0.0
    for name in ("frac_lines_func_ratio", "cate_var_zero", "frac_lines_simplefunc", "score_lines_no_logic"):
        assert s[name] is None
    assert s["frac_lines_print"] == 0.0  # line signals do not need the tree


def test_parser_breaking_nesting_is_a_parse_failure(signals):
    deep = "x = " + "1+" * 200_000 + "1\n"  # RecursionError inside ast.parse
    assert signals(deep, "python")["cate_ast"] == 0.0
    assert signals("x = " + "-" * 200_000 + "1\n", "python")["cate_ast"] == 0.0  # MemoryError in the parser
    assert signals("x = 1\0\n", "python")["cate_ast"] == 0.0  # NUL byte: ValueError/SyntaxError


def test_nested_class_members_are_not_counted(signals):
    # lines: class A: | class B: | y = 1 | x = 2  -> 2 classes + 1 simple var (x; B is nested in A) = 3 / 4
    assert signals("class A:\n    class B:\n        y = 1\n    x = 2\n", "python")["score_lines_no_logic"] == 0.75


# ---------------------------------------------------------------- the fast paths against the definitions they replace

_REFERENCE_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")
_REFERENCE_LINES = {  # per code line, as defined before the one-pass patterns (and in the released code for opc)
    ("fixed", "import"): lambda line: regex.match(r"^\s*(?:import\s|from\s+\S+\s+import\b)", line) is not None,
    ("fixed", "pass"): lambda line: regex.search(r"(?:^|[:;])\s*pass\s*(?:;|$)", line) is not None,
    ("opc", "import"): lambda line: "import" in line.lower(),
    ("opc", "pass"): lambda line: "pass" in line.lower(),
}


_SIMPLE_RETURN_BEFORE = re.compile(r"^[^\S\n]*return(?:\s+.+)?\s*$", re.MULTILINE)  # in the stdlib re


def _reference_facts(tree: ast.Module) -> python.TreeFacts:
    """The walk as first written: every statement's five statement-list fields looked up by name."""
    facts = python.TreeFacts()
    stack = [(tree, False)]
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
                facts.class_simple_vars += python._class_simple_vars(node)
        elif kind is ast.Assign:
            facts.has_variables |= any(isinstance(t, ast.Name) for t in node.targets)
        elif kind is ast.For:
            facts.has_variables |= isinstance(node.target, ast.Name)
        for field in _REFERENCE_STATEMENT_LISTS:
            stack.extend((child, in_class or kind is ast.ClassDef) for child in getattr(node, field, ()))
    return facts


def _line_counts(doc) -> dict:
    """Per pattern: (its count over the code text, the per-line reference's count over the non-blank lines)."""
    lines = [line for line in split_lines(doc.code_text) if not line.isspace()]
    fast = {("fixed", "import"): python._IMPORT_LINE, ("fixed", "pass"): python._PASS}
    fast |= {("opc", "import"): python._IMPORT_OPC, ("opc", "pass"): python._PASS_OPC}
    return {
        key: (
            count_matching_lines(doc.code_text.lower() if key[0] == "opc" else doc.code_text, pattern),
            sum(map(_REFERENCE_LINES[key], lines)),
        )
        for key, pattern in fast.items()
    }


NESTING = """import a, b.c as d
from . import e
class Outer:
    n: int = 0
    m = k = 1
    class Inner:
        z = 2
    def method(self, q):
        class Local:
            w = 3
        return q
async def coroutine():
    def inside():
        return
    async for i in x:
        pass
    async with y as v:
        def deeper(): return 1
try:
    def in_try(): pass
except ValueError as err:
    def in_handler(u): return u
else:
    for j in range(3): r = j
finally:
    class InFinally: pass
try:
    pass
except* OSError:
    def in_star(): return 2
while t:
    def in_while(): return t
else:
    def in_while_else(): ...
match command:
    case [x, y]:
        def in_case(): return x
    case _:
        class InCase: s = 1
if p:
    lambda_ = lambda: 1
elif q:
    def in_elif(): return
"""


@pytest.mark.parametrize("compat", ["fixed", "opc"])
def test_tree_walk_and_line_counts_equal_the_reference_on_nested_code(compat):
    doc = CodeDocument(NESTING, lang="python", compat=compat)
    assert python.tree_facts(doc) == _reference_facts(ast.parse(NESTING))
    assert python.tree_facts(doc).functions == 10  # every def but the async one
    assert all(fast == slow for fast, slow in _line_counts(doc).values())
    assert len(python._SIMPLE_RETURN.findall(NESTING)) == len(_SIMPLE_RETURN_BEFORE.findall(NESTING))


@pytest.mark.parametrize(
    ("text", "var_zero"),
    [
        ("for i in x:\n    print(i)\n", 0.0),  # a for-loop Name target is a variable
        ("for a.b in x:\n    pass\n", 1.0),  # an attribute target is not
        ("async def f():\n    async for i in x:\n        pass\n", 1.0),  # async for: not counted (as released)
        ("def f(a):\n    return a\n", 0.0),  # a positional argument is a variable
        ("def f(*a, b=1):\n    return b\n", 1.0),  # *args and keyword-only ones are not
        ("if x:\n    pass\nelse:\n    y = 1\n", 0.0),  # found in an else branch
        ("x.y = 1\nz[0] = 2\n(a, b) = c\n", 1.0),  # only Name targets count
    ],
)
def test_variables_as_the_reference_walk_finds_them(signals, text, var_zero):
    assert signals(text, "python")["cate_var_zero"] == var_zero
    assert python.tree_facts(CodeDocument(text, lang="python")) == _reference_facts(ast.parse(text))


def test_tree_walk_and_line_counts_equal_the_reference_on_real_files(corpus):
    files = corpus("python-stdlib", ".py", 600_000, largest=30_000)
    assert len(files) > 20  # the standard library of the interpreter running the tests
    parsed = 0
    for path, text in files:
        doc = CodeDocument(text, lang="python", path=path)
        facts = python.tree_facts(doc)
        if facts is not None:
            assert facts == _reference_facts(ast.parse(text)), path
            parsed += 1
        for key, (fast, slow) in _line_counts(doc).items():
            assert fast == slow, (path, key)
        assert len(python._SIMPLE_RETURN.findall(text)) == len(_SIMPLE_RETURN_BEFORE.findall(text)), path
    assert parsed > len(files) / 2


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINE_TOKENS), max_size=40).map("".join))
@example("import\nx\nfrom a\nimport b\nx:\npass\n\x1creturn\n\nx\n")  # line ends inside would-be matches
def test_line_patterns_count_what_the_per_line_definitions_count(text):
    doc = SimpleNamespace(code_text=text)
    assert all(fast == slow for fast, slow in _line_counts(doc).values())
    assert len(python._SIMPLE_RETURN.findall(text)) == len(_SIMPLE_RETURN_BEFORE.findall(text))


# ---------------------------------------------------------------- the kernel's token scan against the tree walk

TOKEN_EDGE_CASES = [
    "def f(a=lambda x, *y: 0, /): return a\n",  # a lambda's "," and "*" inside a default; a is positional-only
    "def f(a=lambda x, y: 0, /, b=1):\n    return b\n",  # b after "/": a positional-or-keyword parameter
    "def f(*, a=lambda x=1: x): pass\n",  # keyword-only behind "*"
    "def f(a: Dict[str, int] = {'k': (1, 2)}, **kw) -> Tuple[int, ...]:\n    return a\n",
    "def f(self, /): pass\ndef g(**kw): pass\ndef h(*args): return args\n",
    "x = lambda a=1: a\ny = lambda: (z := 1)\nlambda b=2: b\n",  # lambda defaults are not assignments
    "f: Callable = lambda x: x\ng = h = 3\n(i) = 4\n((j)) = 5\nk, = 6\n[l] = 7\n",
    "class A:\n    a: int\n    (b): int = 1\n    c = d = 2\n    e.f = 3\n    g += 4\n    h, i = 5, 6\n",
    "class A: x = 1; y: int = 2; z = 3\nclass B(metaclass=M): pass\n",
    "class A:\n    if x:\n        y = 1\n    def m(self):\n        class C:\n            z = 1\n        return self\n",
    "def outer():\n    class Local:\n        v = 1\n    return Local\n",  # a class in a def (no class above) counts
    'if"a" in x: y = 1\n',  # keywords glued to a string,
    "while(x): z = 2\n",  # to a parenthesis
    "for(i)in y: pass\n",
    "x = '''a = 1\ndef f(): return 1\n''' + r'\\'' + \"#\" + f'{y!r:>{w}}' + b'\\\\'\n",  # statements in strings
    "# def f(a): return a\nx = 1  # class B: pass\n",
    "def f():\n    return (1 +\n            2)\n",  # a return over several physical lines
    "def f():\n    return 1 \\\n        + 2\n",  # and over a backslash continuation
    "def f():\n    '''doc'''\n    return 1\n",  # a docstring makes two statements
    "def f():\n    return 1\n    x = 2\n",
    "def f(): return 1;\ndef g(): return 1; x = 2\n",  # a trailing ";" and two statements on one line
    "@decorator(a=1)\ndef f(b):\n    @inner\n    def g(): return 1\n    return g\n",
    "async def f(a):\n    x = 1\n    async for i in y: pass\n    async with z as w: v = 2\n",
    "def f():\n\tif x:\n\t\treturn 1\n\treturn 2\n",  # tabs
    "def f():\r\n    return 1\r\nclass A:\r\n    x = 1\r\n",  # CRLF
    "def f():\n    return 1\n\x0c\ndef g():\n  return 2\n",  # a form feed between definitions
    "match = 1\nmatch(x)\nmatch[x]: int = 1\n",  # "match" as a name
    "match x:\n    case [a, b] if (lambda: a)():\n        y = 1\n    case {'k': v}: z = 2\n    case _:\n        pass\n",
    "match (x):\n    case 1:\n        def f(): return 1\n",
    "try:\n    x = 1\nexcept* (A, B) as e:\n    pass\nelse: y = 2\nfinally: z = 3\n",
    "with open(a) as f, open(b) as g: h = 1\n",
    "x = [i for i in y]\nfor (j) in z: pass\nfor k, l in z: pass\nfor m.n in z: pass\n",
    "x = 1 if y else 2\nz = 0x1f; w = 1_000.5e-3j\n",
    "def f():\n    return\ndef g():\n    pass\n",
    "x = {'a': lambda: 1, 'b': 2}\ny = x[1:2]\nprint(a, file=b, end='=')\n",
    "if x:\n    pass\n\n    # comment\n\n    y = 1\nz = 2\n",  # blank and comment lines inside a block
    "def ñame(ärg):\n    return ärg\nclass Ünïcode:\n    ß = 1\n",
    'x = rf\'\\{{"\' + f"\\N{BULLET}"\ndef f(a): return a\ny = "s"\n',  # a backslash does not escape a field's brace
    # f-string fields: strings, format specs with fields, a quote of the other kind, an escaped brace
    'x = f"{\'}\'}" + f"{y:{\'>\'}{w}}" + f\'{d["k"]}\' + f"""{\'"\'}""" + f"{{"\ndef f(a): return a\n',
    "",
]


# Python 3.12 syntax (fields that reuse their string's quote, a comment inside a field, type parameters), with the
# counts worked out by hand: the scan does not need the running Python to parse it
PYTHON_312_CASES = [
    ('x = f"{"\'"}"\ndef f(a): return a\n', (1, 1, 0, 0, True)),
    ("w = f'{d['k']}'\nclass D:\n    z = f'{'}'}'\n", (0, 0, 1, 1, True)),
    ('s = f"""{x  # a comment with a quote: \'\n}"""\ndef h(): return 1\n', (1, 1, 0, 0, True)),
    ("def k[T](): return 1\n", (1, 1, 0, 0, False)),
    ("def m[T](a: T): return a\n", (1, 1, 0, 0, True)),
]


def _scan(text: str) -> python.TreeFacts:
    return python.TreeFacts(*kernel.python_facts(text))


@pytest.mark.parametrize("text", TOKEN_EDGE_CASES)
def test_token_scan_counts_what_the_tree_walk_counts(text):
    assert _scan(text) == _reference_facts(ast.parse(text))


@pytest.mark.parametrize(("text", "facts"), PYTHON_312_CASES)
def test_token_scan_reads_python_312_strings_and_type_parameters(text, facts):
    assert kernel.python_facts(text) == facts


_BLOCK_HEADERS = ["def f(a):", "def g():", "async def h():", "class C:", "if x:", "for i in y:", "with a:"]
_SIMPLE = ["return 1", "return", "x = 1", "y: int = 2", "a = b = 3", "pass", "print(x)", "f = lambda q=1: q"]


@st.composite
def programs(draw) -> str:
    """Valid modules of nested blocks, each header with its body on its line or indented below it."""
    lines, depth = [], 0
    for _ in range(draw(st.integers(1, 25))):
        if draw(st.booleans()) and depth < 6:
            header = draw(st.sampled_from(_BLOCK_HEADERS))
            if draw(st.booleans()):
                body = draw(st.lists(st.sampled_from(_SIMPLE), min_size=1, max_size=3))
                lines.append("    " * depth + header + " " + "; ".join(body))
            else:
                lines.append("    " * depth + header)
                depth += 1
                lines.append("    " * depth + draw(st.sampled_from(_SIMPLE)))
        else:
            lines.append("    " * depth + "; ".join(draw(st.lists(st.sampled_from(_SIMPLE), min_size=1, max_size=3))))
        depth = draw(st.integers(0, depth))
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(programs())
def test_token_scan_counts_what_the_tree_walk_counts_on_generated_modules(text):
    assert _scan(text) == _reference_facts(ast.parse(text))


def test_token_scan_stays_in_bounds_on_text_that_does_not_parse():
    broken = ["def f(:\n", "'''unterminated", "x = (((", ")))\n", "\\", "@", "class", "for x", "'\\", "\0\n"]
    nested = ['f"{' * 100_000, 'f"{x:{' * 100_000, "f'{\"" * 100_000]  # past the cap on nesting: no deep recursion
    for text in broken + nested:
        assert all(n >= 0 for n in kernel.python_facts(text))


@pytest.mark.parametrize("text", ["from __future__ import braces\n", "nonlocal x\n", "def f(a, a):\n    return a\n"])
def test_what_only_the_symbol_table_refuses_is_decided_by_ast_parse(text):
    doc = CodeDocument(text, lang="python")
    assert python.cate_ast(doc) == 1.0  # ast.parse accepts it, as the released signal does
    assert python.tree_facts(doc) == _reference_facts(ast.parse(text))
