"""The types of a MultiPL-E problem's signature, for the statically typed targets (C++, Java, C#, TypeScript).

MultiPL-E reads each argument's and the result's type from the Python annotations of the prompt, which its
authors completed by hand where the originals had none (most of MBPP, bare `list` in HumanEval). The same
completion is done mechanically here: a missing annotation, or a bare `list`/`dict`/`tuple`, takes the type
of the values the tests pass and expect (ints and floats join as float; a value and None join as Optional;
an empty list's element type, when nothing else tells, is int, as in MultiPL-E). A type that cannot be
written (values of mixed kinds, an annotation outside typing's List/Tuple/Dict/Optional/Union) drops the
problem with its reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import reduce

from opencoder.eval.multiple import Problem, Untranslatable, folded

SCALARS = ("int", "float", "bool", "str")
CONTAINERS = {"list": "list", "List": "list", "dict": "dict", "Dict": "dict", "tuple": "tuple", "Tuple": "tuple"}


@dataclass(frozen=True)
class Type:
    """kind: int, float, bool, str, none, any, unknown (an empty list's element), list, tuple, dict, optional or
    union; args: the element types (none for a bare container, whose elements the tests tell)."""

    kind: str
    args: tuple[Type, ...] = ()

    def __str__(self) -> str:
        return self.kind + (f"[{', '.join(map(str, self.args))}]" if self.args else "")


def annotation(node: ast.expr | None) -> Type | None:
    """The type an annotation names, or None when there is none."""
    match node:
        case None:
            return None
        case ast.Name(id=name) if name in SCALARS:
            return Type(name)
        case ast.Name(id=name) if name in CONTAINERS:
            return Type(CONTAINERS[name])
        case ast.Name(id="Any"):
            return Type("any")
        case ast.Name(id="None") | ast.Constant(value=None):
            return Type("none")
        case ast.Subscript(value=ast.Name(id=generic), slice=inner):
            elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            kind = CONTAINERS.get(generic, generic)
            if kind == "tuple" and any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elts):
                return Type("list", (_required(elts[0]),))  # Tuple[int, ...] is a list, as in MultiPL-E
            if kind in ("list", "tuple", "dict", "Optional", "Union"):
                return _union([_required(e) for e in elts]) if kind == "Union" else _generic(kind, elts)
        case ast.BinOp(op=ast.BitOr(), left=left, right=right):
            return _union([_required(left), _required(right)])
    raise Untranslatable(f"type annotation not translated: {ast.unparse(node)[:60]}")


def _required(node: ast.expr) -> Type:
    found = annotation(node)
    assert found is not None
    return found


def _generic(kind: str, elts: list[ast.expr]) -> Type:
    args = tuple(_required(e) for e in elts)
    if kind == "Optional":
        return Type("optional", args)
    if (kind == "list" and len(args) != 1) or (kind == "dict" and len(args) != 2):
        raise Untranslatable(f"a {kind} annotation with {len(args)} parameters")
    return Type(kind, args)


def _union(members: list[Type]) -> Type:
    others = [m for m in members if m.kind != "none"]
    if len(others) == 1 and len(others) < len(members):
        return Type("optional", (others[0],))
    return Type("union", tuple(members))


def value_type(node: ast.expr) -> Type:
    """The type of a literal in a test."""
    node = folded(node)
    match node:
        case ast.Constant(value=bool()):
            return Type("bool")
        case ast.Constant(value=None):
            return Type("none")
        case ast.Constant(value=int() | float() | str() as value):
            return Type(type(value).__name__)
        case ast.List(elts=elts):
            return Type("list", (join([value_type(e) for e in elts]),))
        case ast.Tuple(elts=elts):
            return Type("tuple", tuple(value_type(e) for e in elts))
        case ast.Dict(keys=keys, values=values) if None not in keys:
            return Type("dict", (join([value_type(k) for k in keys]), join([value_type(v) for v in values])))  # type: ignore[misc]
    raise Untranslatable(f"a value without a type: {ast.unparse(node)[:60]}")


def join(types: list[Type]) -> Type:
    """The one type that holds all of `types` (unknown for none)."""
    return reduce(_join2, types, Type("unknown"))


def _join2(a: Type, b: Type) -> Type:
    if a == b or b.kind == "unknown":
        return a
    if a.kind == "unknown":
        return b
    if b.kind == "none" or a.kind == "none":
        other = a if b.kind == "none" else b
        return other if other.kind == "optional" else Type("optional", (other,))
    if a.kind == "optional" or b.kind == "optional":
        inner = [t.args[0] if t.kind == "optional" else t for t in (a, b)]
        return Type("optional", (_join2(*inner),))
    if {a.kind, b.kind} == {"int", "float"}:
        return Type("float")
    if a.kind == b.kind and len(a.args) == len(b.args) and a.kind in ("list", "dict", "tuple"):
        return Type(a.kind, tuple(_join2(x, y) for x, y in zip(a.args, b.args, strict=True)))
    if {a.kind, b.kind} <= {"tuple", "list"}:  # tuples of several lengths: a Tuple[T, ...], that is a list
        return Type("list", (join([*a.args, *b.args]),))
    raise Untranslatable(f"values of mixed types: {a} and {b}")


def _complete(declared: Type | None, seen: Type | Untranslatable) -> Type:
    """The declared type, with what the tests show where the annotation leaves it open."""
    if declared is None or (declared.kind in ("list", "dict", "tuple") and not declared.args):
        if isinstance(seen, Untranslatable):
            raise seen
        if declared is not None and seen.kind != declared.kind:
            raise Untranslatable(f"a {declared} annotation, and {seen} values in the tests")
        return seen
    if isinstance(seen, Type) and seen.kind == declared.kind and len(seen.args) == len(declared.args):
        return Type(declared.kind, tuple(_complete(d, s) for d, s in zip(declared.args, seen.args, strict=True)))
    return declared


def _settled(t: Type) -> Type:
    """unknown (an element only ever seen in empty lists) becomes int, as MultiPL-E types `[]`."""
    return Type("int") if t.kind == "unknown" else Type(t.kind, tuple(_settled(a) for a in t.args))


def _seen(values: list[ast.expr]) -> Type | Untranslatable:
    try:
        return join([value_type(v) for v in values])
    except Untranslatable as err:
        return err  # raised only where the annotation leaves the type open


@dataclass(frozen=True)
class Signature:
    args: tuple[Type, ...]
    returns: Type


def signature(problem: Problem) -> Signature:
    """The argument and result types, from the annotations completed by the tests' values."""
    calls = [call for call, _ in problem.cases if isinstance(call, ast.Call)]
    if any(len(c.args) != len(problem.args) or c.keywords for c in calls):
        raise Untranslatable("a test passes other arguments than the signature's")
    args = tuple(
        _settled(_complete(annotation(arg.annotation), _seen([c.args[i] for c in calls])))
        for i, arg in enumerate(problem.args)
    )
    returns = _settled(_complete(annotation(problem.returns), _seen([expected for _, expected in problem.cases])))
    return Signature(args, returns)
