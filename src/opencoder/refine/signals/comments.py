"""Split a document into code and comments.

We use pygments, as the released code does: it has a lexer for almost every language RefineCode keeps
(tree-sitter grammars exist for far fewer), it needs no compiled grammars, and its token types say exactly
what a comment is. Comments are the tokens Comment.Single, Comment.Multiline, Comment.Hashbang,
Comment.Special and String.Doc (SPEC §1.5.2); everything else is code.

* ``compat="opc"`` lexes with pygments' default options (leading/trailing newlines stripped, one
  appended) and, for languages pygments does not know, uses the released hand-written line parser with
  its bug: after any ``#``, ``//`` or ``--`` line the rest of the file counts as comment until a
  triple-quote or ``*/`` line toggles it back.
* ``compat="fixed"`` lexes the text exactly as given (code + comments == text); its fallback parser ends
  a line comment at the end of its line and a block comment at its own closing delimiter.
* Perl uses a POD-aware line splitter in both modes, as the released code does.

Pygments is slow (0.2 MB/s on Python, 0.5 MB/s on C here), so ``fixed`` splits the common languages with one
compiled scan per comment-syntax family (``SCANNERS``, ``kernel.split_comments``) that skips string literals and
collects comments. A scan follows the lexer's definition of a comment for its family (for Python: ``#`` comments
and triple-quoted strings that start a line, pygments' String.Doc); docs/signals.md lists where they can differ
(e.g. comments inside an HTML ``<script>``).
"""

from __future__ import annotations

from functools import cache

import pygments
import pygments.token as tok
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from opencoder.refine.signals import kernel
from opencoder.refine.signals.text import split_lines

COMMENT_TOKENS = frozenset(
    {tok.Comment.Multiline, tok.Comment.Single, tok.String.Doc, tok.Comment.Hashbang, tok.Comment.Special}
)


@cache
def _lexer(lang: str, compat: str) -> Lexer | None:
    if not lang:
        return None
    try:
        if compat == "opc":
            return get_lexer_by_name(lang)
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


# Comment syntaxes of kernel.split_comments, one per family of languages: which comments (line, block, Python
# docstrings, i.e. triple-quoted strings that start a line, pygments' String.Doc) and which string literals
# (quoted ones end at their line, backtick ones do not; both skip escapes) it skips over.
NO_COMMENTS, C_LIKE, C_LIKE_BACKTICK, HASH, PYTHON, SQL, MARKUP = range(7)

# Language -> comment syntax, for the languages whose comments one scan finds (``fixed`` mode only).
_C_FAMILY = ["c", "cpp", "csharp", "java", "objective-c", "cuda", "rust", "swift", "css", "scss", "less"]
SCANNERS: dict[str, int] = {
    **dict.fromkeys(_C_FAMILY, C_LIKE),
    **dict.fromkeys(["javascript", "typescript", "go", "kotlin", "scala", "dart", "groovy"], C_LIKE_BACKTICK),
    **dict.fromkeys(["shell", "makefile", "cmake", "dockerfile", "r", "awk"], HASH),
    "python": PYTHON,
    "sql": SQL,
    **dict.fromkeys(["html", "xml"], MARKUP),
    "json": NO_COMMENTS,
}


def split_code_comments(text: str, lang: str, compat: str = "fixed") -> tuple[str, list[str]]:
    """Return ``(code, comment pieces)`` of ``text`` written in programming language ``lang``.

    A piece is one comment token (or one comment line of the line parsers); joined they give the comment text.
    """
    if lang == "perl":
        return _split_perl(text)
    if compat != "opc" and lang in SCANNERS:
        return kernel.split_comments(text, SCANNERS[lang])
    lexer = _lexer(lang, compat)
    if lexer is None:
        return _split_by_hand_opc(text) if compat == "opc" else _split_by_hand(text)
    code: list[str] = []
    comment: list[str] = []
    for token_type, value in pygments.lex(text, lexer):
        (comment if token_type in COMMENT_TOKENS else code).append(value)
    return "".join(code), comment


_BLOCK_CLOSERS = {"/*": "*/", '"""': '"""'}


def _split_by_hand(text: str) -> tuple[str, list[str]]:
    """Line parser for languages without a lexer: ``#``/``//``/``--`` lines, ``/* */``/triple-quote blocks."""
    code: list[str] = []
    comment: list[str] = []
    closer: str | None = None  # the delimiter that ends the block comment we are in
    for line in split_lines(text):
        stripped = line.strip()
        if closer is not None:
            comment.append(line)
            if closer in stripped:
                closer = None
            continue
        opener = next((o for o in _BLOCK_CLOSERS if stripped.startswith(o)), None)
        if opener is not None:
            comment.append(line)
            if _BLOCK_CLOSERS[opener] not in stripped[len(opener) :]:
                closer = _BLOCK_CLOSERS[opener]
        elif stripped.startswith(("#", "//", "--")):
            comment.append(line)
        else:
            code.append(line)
    return "".join(code), comment


def _split_by_hand_opc(text: str) -> tuple[str, list[str]]:
    """The released fallback parser, bug included: a line comment opens a block only a delimiter closes."""
    code: list[str] = []
    comment: list[str] = []
    in_block = False
    for line in split_lines(text):
        stripped = line.strip()
        if stripped.startswith(('"""', "/*")) or stripped.endswith(('"""', "*/")):
            in_block = not in_block
            comment.append(line)
        elif stripped.startswith(("#", "//", "--")) or in_block:
            in_block = True
            comment.append(line)
        else:
            code.append(line)
    return "".join(code), comment


def _split_perl(text: str) -> tuple[str, list[str]]:
    """Perl: ``#`` lines and POD blocks (a line starting with ``=`` up to ``=cut``) are comments."""
    code: list[str] = []
    comment: list[str] = []
    in_pod = False
    for line in split_lines(text):
        stripped = line.strip()
        if stripped.startswith("=cut"):
            in_pod = False
            comment.append(line)
        elif stripped.startswith("=") or in_pod:
            in_pod = True
            comment.append(line)
        elif stripped.startswith("#"):
            comment.append(line)
        else:
            code.append(line)
    return "".join(code), comment
