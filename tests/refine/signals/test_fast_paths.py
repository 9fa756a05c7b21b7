"""The fast paths of the general signals give the values of their plain per-line definitions, on real files.

Each reference below is the straightforward implementation the fast one replaced (one regex search per line,
a Python loop over every scanner match, one Counter per document); they live only here. Inputs: a small
sample of this machine's own files (opencoder.io.corpus), languages as the langid stage sees them.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencoder.io.corpus import default_corpus
from opencoder.refine.langid import LangId
from opencoder.refine.signals import code, comments, kernel
from opencoder.refine.signals.code import (
    ASSERT_FIXED,
    PROMPT_FIXED,
    PROMPTS,
    STRING_PLUS,
)
from opencoder.refine.signals.document import CodeDocument
from opencoder.refine.signals.text import split_lines, wordpunct

# String literals by regex, what the kernel's scan (kernel.string_literals) must find: released (a quoted string
# ends at the next quote, on its line or anywhere) and fixed (at its line, escaped quotes skipped).
STRING_PATTERNS = {
    code.STRINGS_OPC_MULTILINE: re.compile(r"'''(.*?)'''|\"\"\"(.*?)\"\"\"|'(.*?)'|\"(.*?)\"", re.DOTALL),
    code.STRINGS_OPC: re.compile(r"'''(.*?)'''|\"\"\"(.*?)\"\"\"|'([^\n]*?)'|\"([^\n]*?)\"", re.DOTALL),
    code.STRINGS_FIXED: re.compile(
        r"'''(.*?)'''|\"\"\"(.*?)\"\"\"|'((?:\\.|[^'\\\n])*)'|\"((?:\\.|[^\"\\\n])*)\"", re.DOTALL
    ),
}
# The comment syntaxes as regexes, what the kernel's scan (kernel.split_comments) must find: group ``c`` a comment,
# ``d`` a Python triple-quoted string (a comment when it starts its line), ``s`` a string literal (code).
_QUOTED = r""""(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'"""
_STRINGS = f"(?P<s>{_QUOTED})"
_BLOCK = r"(?P<c>//[^\n]*|/\*[\s\S]*?\*/)"
SCANNER_PATTERNS = {
    comments.NO_COMMENTS: r"(?P<c>(?!))",
    comments.C_LIKE: _BLOCK + "|" + _STRINGS,
    comments.C_LIKE_BACKTICK: _BLOCK + r"|(?P<s>`(?:\\[\s\S]|[^`\\])*`|" + _QUOTED + ")",
    comments.HASH: r"(?P<c>#[^\n]*)|" + _STRINGS,
    comments.PYTHON: r'(?P<d>"""[\s\S]*?"""' + r"|'''[\s\S]*?''')|(?P<c>#[^\n]*)|" + _STRINGS,
    comments.SQL: r"(?P<c>--[^\n]*|/\*[\s\S]*?\*/)|" + _STRINGS,
    comments.MARKUP: r"(?P<c><!--[\s\S]*?-->)",
}
RELEASED_STRING_CONCAT = re.compile(r"\s*=\s*[\"'].+?[\"']\s*\+\s*[\"'].+?[\"'].*")
STRING_PLUS_BEFORE = re.compile(r"[\"']\s*\+\s*[\"']")  # the concatenation gate, in the stdlib re


@pytest.fixture(scope="module")
def real_files() -> list[tuple[str, str]]:
    """(text, lang) of a few hundred files of this machine (code and data only), plus tricky hand-made ones."""
    texts, paths = [], []
    for root in default_corpus(1_500_000):
        for rel in root.files:
            data = (Path(root.root) / rel).read_bytes()
            if data and b"\0" not in data[:8000]:
                texts.append(data.decode("utf-8", "replace"))
                paths.append(rel)
    langs, doc_types = LangId().identify(pa.array(paths, pa.string()))
    files = [(t, lang) for t, lang, kind in zip(texts, langs.to_pylist(), doc_types.to_pylist(), strict=True)]
    files = [f for f, kind in zip(files, doc_types.to_pylist(), strict=True) if kind in ("code", "data")]
    assert len(files) >= 200 and "python" in {lang for _, lang in files}
    tricky = [
        'x = "a" + "b"\nassert x\n  # TODO: fix\nreassert()\n"""doc\n"""\n  r\'\'\'d2\'\'\'\ny = f"""no"""\n',
        "s = 'a'\\\n+ 'b'\nv =\n'a' + 'b'\n# fixme\n# Todo and TODO\n\t\n   \n" + "0x00, " * 30 + "\n",
        "İ ı ſ K assert ASSERT fıxme\r\n\x0c\x1c\n" + "QUJD" * 400 + "\n" + "\\u00e9" * 9,
    ]
    return files + [(t, lang) for t in tricky for lang in ("python", "c", "javascript", "tcl", "perl")]


def _scan_reference(text: str, pattern: str) -> tuple[str, list[str]]:
    """The scanner split with the stdlib ``re``, one Python step per match (a docstring is a comment when only
    whitespace and string-prefix letters precede it on its line)."""
    code_parts, found, pos = [], [], 0
    for m in re.finditer(pattern, text):
        kind = "c" if m.group("c") is not None else "d" if "d" in m.groupdict() and m.group("d") else None
        if kind is None:
            continue
        if kind == "d":
            line_start = text.rfind("\n", 0, m.start()) + 1
            if text[line_start : m.start()].rstrip("rRuUbB").strip():
                continue
        code_parts.append(text[pos : m.start()])
        found.append(m.group())
        pos = m.end()
    return "".join(code_parts) + text[pos:], found


def _per_line(lines: list[str], pattern: re.Pattern[str]) -> int:
    return sum(pattern.search(line) is not None for line in lines)


def _reference_values(doc: CodeDocument) -> dict[str, float | None]:
    """The restructured code signals, each as one Python step per line (their definitions)."""
    raw = split_lines(doc.text)
    code_lines = [line for line in split_lines(doc.code_text) if not line.isspace()]
    out: dict[str, float | None] = {"code_lines": len(code_lines)}
    counts = Counter("".join(line.split()) for line in code_lines)
    total = sum(counts.values())
    repeated = sum(c for line, c in counts.items() if c > 1 and line != "}," and len(line) != 1)
    out["dupe_lines"] = repeated / total if raw and total else None
    if not code_lines:
        out["assert"] = out["concat"] = None
    else:
        if doc.compat == "opc":
            hits = sum("assert" in line.lower() for line in code_lines)
        else:
            hits = _per_line(code_lines, ASSERT_FIXED)
        out["assert"] = hits / len(code_lines)
        concat = _per_line(code_lines, RELEASED_STRING_CONCAT) if STRING_PLUS_BEFORE.search(doc.code_text) else 0
        out["concat"] = concat / len(code_lines)
    if doc.compat == "opc":
        comment_lines = [line for line in split_lines(doc.comment_text) if not line.isspace()]
        prompts = sum(any(p in line.lower() for p in PROMPTS) for line in comment_lines)
    else:
        comment_lines = [line for c in doc.comment_pieces for line in split_lines(c) if not line.isspace()]
        prompts = _per_line(comment_lines, PROMPT_FIXED)
    out["prompt"] = prompts / len(raw) if raw else None
    strings = code._string_literals(doc, multiline=True)
    pieces = [p for s in strings for p in s.split("\n")]
    out["long_string"] = sum(len(wordpunct(p)) > 20 for p in pieces) / len(code_lines) if code_lines else None
    words = [w for s in code._string_literals(doc, multiline=False) for w in s.split()]
    long_words = sum(len(w) for w in words if len(w) > 20 and not code.URL_WORD.match(w))
    out["long_word"] = long_words / len(doc.code_text) if doc.code_text else None
    space = sum(c.isspace() for c in doc.text)
    out["chars"] = (space, sum(c.isalpha() for c in doc.text), sum(c.isdigit() for c in doc.text))
    return out


def _fast_values(doc: CodeDocument) -> dict[str, float | None]:
    counts = doc.char_counts
    return {
        "code_lines": doc.num_code_lines,
        "dupe_lines": code.frac_lines_dupe_lines(doc),
        "assert": code.frac_lines_assert(doc),
        "concat": code.frac_lines_string_concat(doc),
        "prompt": code.frac_lines_prompt_comments(doc),
        "long_string": code.frac_lines_long_string(doc),
        "long_word": code.frac_chars_long_word_length(doc),
        "chars": (counts["space"], counts["alpha"], counts["digit"]),
    }


@pytest.mark.parametrize("compat", ["fixed", "opc"])
def test_restructured_code_signals_equal_their_per_line_definitions(real_files, compat):
    for text, lang in real_files:
        doc = CodeDocument(text, lang=lang, compat=compat)
        assert _fast_values(doc) == _reference_values(doc), (lang, text[:200])


def test_string_literal_scan_equals_the_regexes(real_files):
    tricky = ["'''", "''''", "'''a'''b'", '"""x\n\\"""y', "'a\\'b'", "'a\\", "'\n'", '"é\\\ud800"', "'😀' \"\""]
    for text in [t for t, _ in real_files] + tricky:
        for mode, pattern in STRING_PATTERNS.items():
            expected = [s for s in map("".join, pattern.findall(text)) if s]  # one group per match is set
            assert kernel.string_literals(text, mode) == expected, (mode, text[:200])


def test_comment_scans_equal_a_match_by_match_regex_split(real_files):
    scanned = 0
    for text, lang in real_files:
        if lang in comments.SCANNERS:
            pattern = SCANNER_PATTERNS[comments.SCANNERS[lang]]
            assert comments.split_code_comments(text, lang) == _scan_reference(text, pattern), (lang, text[:200])
            scanned += 1
    assert scanned >= 100


def test_comment_scans_equal_the_regexes_on_random_token_soup():
    # Unterminated strings and comments, escapes before newlines and at the end, prefixes before docstrings.
    tokens = [
        "//",
        "/*",
        "*/",
        "#",
        "--",
        "<!--",
        "-->",
        '"',
        "'",
        "`",
        '"""',
        "'''",
        "\\",
        "\n",
        " ",
        "rb",
        "x",
        "é",
        "😀",
    ]
    rng = random.Random(4)
    for _ in range(3000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 30)))
        for syntax, pattern in SCANNER_PATTERNS.items():
            assert kernel.split_comments(text, syntax) == _scan_reference(text, pattern), (syntax, text)


def test_character_class_runs_equal_the_regex_runs(real_files):
    """CharClass.runs (the kernel's class_runs) finds what the released ``[...]{n,}`` regexes find."""
    for char_class, min_length in ((code.BASE64_CHARS, 64), (code.HEX_BYTES_CHARS, 23), (code.HEX_BYTES_CHARS, 1)):
        pattern = re.compile(f"[{re.escape(char_class.chars)}]{{{min_length},}}")
        for text, _ in real_files:
            expected = [m.span() for m in pattern.finditer(text)]
            assert char_class.runs(text, min_length) == expected, text[:200]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["'", '"', "+", " ", "\n", "\t", "\x1c", "\x1f", "\u3000", "a", "="]), max_size=12))
def test_literal_first_concatenation_gate_finds_what_the_plain_one_finds(pieces):
    text = "".join(pieces)
    assert bool(STRING_PLUS.search(text)) == bool(STRING_PLUS_BEFORE.search(text))


def test_over_20_tokens_matches_exactly_the_texts_of_more_than_20_wordpunct_tokens():
    rng = random.Random(3)
    pieces = ["ab", "x_1", "é", "中", "+=", ";", "«", " ", "\t", "\x0c", "\x1c", "\xa0", "\u2028", "0x1F", "'"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        assert (code.OVER_20_TOKENS.match(text) is not None) == (len(wordpunct(text)) > 20), text


UNTERMINATED = ['"' + '\\"' * 1000, "'" + "\\'" * 1000, "`" + "\\`" * 1000, "/*" * 1000, '"""' + "'''" * 1000]


@pytest.mark.parametrize("text", UNTERMINATED)
def test_scans_stay_linear_on_lines_of_unterminated_openers(text):
    # Each opener's search for its closer fails; the regexes retry it at every opener (quadratic: 10 s for a
    # 40 KB line), the kernel remembers where the failed search stopped. Equal on a small line, done on a long one.
    for syntax, pattern in SCANNER_PATTERNS.items():
        assert kernel.split_comments(text, syntax) == _scan_reference(text, pattern)
    for mode, pattern in STRING_PATTERNS.items():
        assert kernel.string_literals(text, mode) == [s for s in map("".join, pattern.findall(text)) if s]
    long = text[:3] + text[3:] * 1000  # 2-3 MB on one line
    for syntax in SCANNER_PATTERNS:
        code_text, found = kernel.split_comments(long, syntax)
        assert len(code_text) + sum(map(len, found)) == len(long)
    for mode in STRING_PATTERNS:
        assert all(s in long for s in kernel.string_literals(long, mode))
