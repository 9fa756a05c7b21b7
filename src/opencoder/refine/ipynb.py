"""Jupyter notebook JSON -> structured text (SPEC §1.4, the paper's Appendix C.3).

The paper keeps notebooks in a structured markdown / code / results form and discards the redundant script form.
The form here follows StarCoder's "Jupyter-structured" data, which RefineCode's recorded notebook sizes match:
each cell becomes a marker line (``<jupyter_text>``, ``<jupyter_code>``, ``<jupyter_output>``) followed by its
content. Markdown and raw cells are text, code cells are code, and the outputs of a code cell follow it as one
output block, short:

- stream and plain-text results are kept, up to ``max_output_chars`` per cell; the rest is replaced by a marker
  ``[... N characters elided]``;
- images, HTML, JavaScript and other rich outputs without a plain-text form become ``[image/png output omitted]``;
- an error output becomes ``ename: evalue`` (its ANSI-coloured traceback is dropped).

With ``comment_text`` (the default), marker, text and output lines are written as line comments of the kernel's
language (``# <jupyter_text>`` for Python), so a converted notebook is still a program of that language and the
language's own filters (Python's AST check, comment share) judge it; IPython magics and shell escapes
(``%matplotlib``, ``!pip``) in Python code cells are commented out too, as jupytext does. Without it the text is
StarCoder's plain structured form, which a syntax check rejects.

The language comes from the notebook's metadata: ``kernelspec.language``, then ``language_info.name``, then the
kernel's name (``python3`` -> python, ``ir`` -> r), then nbformat 3's ``metadata.language``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

TEXT, CODE, OUTPUT = "<jupyter_text>", "<jupyter_code>", "<jupyter_output>"

# Kernel names and languages as notebooks write them -> the RefineCode language tables' names.
_ALIASES = {
    "python2": "python",
    "python3": "python",
    "ipython": "python",
    "pyspark": "python",
    "ir": "r",
    "c++": "c++",
    "c++11": "c++",
    "c++14": "c++",
    "c++17": "c++",
    "xcpp": "c++",
    "bash": "shell",
    "sh": "shell",
    "zsh": "shell",
    "javascript": "javascript",
    "node": "javascript",
    "nodejs": "javascript",
    "typescript": "typescript",
    "csharp": "c#",
    ".net-csharp": "c#",
    "fsharp": "f#",
    ".net-fsharp": "f#",
    "octave": "matlab",
    "spylon-kernel": "scala",
    "wolfram language": "mathematica",
}
_KERNEL_PREFIXES = (("python", "python"), ("julia", "julia"), ("ir", "r"), ("scala", "scala"), ("java", "java"))

# Line comment per language; languages not listed get the plain structured form.
_HASH = "python r julia shell ruby perl powershell nim elixir coffeescript tcl make yaml sas raku crystal"
_SLASHES = "c c++ c# f# java javascript typescript scala go rust kotlin swift groovy dart php d objective-c"
_COMMENT = (
    {lang: "#" for lang in _HASH.split()}
    | {lang: "//" for lang in _SLASHES.split()}
    | {lang: "--" for lang in ("sql", "haskell", "lua", "ada", "elm")}
    | {lang: "%" for lang in ("matlab", "erlang", "prolog", "tex")}
    | {lang: ";" for lang in ("clojure", "racket", "common lisp", "scheme", "emacs lisp")}
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MAGIC = re.compile(r"^(?:%%?[A-Za-z_]|![^=\s])", re.MULTILINE)  # %magic, %%cell_magic, !shell at a line's start


class NotebookError(ValueError):
    """A notebook that cannot be converted; ``reason`` is the removed row's reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Converted:
    text: str
    lang: str  # the kernel's language as the RefineCode tables name it (or as the notebook says, lower case)
    cells: int
    elided_outputs: int  # outputs cut to max_output_chars or replaced by an "omitted" marker
    lang_defaulted: bool = False  # the metadata named no language; ``lang`` is the caller's default


def _source(value: object) -> str:
    """A cell's source or output text: nbformat stores a string or a list of lines."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def kernel_language(meta: dict) -> str | None:
    """The notebook's language from its metadata, normalised to the language tables' names; None if unstated."""
    spec = meta.get("kernelspec") if isinstance(meta.get("kernelspec"), dict) else {}
    info = meta.get("language_info") if isinstance(meta.get("language_info"), dict) else {}
    for value in (spec.get("language"), info.get("name"), meta.get("language")):
        if isinstance(value, str) and value.strip():
            name = value.strip().lower()
            return _ALIASES.get(name, name)
    kernel = spec.get("name")
    if isinstance(kernel, str) and kernel:
        kernel = kernel.lower()
        if kernel in _ALIASES:
            return _ALIASES[kernel]
        for prefix, lang in _KERNEL_PREFIXES:
            if kernel.startswith(prefix):
                return lang
    return None


def _cells(nb: dict) -> list:
    """nbformat 4 keeps ``cells`` at the top; nbformat 3 inside ``worksheets``."""
    if isinstance(nb.get("cells"), list):
        return nb["cells"]
    sheets = nb.get("worksheets")
    if isinstance(sheets, list):
        return [c for sheet in sheets if isinstance(sheet, dict) for c in sheet.get("cells", [])]
    raise NotebookError("notebook_not_a_notebook", "no 'cells' list (nbformat 4) nor 'worksheets' (nbformat 3)")


def _output_text(out: dict) -> tuple[str, bool]:
    """(text, whether it is an 'omitted' marker) for one output."""
    kind = out.get("output_type")
    if kind == "stream":
        return _source(out.get("text")), False
    if kind in ("error", "pyerr"):
        return f"{out.get('ename', 'Error')}: {_ANSI.sub('', str(out.get('evalue', '')))}", False
    data = out.get("data") if isinstance(out.get("data"), dict) else out  # nbformat 3 puts mime keys on the output
    if "text/plain" in data or "text" in data:
        return _source(data.get("text/plain", data.get("text"))), False
    mimes = sorted(k for k in data if "/" in k or k in ("png", "jpeg", "svg", "html", "latex", "javascript"))
    if mimes:
        return f"[{mimes[0]} output omitted]", True
    return "", False


def _short(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return f"{text[:limit]}\n[... {len(text) - limit} characters elided]", True


def convert(
    raw: str,
    *,
    max_output_chars: int = 1000,
    outputs: bool = True,
    comment_text: bool = True,
    default_lang: str | None = None,
) -> Converted:
    """The structured text of notebook JSON ``raw``; NotebookError with a reason when it is not a notebook.
    ``default_lang`` is the language of a notebook whose metadata names none (None: such a notebook is an error)."""
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError as err:
        raise NotebookError("notebook_invalid_json", f"line {err.lineno} column {err.colno}: {err.msg}") from None
    if not isinstance(nb, dict):
        raise NotebookError("notebook_not_a_notebook", f"top level is a JSON {type(nb).__name__}, not an object")
    cells = _cells(nb)
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    lang = kernel_language(meta) or default_lang
    if lang is None:
        raise NotebookError("notebook_no_language", "no kernelspec.language, language_info.name or kernel name")
    prefix = _COMMENT.get(lang) if comment_text else None
    parts: list[str] = []
    elided = 0

    def add(marker: str, body: str, as_comment: bool) -> None:
        if as_comment and prefix:
            lines = [f"{prefix} {marker}"] + [f"{prefix} {line}".rstrip() for line in body.split("\n")]
            parts.append("\n".join(lines))
        else:
            parts.append(f"{prefix} {marker}\n{body}" if prefix else f"{marker}\n{body}")

    for cell in cells:
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        body = _source(cell.get("source", cell.get("input"))).strip("\n")
        if kind == "code":
            if body:
                if prefix == "#" and lang == "python":
                    body = _MAGIC.sub(r"# \g<0>", body)
                add(CODE, body, False)
            texts = []
            for out in cell.get("outputs", []) if outputs else []:
                if isinstance(out, dict):
                    text, omitted = _output_text(out)
                    elided += omitted
                    texts.append(_ANSI.sub("", text).strip("\n"))
            text, cut = _short("\n".join(t for t in texts if t.strip()), max_output_chars)
            elided += cut
            if text.strip():
                add(OUTPUT, text, True)
        elif body:  # markdown, raw, heading (nbformat 3)
            add(TEXT, body, True)
    if not parts:
        raise NotebookError("notebook_empty", f"{len(cells)} cells, none with content")
    return Converted("\n".join(parts) + "\n", lang, len(cells), elided, kernel_language(meta) is None)
