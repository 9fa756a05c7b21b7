"""MultiPL-E benchmarks built from the Python originals: `multipl-humaneval-<lang>` and `multipl-mbpp-<lang>`.

MultiPL-E's method (Cassano et al., 2023), reimplemented here:
- **The prompt** is one Python function whose body is a docstring: a problem whose prompt defines anything
  else (a helper function) is dropped. Its signature is translated (names; in typed languages, types from the
  Python annotations) and its docstring becomes a comment, with each doctest (`>>> call` and the next line)
  translated as an expression of the target language ("transform"; a doctest that cannot be translated drops
  the problem). The wording of the docstring is kept as it is (MultiPL-E's "keep" terminology).
- **The tests**: `check(candidate)` may only hold `assert candidate(...) == value` statements (and prints,
  which are skipped); any other statement drops the problem. Each becomes the language's deep equality.
- **MBPP** comes from the sanitized set, as MultiPL-E takes it: tasks that need test imports or compare sets
  are left out; the prompt is the reference solution's signature with the task text as docstring.
- **A program** is prompt + completion + "\\n" + tests; **stop sequences** are MultiPL-E's per language; pass@k
  is the unbiased estimator over samples, as for Python.

Equality follows MultiPL-E's per-language choice: JavaScript `assert.deepEqual` (tuples are arrays, dicts are
objects, None is undefined), PHP `!==` on arrays (so 1.0 and 1 differ, as in MultiPL-E).
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import Any

_LINE_START = re.compile(r"\n(\s*)")
_DOCTEST = re.compile(r">>>.*\n.*\n")


class Untranslatable(ValueError):
    """A problem outside the method: dropped, and counted with this reason."""


@dataclass(frozen=True)
class Problem:
    """A Python problem in MultiPL-E's shape: one function with a docstring, and its assertions."""

    task_id: str
    name: str
    args: list[ast.arg]
    returns: ast.expr | None
    description: str
    cases: list[tuple[ast.expr, ast.expr]]  # (call, expected value)


class Translator:
    """One target language: how literals, calls, the prompt and the test suite are written."""

    language = ""
    stop: tuple[str, ...] = ()

    def literal(self, value: Any) -> str:
        raise NotImplementedError

    def sequence(self, items: list[str]) -> str:
        raise NotImplementedError

    def mapping(self, keys: list[str], values: list[str]) -> str:
        raise NotImplementedError

    def call(self, name: str, args: list[str]) -> str:
        return f"{name}({', '.join(args)})"

    def prompt(self, problem: Problem, description: str) -> str:
        raise NotImplementedError

    def suite(self, entry_point: str, cases: list[tuple[str, str]]) -> str:
        raise NotImplementedError

    def stub(self) -> str:
        """A body that compiles and fails the tests: a wrong value, or (Java) an exception."""
        raise NotImplementedError

    def expr(self, node: ast.expr) -> str:
        """Translate the Python expressions tests and doctests use: literals, lists, tuples, dicts, calls."""
        match node:
            case ast.Constant(value=bool() | int() | float() | str() | None as value):
                return self.literal(value)
            case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=value)) if isinstance(value, int | float):
                return self.literal(-value)
            case ast.Name(id=name):
                return name
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                return self.sequence([self.expr(e) for e in elts])
            case ast.Dict(keys=keys, values=values) if all(_scalar(k) for k in keys):  # object/array keys
                return self.mapping([self.expr(k) for k in keys], [self.expr(v) for v in values])  # type: ignore[arg-type]
            case ast.Call(func=ast.Name(id=name), args=args, keywords=[]):
                return self.call(name, [self.expr(a) for a in args])
            case ast.BinOp() | ast.UnaryOp() if (simpler := folded(node)) is not node:
                return self.expr(simpler)
        raise Untranslatable(f"expression not translated: {ast.unparse(node)[:80]}")

    def comment(self, text: str, marker: str) -> str:
        return marker + _LINE_START.sub("\n" + marker, text.strip()) + "\n"

    def doctests(self, description: str) -> str:
        """The docstring with each `>>> call` / result pair translated."""
        out, pos = [], 0
        for match in _DOCTEST.finditer(description):
            out.append(description[pos : match.start()])
            call_line, result_line = match.group(0).split("\n")[:2]
            try:
                call = ast.parse(call_line.strip().removeprefix(">>>").strip(), mode="eval").body
                result = folded(ast.parse(result_line.strip(), mode="eval").body)
                out.append(f">>> {self.expr(call)}\n    {self.expected(result)}\n")
            except (SyntaxError, Untranslatable):
                out.append(match.group(0))  # a doctest that is not `call` / value (a None result) stays as it is
            pos = match.end()
        return "".join(out) + description[pos:]

    def translate(self, problem: Problem) -> tuple[str, str]:
        """(prompt, test suite) in this language."""
        description = self.doctests(problem.description)
        cases = [(self.expr(call), self.expected(expected)) for call, expected in problem.cases]
        return self.prompt(problem, description), self.suite(self.function_name(problem.name), cases)

    def expected(self, node: ast.expr) -> str:
        """An expected result (typed languages write it as the function's return type)."""
        return self.expr(node)

    def function_name(self, name: str) -> str:
        """The entry point's name in this language (Java and C# change its case)."""
        return name


class JavaScript(Translator):
    language = "javascript"
    stop = ("\nfunction ", "\n/*", "\n//", "\nconsole.log")

    def literal(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "undefined"
        if isinstance(value, str):
            return quoted(value)
        return repr(value)

    def sequence(self, items: list[str]) -> str:
        return "[" + ", ".join(items) + "]"

    def mapping(self, keys: list[str], values: list[str]) -> str:
        return "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, values, strict=True)) + "}"

    def prompt(self, problem: Problem, description: str) -> str:
        args = ", ".join(a.arg for a in problem.args)
        return self.comment(description, "//") + f"function {problem.name}({args}){{\n"

    def suite(self, entry_point: str, cases: list[tuple[str, str]]) -> str:
        lines = ["const assert = require('node:assert');", "", "function test() {", f"  let candidate = {entry_point};"]
        lines += [f"  assert.deepEqual({call},{expected});" for call, expected in cases]
        return "\n".join([*lines, "}", "", "test();", ""])

    def stub(self) -> str:
        return "  return null;\n}\n"


class PHP(Translator):
    language = "php"
    stop = ("\nfunction", "\n?>", "\n//", "\n#")

    def literal(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "null"
        if isinstance(value, str):
            return quoted(value).replace("$", "\\$")
        return repr(value)

    def sequence(self, items: list[str]) -> str:
        return "array(" + ", ".join(items) + ")"

    def mapping(self, keys: list[str], values: list[str]) -> str:
        return "array(" + ", ".join(f"{k} => {v}" for k, v in zip(keys, values, strict=True)) + ")"

    def prompt(self, problem: Problem, description: str) -> str:
        args = ", ".join("$" + a.arg for a in problem.args)
        return "<?php\n" + self.comment(description, "// ") + f"function {problem.name}({args}) {{\n"

    def suite(self, entry_point: str, cases: list[tuple[str, str]]) -> str:
        lines = ["function candidate(...$args) {", f"    return {entry_point}(...$args);", "}", "",
                 "function test(): void {"]  # fmt: skip
        lines += [
            f'    if ({call} !== {expected}) {{ throw new Exception("Test failed!"); }}' for call, expected in cases
        ]
        return "\n".join([*lines, "}", "", "test();", ""])

    def stub(self) -> str:
        return "    return null;\n}\n"


class Bash(Translator):
    """Bash has only strings: MultiPL-E's encoding passes a list as its elements separated by spaces, a list of
    lists as rows separated by newlines, a dict as `key,value` lines; a call is `$(f "arg" ...)` and a test
    compares strings, `[[ "$(candidate ...)" = "expected" ]]`. Values the encoding cannot hold (an element with
    whitespace, deeper nesting, a dict of lists) drop the problem. The function's closing brace is a stop
    sequence, so the test suite opens with it."""

    language = "bash"
    stop = ("\n}",)

    def expr(self, node: ast.expr) -> str:
        match node:
            case ast.Call(func=ast.Name(id=name), args=args, keywords=[]):
                return "$(" + " ".join([name, *(_bash_quote(self.encode(a)) for a in args)]) + ")"
        return _bash_quote(self.encode(node))

    def encode(self, node: ast.expr, depth: int = 0) -> str:
        """The string a value is passed as."""
        match node:
            case ast.Constant(value=bool() as value):
                return "true" if value else "false"
            case ast.Constant(value=None):
                return "None"
            case ast.Constant(value=int() | float() | str() as value):
                return value if isinstance(value, str) else repr(value)
            case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float() as value)):
                return repr(-value)
            case ast.BinOp() | ast.UnaryOp() if (simpler := folded(node)) is not node:
                return self.encode(simpler, depth)
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                if depth > 1 or any(isinstance(e, ast.Dict) for e in elts):
                    raise Untranslatable("a list the bash encoding cannot hold (nested twice, or of dicts)")
                nested = bool(elts) and all(isinstance(e, ast.List | ast.Tuple) for e in elts)
                items = [self.encode(e, depth + 1) for e in elts]
                if not nested and any(any(c.isspace() for c in item) for item in items):
                    raise Untranslatable("a list element with whitespace")
                return ("\n" if nested else " ").join(items)
            case ast.Dict(keys=keys, values=values) if depth == 0 and all(_scalar(k) for k in keys):
                if not all(isinstance(v, ast.Constant | ast.UnaryOp) for v in values):
                    raise Untranslatable("a dict of collections")
                return "\n".join(f"{self.encode(k, 1)},{self.encode(v, 1)}" for k, v in zip(keys, values, strict=True))  # type: ignore[arg-type]
        raise Untranslatable(f"expression not translated: {ast.unparse(node)[:80]}")

    def prompt(self, problem: Problem, description: str) -> str:
        return "#!/bin/bash\n" + self.comment(description, "# ") + f"{problem.name}() {{\n"

    def suite(self, entry_point: str, cases: list[tuple[str, str]]) -> str:
        lines = ["}", "", "candidate() {", f'    {entry_point} "$@"', "}", "", "set -e", "run_test() {"]
        lines += [f'    [[ "{call}" = {expected} ]]' for call, expected in cases]
        return "\n".join([*lines, "}", "", "run_test", ""])

    def stub(self) -> str:
        return "    echo 0"


def _bash_quote(text: str) -> str:
    """A double-quoted bash word holding text exactly (newlines included)."""
    return '"' + "".join("\\" + c if c in '\\"$`' else c for c in text) + '"'


def _scalar(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str | int) and not isinstance(node.value, bool)


def quoted(text: str) -> str:
    """A double-quoted string literal, escaped as C-family languages read it."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def humaneval_problem(task_id: str, prompt: str, test: str, entry_point: str) -> Problem:
    """A HumanEval task in MultiPL-E's shape, or Untranslatable."""
    functions = [n for n in ast.parse(prompt + "    pass\n").body if isinstance(n, ast.FunctionDef)]
    if len(functions) != 1:
        raise Untranslatable("the prompt defines more than one function")
    fn = functions[0]
    match fn.body:
        case [ast.Expr(value=ast.Constant(value=str() as description)), ast.Pass()]:
            pass
        case _:
            raise Untranslatable("the prompt's function is not a docstring alone")
    return Problem(task_id, fn.name, fn.args.args, fn.returns, description, _cases(test, "candidate"))


def mbpp_problem(task_id: str, text: str, code: str, tests: list[str], imports: list[str]) -> Problem:
    """A sanitized-MBPP task as MultiPL-E builds it: the reference's signature, the task text as docstring."""
    if imports or (tests and "set" in tests[0]):
        raise Untranslatable("tests need imports or compare sets")
    with warnings.catch_warnings():  # some references hold invalid escapes such as "\w"
        warnings.simplefilter("ignore")
        functions = {n.name: n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)}
    entry = next((name for name in functions if name in (tests[0] if tests else "")), None)
    if entry is None:
        raise Untranslatable("no function of the reference is tested")
    fn = functions[entry]
    test = "def check(candidate):\n" + "".join(f"    {t.replace(entry, 'candidate')}\n" for t in tests)
    return Problem(task_id, entry, fn.args.args, fn.returns, text, _cases(test, "candidate"))


def _cases(test: str, candidate: str) -> list[tuple[ast.expr, ast.expr]]:
    """The `assert candidate(...) == value` statements of check(); anything else drops the problem.

    MultiPL-E translates from originals it cleaned by hand; the same cleaning, done mechanically here, keeps
    most problems it kept: `assert True` is no test and is skipped; `assert f(x)`, `assert not f(x)` and
    `assert f(x) is True` are equalities with a boolean; expected values written as constant arithmetic
    (`3 * 19`) are folded. `abs(f(x) - y) < tol` has no exact translation and is skipped (MultiPL-E put exact
    values there by hand)."""
    body = [n for n in ast.parse(test).body if not isinstance(n, ast.Assign)]
    match body:
        case [ast.FunctionDef(name="check", body=statements)]:
            pass
        case _:
            raise Untranslatable("the tests are not one check() function")
    cases = []
    for node in statements:
        match node:
            case ast.Assert(test=ast.Constant(value=True)) | ast.Expr(value=ast.Call(func=ast.Name(id="print"))):
                continue
            case ast.Assert(test=ast.Compare(left=left, ops=[ast.Eq() | ast.Is()], comparators=[right])):
                cases.append((left, folded(right)))
            case ast.Assert(test=ast.Compare(left=ast.Call(func=ast.Name(id="abs")), ops=[ast.Lt()])):
                continue  # a tolerance is no equality: MultiPL-E rewrote these by hand with exact values
            case ast.Assert(test=ast.UnaryOp(op=ast.Not(), operand=ast.Call() as call)):
                cases.append((call, ast.Constant(False)))
            case ast.Assert(test=ast.Call(func=ast.Name(id=name)) as call) if name == candidate:
                cases.append((call, ast.Constant(True)))
            case _:
                raise Untranslatable(f"a test is not `assert f(x) == y`: {ast.unparse(node)[:80]}")
    if not cases:
        raise Untranslatable("no test")
    if not all(isinstance(left, ast.Call) and ast.unparse(left.func) == candidate for left, _ in cases):
        raise Untranslatable("a test does not compare the function's result itself")  # `tuple(candidate(x))`
    if any(isinstance(n, ast.Call) for _, right in cases for n in ast.walk(right)):
        raise Untranslatable("an expected value is computed by a call")  # `== tuple(sort_third(x))`
    return cases


def folded(node: ast.expr) -> ast.expr:
    """Constant arithmetic (`3 * 5 * 7`, `'ab' + 'c'`, `2.0 / 3.0`) as its value; anything else unchanged."""
    if not isinstance(node, ast.BinOp | ast.UnaryOp):
        return node
    allowed = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop, ast.expr_context)
    if not all(isinstance(n, allowed) for n in ast.walk(node)):
        return node
    try:
        value = eval(compile(ast.Expression(node), "<test>", "eval"), {"__builtins__": {}})  # constants only
    except (ArithmeticError, TypeError, ValueError, MemoryError):
        return node
    return ast.Constant(value)
