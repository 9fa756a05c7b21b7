"""MultiPL-E's statically typed targets: C++, Java, C# and TypeScript.

The signature's types come from `multiple_types.signature` and are written as MultiPL-E writes them: int is a
64-bit `long` and float a single-precision `float` (C++, Java, C#) or `number` (TypeScript); lists are
`std::vector` / `ArrayList` / `List` / `T[]`, tuples `std::tuple` / javatuples `Pair` / `Tuple` / `[A, B]`,
dicts `std::map` / `HashMap` / `Dictionary` / `{[key: K]: V}`, Optional `std::optional` / `Optional` /
`Nullable` (C# value types; a reference type is nullable already) / `T | undefined`. Every value in a test
is written as its declared type (MultiPL-E's coercions: `1` passed as a float is `1.0f`). Any and Union have
no typed equality outside TypeScript and drop the problem.

Equality is MultiPL-E's: C++ `==` (structural on vectors, tuples, maps, optionals; floats exactly), Java `==`
on primitives and `.equals` otherwise, TypeScript `assert.deepEqual`, C# `==` on primitives. For C#'s
objects MultiPL-E writes `.Equals`, which is reference equality on `List` and `Dictionary`, so that no list
answer can pass (nuprl/MultiPL-E issue #71); the suite here compares them element by element instead.
"""

from __future__ import annotations

import ast
import math
from typing import ClassVar

from opencoder.eval.multiple import JavaScript, Problem, Translator, Untranslatable, folded, quoted
from opencoder.eval.multiple_types import Signature, Type, signature

# Argument names that are reserved words in the target: MultiPL-E's renamings, else a trailing underscore.
_RENAMED = {"operator": "op", "strlen": "string_length", "string": "str", "base": "numBase", "decimal": "decimalNum"}
_RESERVED = {
    "cpp": {"operator", "strlen", "char", "delete", "new", "int", "long", "float", "double", "bool", "union"},
    "java": {"char", "new", "int", "long", "float", "double", "boolean", "class", "final", "default"},
    "csharp": {"operator", "string", "base", "decimal", "char", "new", "int", "long", "float", "double", "bool",
               "object", "params", "in", "out", "ref", "lock", "event", "fixed", "checked", "class", "default"},
}  # fmt: skip


class Typed(Translator):
    """C++, Java and C#: every value is written as its declared type; the tests call the function by name."""

    scalars: ClassVar[dict[str, str]] = {}
    primitives: tuple[str, ...] = ()
    sig: Signature
    entry: str

    def translate(self, problem: Problem) -> tuple[str, str]:
        self.sig = signature(problem)  # one problem at a time: its types guide every value below
        self.entry = problem.name
        for t in (*self.sig.args, self.sig.returns):
            self.type_name(t)  # a type the language cannot write drops the problem before its values are tried
        return super().translate(problem)

    def type_name(self, t: Type) -> str:
        if t.kind in self.scalars:
            return self.scalars[t.kind]
        inner = [self.type_name(a) for a in t.args]
        match t.kind:
            case "list":
                return self.list_type(inner[0])
            case "tuple":
                return self.tuple_type(inner)
            case "dict":
                return self.dict_type(inner[0], inner[1])
            case "optional":
                return self.optional_type(inner[0])
        raise Untranslatable(f"no {self.language} type for {t}")

    def variable(self, name: str) -> str:
        if name in _RESERVED[self.language]:
            return _RENAMED.get(name, name + "_")
        return name

    def parameters(self, problem: Problem) -> str:
        types = [self.type_name(t) for t in self.sig.args]
        return ", ".join(f"{t} {self.variable(a.arg)}" for t, a in zip(types, problem.args, strict=True))

    def expr(self, node: ast.expr) -> str:
        """Outside values, tests and doctests hold calls of the function only."""
        match node:
            case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if len(args) == len(self.sig.args):
                return self.call(name, [self.value(a, t) for a, t in zip(args, self.sig.args, strict=True)])
        raise Untranslatable(f"expression not translated: {ast.unparse(node)[:80]}")

    def expected(self, node: ast.expr) -> str:
        return self.value(node, self.sig.returns)

    def value(self, node: ast.expr, t: Type) -> str:
        """A test's literal written as type t."""
        node = folded(node)
        match t.kind, node:
            case "optional", ast.Constant(value=None):
                return self.none(t.args[0])
            case "optional", _:
                return self.some(self.value(node, t.args[0]), t.args[0])
            case "int", ast.Constant(value=int() as v) if not isinstance(v, bool) and -(2**63) <= v < 2**63:
                return self.integer(v)
            case "float", ast.Constant(value=int() | float() as v) if not isinstance(v, bool) and math.isfinite(v):
                return repr(float(v)) + "f"
            case "bool", ast.Constant(value=bool() as v):
                return "true" if v else "false"
            case "str", ast.Constant(value=str() as v):
                return quoted(v)
            case "list", ast.List(elts=elts) | ast.Tuple(elts=elts):
                return self.list_value(self.type_name(t.args[0]), [self.value(e, t.args[0]) for e in elts])
            case "tuple", ast.Tuple(elts=elts) | ast.List(elts=elts) if len(elts) == len(t.args):
                return self.tuple_value([self.value(e, a) for e, a in zip(elts, t.args, strict=True)])
            case "dict", ast.Dict(keys=keys, values=values) if None not in keys:
                pairs = [
                    (self.value(k, t.args[0]), self.value(v, t.args[1])) for k, v in zip(keys, values, strict=True)
                ]  # type: ignore[arg-type]
                return self.dict_value(self.type_name(t), pairs)
        raise Untranslatable(f"{ast.unparse(node)[:60]} is not a {t}")

    def primitive(self) -> bool:
        return self.type_name(self.sig.returns) in self.primitives

    def integer(self, v: int) -> str:
        return repr(v)

    def list_type(self, elem: str) -> str:
        raise NotImplementedError

    def tuple_type(self, elems: list[str]) -> str:
        raise NotImplementedError

    def dict_type(self, key: str, value: str) -> str:
        raise NotImplementedError

    def optional_type(self, inner: str) -> str:
        raise NotImplementedError

    def list_value(self, elem: str, items: list[str]) -> str:
        raise NotImplementedError

    def tuple_value(self, items: list[str]) -> str:
        raise NotImplementedError

    def dict_value(self, dict_type: str, pairs: list[tuple[str, str]]) -> str:
        raise NotImplementedError

    def none(self, inner: Type) -> str:
        raise NotImplementedError

    def some(self, value: str, inner: Type) -> str:
        return value


class Cpp(Typed):
    """The function's closing brace is the stop sequence, so the suite opens with it; `assert` is a macro, so
    each argument and expected value is in parentheses (a `std::map<K,V>` holds a comma)."""

    language = "cpp"
    stop = ("\n}",)
    scalars: ClassVar[dict[str, str]] = {"int": "long", "float": "float", "bool": "bool", "str": "std::string"}

    def list_type(self, elem: str) -> str:
        return f"std::vector<{elem}>"

    def tuple_type(self, elems: list[str]) -> str:
        return f"std::tuple<{', '.join(elems)}>"

    def dict_type(self, key: str, value: str) -> str:
        return f"std::map<{key},{value}>"

    def optional_type(self, inner: str) -> str:
        return f"std::optional<{inner}>"

    def list_value(self, elem: str, items: list[str]) -> str:
        return f"std::vector<{elem}>({{{', '.join(items)}}})" if items else f"std::vector<{elem}>()"

    def tuple_value(self, items: list[str]) -> str:
        return f"std::make_tuple({', '.join(items)})"

    def dict_value(self, dict_type: str, pairs: list[tuple[str, str]]) -> str:
        return f"{dict_type}({{{', '.join(f'{{{k}, {v}}}' for k, v in pairs)}}})" if pairs else f"{dict_type}()"

    def none(self, inner: Type) -> str:
        return "std::nullopt"

    def call(self, name: str, args: list[str]) -> str:
        return f"{self.variable(name)}({', '.join(f'({a})' for a in args)})"

    def function_name(self, name: str) -> str:
        return self.variable(name)

    def prompt(self, problem: Problem, description: str) -> str:
        head = "#include<assert.h>\n#include<bits/stdc++.h>\n" + self.comment(description, "// ")
        returns = self.type_name(self.sig.returns)
        return head + f"{returns} {self.function_name(problem.name)}({self.parameters(problem)}) {{\n"

    def suite(self, entry_point: str, cases: list[tuple[str, str]]) -> str:
        lines = ["}", "int main() {", f"    auto candidate = {entry_point};"]
        lines += [f"    assert({call} == ({expected}));" for call, expected in cases]
        return "\n".join([*lines, "}", ""])

    def stub(self) -> str:
        return "    return {};\n"


def _camel(name: str, first_upper: bool) -> str:
    parts = name.split("_")
    head = parts[0].title() if first_upper else parts[0]
    return head + "".join(p.title() for p in parts[1:])


class _ClassWrapped(Typed):
    """Java and C#: the function is a static method of class Problem, whose `main` holds the tests; the stop
    sequence is the method's closing brace."""

    stop = ("\n    }\n",)
    imports = ""
    main = ""

    def call(self, name: str, args: list[str]) -> str:
        """Tests call the method itself (no `candidate` variable, as in MultiPL-E)."""
        return f"{self.function_name(self.entry if name == 'candidate' else name)}({', '.join(args)})"

    def prompt(self, problem: Problem, description: str) -> str:
        returns = self.type_name(self.sig.returns)
        signature = f"    public static {returns} {self.function_name(problem.name)}({self.parameters(problem)}) {{\n"
        return self.imports + "class Problem {\n" + self.comment(description, "    // ") + signature

    def assertion(self, call: str, expected: str) -> str:
        raise NotImplementedError

    def helpers(self) -> list[str]:
        return []

    def suite(self, entry_point: str, cases: list[tuple[str, str]]) -> str:
        lines = ["    }", f"    {self.main} {{", *(self.assertion(c, e) for c, e in cases), "    }", *self.helpers()]
        return "\n".join([*lines, "}", ""])


class Java(_ClassWrapped):
    language = "java"
    scalars: ClassVar[dict[str, str]] = {"int": "long", "float": "float", "bool": "boolean", "str": "String"}
    primitives = ("long", "float", "boolean")
    imports = "".join(
        f"import {p};\n"
        for p in ("java.util.*", "java.lang.reflect.*", "org.javatuples.*", "java.security.*", "java.math.*",
                  "java.io.*", "java.util.stream.*")
    )  # fmt: skip
    main = "public static void main(String[] args)"
    _BOXED: ClassVar[dict[str, str]] = {"long": "Long", "float": "Float", "boolean": "Boolean"}
    _TUPLES: ClassVar[dict[int, str]] = {2: "Pair", 3: "Triplet", 4: "Quartet"}  # javatuples

    def _box(self, name: str) -> str:
        return self._BOXED.get(name, name)

    def list_type(self, elem: str) -> str:
        return f"ArrayList<{self._box(elem)}>"

    def tuple_type(self, elems: list[str]) -> str:
        if len(elems) not in self._TUPLES:
            raise Untranslatable(f"a tuple of {len(elems)} has no javatuples class")
        return f"{self._TUPLES[len(elems)]}<{', '.join(map(self._box, elems))}>"

    def dict_type(self, key: str, value: str) -> str:
        return f"HashMap<{self._box(key)},{self._box(value)}>"

    def optional_type(self, inner: str) -> str:
        return f"Optional<{self._box(inner)}>"

    def integer(self, v: int) -> str:
        return f"{v}l"

    def list_value(self, elem: str, items: list[str]) -> str:
        return f"new ArrayList<{self._box(elem)}>(Arrays.asList({', '.join(items)}))"

    def tuple_value(self, items: list[str]) -> str:
        if len(items) not in self._TUPLES:
            raise Untranslatable(f"a tuple of {len(items)} has no javatuples class")
        return f"{self._TUPLES[len(items)]}.with({', '.join(items)})"

    def dict_value(self, dict_type: str, pairs: list[tuple[str, str]]) -> str:
        entries = ", ".join(f"Map.entry({k}, {v})" for k, v in pairs)  # Map.of stops at ten pairs
        return f"new {dict_type}(Map.ofEntries({entries}))"

    def none(self, inner: Type) -> str:
        return "Optional.empty()"

    def some(self, value: str, inner: Type) -> str:
        return f"Optional.of({value})"

    def function_name(self, name: str) -> str:
        return _camel(name, first_upper=False)

    def assertion(self, call: str, expected: str) -> str:
        return f"    assert({call} == {expected});" if self.primitive() else f"    assert({call}.equals({expected}));"

    def stub(self) -> str:
        return '        throw new UnsupportedOperationException("stub");\n'


class CSharp(_ClassWrapped):
    language = "csharp"
    scalars: ClassVar[dict[str, str]] = {"int": "long", "float": "float", "bool": "bool", "str": "string"}
    primitives = ("long", "float", "bool")
    imports = "".join(
        f"using {p};\n"
        for p in ("System", "System.Numerics", "System.Diagnostics", "System.Collections.Generic", "System.Linq",
                  "System.Text", "System.Security.Cryptography")
    )  # fmt: skip
    main = "public static void Main(string[] args)"

    def list_type(self, elem: str) -> str:
        return f"List<{elem}>"

    def tuple_type(self, elems: list[str]) -> str:
        if len(elems) > 7:
            raise Untranslatable(f"a tuple of {len(elems)} has no C# Tuple class")
        return f"Tuple<{', '.join(elems)}>"

    def dict_type(self, key: str, value: str) -> str:
        return f"Dictionary<{key},{value}>"

    def optional_type(self, inner: str) -> str:
        return f"Nullable<{inner}>" if inner in self.primitives else inner

    def integer(self, v: int) -> str:
        return f"{v}L"

    def list_value(self, elem: str, items: list[str]) -> str:
        array = f"new {elem}[]{{{', '.join(items)}}}" if items else ""
        return f"new List<{elem}>({array})"

    def tuple_value(self, items: list[str]) -> str:
        if len(items) > 7:
            raise Untranslatable(f"a tuple of {len(items)} has no C# Tuple class")
        return f"Tuple.Create({', '.join(items)})"

    def dict_value(self, dict_type: str, pairs: list[tuple[str, str]]) -> str:
        return f"new {dict_type}(){{{', '.join(f'{{{k}, {v}}}' for k, v in pairs)}}}"

    def none(self, inner: Type) -> str:
        return f"({self.optional_type(self.type_name(inner))})null"  # typed, so that Tuple.Create can infer it

    def some(self, value: str, inner: Type) -> str:
        name = self.type_name(inner)
        return f"({self.optional_type(name)}){value}" if name in self.primitives else value

    def function_name(self, name: str) -> str:
        return _camel(name, first_upper=True)

    def assertion(self, call: str, expected: str) -> str:
        if self.primitive():
            return f"    Debug.Assert({call} == {expected});"
        return f"    Debug.Assert(DeepEquals({call}, {expected}));"

    def helpers(self) -> list[str]:
        """Lists and dictionaries compared by their elements (MultiPL-E's `.Equals` compares references)."""
        return [
            "    static bool DeepEquals(object a, object b) {",
            "        if (a == null || b == null || a is string) return Object.Equals(a, b);",
            "        if (a is System.Collections.IDictionary da && b is System.Collections.IDictionary db)",
            "            return da.Count == db.Count",
            "                && da.Keys.Cast<object>().All(k => db.Contains(k) && DeepEquals(da[k], db[k]));",
            "        if (a is System.Collections.IEnumerable ea && b is System.Collections.IEnumerable eb) {",
            "            var la = ea.Cast<object>().ToList(); var lb = eb.Cast<object>().ToList();",
            "            return la.Count == lb.Count && la.Zip(lb, DeepEquals).All(same => same);",
            "        }",
            "        return Object.Equals(a, b);",
            "    }",
        ]  # fmt: skip

    def stub(self) -> str:
        return '        throw new NotImplementedException("stub");\n'


class TypeScript(JavaScript):
    """JavaScript's values and `assert.deepEqual`, with the signature typed."""

    language = "typescript"
    stop = ("\nfunction ", "\n/*", "\n//", "\nclass")
    sig: Signature

    def translate(self, problem: Problem) -> tuple[str, str]:
        self.sig = signature(problem)
        return super().translate(problem)

    def type_name(self, t: Type) -> str:
        inner = [self.type_name(a) for a in t.args]
        match t.kind:
            case "int" | "float":
                return "number"
            case "bool":
                return "boolean"
            case "str":
                return "string"
            case "any":
                return "any"
            case "list":
                return f"({inner[0]})[]" if "|" in inner[0] else f"{inner[0]}[]"
            case "tuple":
                return f"[{', '.join(inner)}]"
            case "dict":
                return f"{{[key: {inner[0]}]: {inner[1]}}}"
            case "optional":
                return f"{inner[0]} | undefined"
            case "union":
                return " | ".join(inner)
        raise Untranslatable(f"no typescript type for {t}")

    def prompt(self, problem: Problem, description: str) -> str:
        args = ", ".join(f"{a.arg}: {self.type_name(t)}" for a, t in zip(problem.args, self.sig.args, strict=True))
        returns = self.type_name(self.sig.returns)
        return self.comment(description, "//") + f"function {problem.name}({args}): {returns} {{\n"

    def suite(self, entry_point: str, cases: list[tuple[str, str]]) -> str:
        return "declare var require: any;\n" + super().suite(entry_point, cases)

    def stub(self) -> str:
        return "  return null as any;\n}\n"
