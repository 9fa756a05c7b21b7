"""The per-document context every quality signal reads: shared work computed lazily and at most once.

Contract with the signal modules (general ones in this package, language-specific ones written by `langsig`):

* A signal is a function ``CodeDocument -> float | int | bool | None``; ``None`` means "does not apply" and is
  stored as null (a null never triggers a rule).
* A language module (``python.py``, ``c.py``, ``cpp.py``, ``csharp.py``, ``go.py``, ``html.py``, ``java.py``,
  ``javascript.py`` in this package) exposes ``SIGNALS: dict[str, Callable[[CodeDocument], value]]``
  keyed by the full SPEC name (``qsc_codepython_cate_ast``, ...). It may instead expose
  ``compute(doc) -> dict[str, value]`` when its signals share one expensive pass; the runner then times
  the module as one unit.
* Expensive per-document work that several signals share (a parse tree, a regex pass) goes through
  ``doc.memo(key, fn)`` so it is computed once; keys are namespaced by module, e.g. ``"python.ast"``.
* ``doc.compat`` is ``"fixed"`` (default: the released code's bugs repaired) or ``"opc"`` (reproduce them).

Everything here is a ``functools.cached_property``: a signal that never asks for the comment split never
pays for the lexer. Attribute names are stable; new ones are added, none renamed.
"""

from __future__ import annotations

import ast
import posixpath
import warnings
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from opencoder.refine.signals import comments, kernel
from opencoder.refine.signals.text import (
    CJK,
    WordStats,
    normalize,
    normalized_words,
    split_lines,
    text_word_stats,
    word_stats,
    wordpunct,
)

T = TypeVar("T")


# Why ``ast.parse`` may fail on a text: a syntax error, NUL bytes, nesting too deep for the compiler, huge literals.
PYTHON_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)


def parsed(parse: Callable[[str], T], text: str) -> T | None:
    """``parse(text)`` (a CPython parse), None when the text does not parse; its SyntaxWarnings (odd escapes) are
    not ours."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return parse(text)
    except PYTHON_PARSE_ERRORS:
        return None


def parse_python(text: str) -> ast.Module | None:
    """``ast.parse(text)``, None when the text does not parse."""
    return parsed(ast.parse, text)


class CodeDocument:
    """One document plus its lazily computed shared views (lines, words, n-grams, code/comment split)."""

    def __init__(
        self,
        text: str,
        *,
        lang: str = "",
        doc_type: str = "code",
        path: str = "",
        size: int | None = None,
        nl_lang: str | None = None,
        compat: str = "fixed",
    ) -> None:
        self.text = text  # the document content, as given
        self.lang = (lang or "").lower()  # programming language from the RefineCode tables, e.g. "python"
        self.doc_type = doc_type or "unknown"  # code | data | text | unknown | excluded
        self.path = path or ""  # path inside the repository or input tree
        self.filename = posixpath.basename(self.path.replace("\\", "/"))  # basename, with its extension
        self.ext = self.filename.rpartition(".")[2].lower() if "." in self.filename else ""  # lower, no dot
        self.size = size  # bytes of the original file (None: unknown, then computed from text)
        self.compat = compat  # "fixed" | "opc"
        self._nl_lang = nl_lang
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, fn: Callable[[], T]) -> T:
        """Return ``fn()`` computed once per document under ``key`` (for work several signals share)."""
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    # ---------------------------------------------------------------- plain text views

    @cached_property
    def nl_lang(self) -> str:
        """Natural language of a text document: given, else "zh" when CJK ideographs are >= 30% of letters."""
        if self._nl_lang:
            return self._nl_lang
        head = self.text[:20000]
        cjk = len(CJK.findall(head))
        if not cjk:  # most texts: no need to count the letters
            return "en"
        return "zh" if cjk / sum(map(str.isalpha, head)) >= 0.3 else "en"

    @cached_property
    def size_bytes(self) -> int:
        """Size of the original file in bytes (``size`` when known, else the UTF-8 length of the text)."""
        return self.size if self.size is not None else len(self.text.encode("utf-8", "surrogatepass"))

    @cached_property
    def num_lines(self) -> int:
        """``len(raw_lines)`` without building them: a last line without a newline counts too."""
        return self.text.count("\n") + (not self.text.endswith("\n") and bool(self.text))

    @cached_property
    def raw_lines(self) -> list[str]:
        """Lines split on "\\n" keeping the newline; empty lines kept (SPEC "Shared text machinery")."""
        return split_lines(self.text)

    @cached_property
    def char_counts(self) -> dict[str, int]:
        """Counts of whitespace, alphabetic and digit characters, by str.isspace/isalpha/isdigit (compiled)."""
        space, alpha, digit = kernel.char_counts(self.text)
        return {"space": space, "alpha": alpha, "digit": digit}

    @cached_property
    def num_visible_chars(self) -> int:
        """Number of non-whitespace characters."""
        return len(self.text) - self.char_counts["space"]

    @cached_property
    def normalized_text(self) -> str:
        """The text after SPEC normalisation (lowercase, punctuation -> space, NFKC); line breaks kept."""
        return normalize(self.text)

    @cached_property
    def normalized_words(self) -> list[str]:
        """Words of the normalised text: wordpunct tokens (jieba words for Chinese text when installed)."""
        if self.doc_type == "text" and self.nl_lang == "zh":
            return _chinese_words(self.normalized_text)
        return normalized_words(self.normalized_text)

    @cached_property
    def raw_words(self) -> list[str]:
        """wordpunct tokens of the raw (not normalised) text."""
        return wordpunct(self.text)

    @cached_property
    def word_stats(self) -> WordStats:
        """Counts and n-gram fractions of the normalised words, in one compiled pass (see text.word_stats)."""
        if self.doc_type == "text" and self.nl_lang == "zh":
            return word_stats(self.normalized_words)
        return text_word_stats(self.text)

    @cached_property
    def python_ast(self) -> ast.Module | None:
        """``ast.parse(text)`` for Python sources, None when it fails (see ``parse_python``)."""
        return parse_python(self.text)

    # ---------------------------------------------------------------- code / comment split

    @cached_property
    def _split(self) -> tuple[str, list[str]]:
        return comments.split_code_comments(self.text, self.lang, self.compat)

    @cached_property
    def code_text(self) -> str:
        """The text without comments (pygments tokens per SPEC; see comments.py for the fallbacks)."""
        return self._split[0]

    @cached_property
    def code_text_lower(self) -> str:
        """``code_text.lower()``, for the case-insensitive line counts (line for line: lowercasing adds no newline)."""
        return self.code_text.lower()

    @cached_property
    def comment_pieces(self) -> list[str]:
        """The comments one by one (comment tokens, or comment lines of the line parsers; see comments.py)."""
        return self._split[1]

    @cached_property
    def comment_text(self) -> str:
        """The comments only (the comment tokens of comments.py), concatenated."""
        return "".join(self.comment_pieces)

    @cached_property
    def code_line_stats(self) -> tuple[int, int]:
        """(code lines, lines in a group of repeated code lines): a line's key is the line of ``code_text`` without
        its whitespace; an empty key is no code line; a key seen more than once counts each of its lines, except
        the key "}," and those of one character (the released ``code_normalized_lines``, stripped). Compiled;
        keys are compared by 64-bit hashes."""
        return kernel.code_line_stats(self.code_text)

    @cached_property
    def num_code_lines(self) -> int:
        """Lines of ``code_text`` that are not blank (only whitespace), the denominator of the per-line signals."""
        return self.code_line_stats[0]


def _chinese_words(text: str) -> list[str]:
    """Chinese words: jieba when installed (as released), else wordpunct with each ideograph a word."""
    try:
        import jieba  # optional: only Chinese text documents need it
    except ImportError:
        return wordpunct(CJK.sub(r" \g<0> ", text))
    return [w for w in jieba.lcut(text) if w.strip()]
