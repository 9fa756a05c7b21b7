"""What the JavaScript signals count, whichever parser found it: tree-sitter (``javascript.py``) or, with
``compat: opc``, esprima (``javascript_opc.py``). Its own module so that neither parser's module imports the other's.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TreeFacts:
    """What the released visitors collect, from one pass over the tree."""

    variables: list[str] = field(default_factory=list)  # declared names (not function expressions), exports
    simple_variables: int = 0  # declarations initialised with nothing, a literal, an identifier or a unary op
    functions: list[str] = field(default_factory=list)  # function declarations/expressions, exported functions
    classes: list[str] = field(default_factory=list)
    simple_returns: int = 0
    imports: int = 0
    statements: int = 0  # top-level statements
