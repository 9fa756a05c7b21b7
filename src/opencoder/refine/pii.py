"""Copyright-header and PII rewriting of one text (SPEC §1.4); the batch stage lives in transform.py.

Everything here is a pure function of (text, language) so it is easy to test and to reason about. Patterns and
heuristics, with their known limits, are documented in docs/transform.md.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Collection

EMAIL = "<EMAIL>"
IP_ADDRESS = "<IP_ADDRESS>"
PASSWORD = "<PASSWORD>"
KEY = "<KEY>"

# ---------------------------------------------------------------------------------------------- copyright headers

NOTICE = re.compile(
    r"copyright|\(c\)\s*(?:19|20)\d\d|©|all rights reserved|spdx-license-identifier|licensed under"
    r"|permission is hereby granted",
    re.IGNORECASE,
)

_HASH = ("#",)
_SLASH = ("//",)
_C_BLOCK = (("/*", "*/"),)
_XML_BLOCK = (("<!--", "-->"),)
# language -> (line-comment prefixes, (block opener, closer) pairs). Languages not listed have no header removal:
# guessing a syntax would strip code (``#include`` is not a comment in C).
_HASH_LANGS = (
    "python shell perl ruby r yaml toml cmake makefile dockerfile powershell julia elixir nim tcl awk"
    " coffeescript crystal gdscript starlark hcl nix ini graphql"
)
_SLASH_LANGS = (
    "c cpp csharp java javascript typescript go rust swift kotlin scala dart groovy objective-c objective-c++"
    " php cuda glsl hlsl zig d protocol buffer solidity verilog systemverilog jsx tsx"
)
COMMENT_SYNTAX: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    **{lang: (_HASH, ()) for lang in _HASH_LANGS.split()},
    **{lang: (_SLASH, _C_BLOCK) for lang in _SLASH_LANGS.split()},
    "protocol buffer": (_SLASH, _C_BLOCK),
    "python": (_HASH, (('"""', '"""'), ("'''", "'''"))),
    "php": (("//", "#"), _C_BLOCK),
    "css": ((), _C_BLOCK),
    "scss": (_SLASH, _C_BLOCK),
    "less": (_SLASH, _C_BLOCK),
    "sql": (("--",), _C_BLOCK),
    "lua": (("--",), (("--[[", "]]"),)),
    "haskell": (("--",), (("{-", "-}"),)),
    "ada": (("--",), ()),
    "vhdl": (("--",), ()),
    "elm": (("--",), (("{-", "-}"),)),
    **{lang: ((), _XML_BLOCK) for lang in ("html", "xml", "vue", "markdown", "svg", "xslt")},
}


def strip_copyright_header(text: str, lang: str) -> tuple[str, int]:
    """Remove the leading comment blocks of ``text`` that hold a copyright or licence notice.

    Scans the comments before the first line of code (a ``#!`` line is kept): consecutive line comments form one
    block, a block comment is one block. Blocks with a notice are removed with the blank lines after them; other
    blocks stay. Returns the new text and the number of blocks removed.
    """
    syntax = COMMENT_SYNTAX.get(lang)
    if syntax is None:
        return text, 0
    line_prefixes, block_pairs = syntax
    pos = 0
    if text.startswith("#!"):
        pos = _line_end(text, 0)
    pieces = [text[:pos]]
    removed = 0
    while True:
        start = _skip_blank(text, pos)
        end = _block_end(text, start, line_prefixes, block_pairs)
        if end is None:
            break
        if NOTICE.search(text, start, end):
            removed += 1
            pos = _skip_blank_lines(text, end)
        else:
            pieces.append(text[pos:end])
            pos = end
    if not removed:
        return text, 0
    pieces.append(text[pos:])
    return "".join(pieces), removed


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl + 1


def _skip_blank(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\f\ufeff":
        pos += 1
    return pos


def _skip_blank_lines(text: str, pos: int) -> int:
    """Past the rest of the block's last line and the blank lines after it, but not into code indentation."""
    while True:
        end = _line_end(text, pos)
        if text[pos:end].strip() or end == pos:
            return pos
        pos = end


def _block_end(text: str, start: int, prefixes: tuple[str, ...], pairs: tuple[tuple[str, str], ...]) -> int | None:
    """End of the comment block that starts at ``start``, or None when code (or the end) starts there."""
    for opener, closer in pairs:
        if text.startswith(opener, start):
            close = text.find(closer, start + len(opener))
            return len(text) if close < 0 else close + len(closer)
    if not prefixes or not text.startswith(prefixes, start):
        return None
    pos = start
    while pos < len(text) and text.startswith(prefixes, pos):
        pos = _line_end(text, pos)
        indent = pos
        while indent < len(text) and text[indent] in " \t":
            indent += 1
        if not text.startswith(prefixes, indent):
            break
        pos = indent
    return pos


# ---------------------------------------------------------------------------------------------- PII and secrets

_TLD = r"(?:com|org|net|edu|gov|mil|int|io|dev|info|biz|name|pro|co|ai|app|cloud|tech|xyz|me|us|[a-zA-Z]{2})"
# The local part is a dot-atom or a quoted string ("jane roe"@example.org, RFC 5321).
EMAIL_RE = re.compile(
    rf"(?:(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*|(?<![\w\\])\"[^\"\\\r\n]{{1,64}}\")"
    rf"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+{_TLD}\b(?![.-]?\w)"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # ASCII digits: ipaddress takes no others
IPV4_RE = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\.?\w)")
IPV6_RE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:.])")
# Words just before a dotted quad that make it a version number, not an address: "version 1.2.3.4", "v1.2.3.4",
# '"version": "1.2.3.4"', "foo==1.2.3.4", AssemblyVersion("1.0.0.0").
VERSION_CONTEXT = re.compile(
    r"(?:\bv|version\w*|\bver|release|\brev|build|==|>=|<=|~=|\^|~)[\"']?\s*[:=(,]?\s*[\"']?$", re.IGNORECASE
)
PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
)
TOKEN_RE = re.compile(
    r"\b(?:(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}"  # GitHub tokens
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|[sr]k_(?:live|test)_[0-9A-Za-z]{16,})\b"  # Stripe keys
)
# Assignments ``name = "value"`` (also ``name: 'value'``, ``"name": "value"``, ``name := "value"``) whose name holds
# a keyword; the match starts at the keyword and the rest of the name is found by scanning back. Names are capped at
# 64 characters on either side of the keyword, so a pathological run of keywords costs linear time.
ASSIGNMENT_RE = re.compile(
    r"(?:pass|pwd|secret|token|key)[\w.-]{0,64}+"  # the keyword and the rest of the name
    r"""(["']?[ \t]*(?::=|=>|==|[:=])[ \t]*[bru]?["'])([^"'\s]{1,200})(?=["'])""",  # separator, quoted value
    re.IGNORECASE,
)
# The same in line-oriented configuration files, where values need no quotes: ``password: hunter2`` (YAML),
# ``password = hunter2`` (INI, properties), ``export DB_PASSWORD=hunter2`` (shell, dotenv), ``ENV API_TOKEN=…``
# (Dockerfile). The value runs to the end of the line, less a trailing `` #``/`` ;`` comment. In program code an
# unquoted right-hand side is an expression (``password = getpass()``), so only these languages get this step.
CONFIG_ASSIGNMENT_RE = re.compile(
    r"^([ \t]*(?:(?:export|ENV|ARG)[ \t]+|-[ \t]+)?)"  # indentation, a shell/Dockerfile keyword or a YAML list dash
    r"([\w.-]{0,64}(?:pass|pwd|secret|token|key)[\w.-]{0,64})"  # the name
    r"[ \t]*[:=][ \t]*"  # separator
    r"""([^\s"'!&*|>#;][^\n]{0,199}?)(?=[ \t]*(?:[ \t][#;][^\n]*)?$)""",  # unquoted value, no YAML tag/anchor/block
    re.IGNORECASE | re.MULTILINE,
)
CONFIG_LANGS = frozenset({"yaml", "ini", "java properties", "dotenv", "shell", "dockerfile", "git config"})
_CONFIG_LITERALS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "none", "~"})
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
KEY_NAME_RE = re.compile(r"api[_-]?key|apikey|secret|token|access[_-]?key|auth[_-]?key|private[_-]?key", re.IGNORECASE)
URL_CREDENTIALS_RE = re.compile(r"(://[^/\s:@\"']{1,100}:)([^/\s@\"']{1,200})@")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pass", "pwd", "passphrase"})
_NAME_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_PLACEHOLDER_VALUE = re.compile(r"^(?:<[A-Z_]+>|[$%{<*]|\\|x+$|\*+$)")

# A name character in RE2, whose ``\w`` is ASCII only: every character Python's ``\w`` takes, and . and -. Any
# non-ASCII character will do: RE2 compiles that range ten times faster than \pL\pN (2.6 ms a batch for ANY_GATE).
NAME_CHAR = r"[\w.\-\x{80}-\x{10FFFF}]"
# One cheap RE2 test per step (pyarrow's match_substring_regex over a batch column, linear time): a step's Python
# patterns run only on the texts and lines its test matches. Each test accepts a superset of what the step replaces.
GATES: dict[str, str] = {
    "private_key": r"PRIVATE KEY",
    "token": r"AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|gh[pousr]_|github_pat_|xox[abposr]-|AIza|[sr]k_(live|test)_",
    "assignment": rf"(?i)(pass|pwd|secret|token|key){NAME_CHAR}*[\"']?[ \t]*(:=|=>|==|[:=])[ \t]*[bru]?[\"']",
    "config_assignment": rf"(?im)^[ \t]*((export|ENV|ARG)[ \t]+|-[ \t]+)?{NAME_CHAR}*(pass|pwd|secret|token|key)"
    rf"{NAME_CHAR}*[ \t]*[:=][ \t]*[^\s\"'!&*|>#;]",
    "url_credentials": r"://[^/\s:@\"']+:[^/\s@\"']+@",
    "email": r"[A-Za-z0-9._%+\"-]@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2}",
    "ipv4": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    "ipv6": r"(?i)[0-9a-f]{1,4}::?[0-9a-f]{1,4}::?[0-9a-f]{1,4}",
}
STEPS = tuple(GATES)
# Any gate at all, in one RE2 pass: most texts match none, and only the others need the per-step gates.
ANY_GATE = "|".join(f"(?:{gate})" for gate in GATES.values())
# No match of the other steps crosses a newline (their patterns and gates hold no character class that takes one),
# so they can run line by line on the lines their gates match; a private key block spans lines.
WHOLE_TEXT_STEPS = ("private_key",)
LINE_STEPS = tuple(step for step in STEPS if step not in WHOLE_TEXT_STEPS)
LINE_GATE = "|".join(f"(?:{GATES[step]})" for step in LINE_STEPS)


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def _looks_random(value: str) -> bool:
    """A key-like value: long enough, mixed letters and digits, and high character entropy (not a word or path)."""
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return len(value) >= 16 and has_digit and has_alpha and _entropy(value) >= 3.5


def _is_password_name(name: str) -> bool:
    parts = {p.lower() for p in _NAME_PARTS.findall(name)}
    return not parts.isdisjoint(_PASSWORD_WORDS)


def _is_public_ip(candidate: str) -> bool:
    address = ipaddress.ip_address(candidate)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_unspecified
        or address.is_reserved
        or address.is_multicast
        or address.is_link_local
    )


class Rewriter:
    """Counts replacements per kind while rewriting texts; one per batch."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def _sub(self, pattern: re.Pattern, text: str, kind: str, replace: Callable[[re.Match], str | None]) -> str:
        def one(match: re.Match) -> str:
            new = replace(match)
            if new is None:
                return match[0]
            self.counts[kind] += 1
            return new

        return pattern.sub(one, text)

    def redact(self, text: str, steps: Collection[str] = STEPS, lang: str | None = None) -> str:
        """Replace secrets, e-mail addresses and public IP addresses in ``text`` with placeholders.

        ``steps`` (names from GATES) limits the work to the steps whose pre-check matched; order is fixed.
        ``lang`` (as langid names it) enables unquoted configuration values for the CONFIG_LANGS.
        """
        if "private_key" in steps:
            text = self._sub(PRIVATE_KEY_RE, text, "pii_key", lambda m: KEY)
        if "token" in steps:
            text = self._sub(TOKEN_RE, text, "pii_key", lambda m: KEY)
        if "assignment" in steps:
            text = self._assignments(text)
        if "config_assignment" in steps and lang in CONFIG_LANGS:
            text = self._config_assignments(text)
        if "url_credentials" in steps:
            text = self._sub(URL_CREDENTIALS_RE, text, "pii_password", _url_password)
        if "email" in steps:
            text = self._sub(EMAIL_RE, text, "pii_email", _email)
        if "ipv4" in steps:
            text = self._sub(IPV4_RE, text, "pii_ip_address", _ipv4)
        if "ipv6" in steps:
            text = self._sub(IPV6_RE, text, "pii_ip_address", _ipv6)
        return text

    def _assignments(self, text: str) -> str:
        """Replace the values assigned to password-like names (any literal) and key-like names (random ones)."""
        pieces: list[str] = []
        done = 0  # text[:done] is already in pieces
        for hit in ASSIGNMENT_RE.finditer(text):
            start = hit.start()
            while start > max(done, hit.start() - 64) and text[start - 1] in _NAME_CHARS:
                start -= 1
            name, value = text[start : hit.start(1)], hit[2]
            if _is_password_name(name) and not _PLACEHOLDER_VALUE.match(value):
                placeholder, kind = PASSWORD, "pii_password"
            elif KEY_NAME_RE.search(name) and _looks_random(value):
                placeholder, kind = KEY, "pii_key"
            else:
                continue
            self.counts[kind] += 1
            pieces.append(text[done : hit.start(2)])
            pieces.append(placeholder)
            done = hit.end(2)
        return text if not pieces else "".join(pieces) + text[done:]

    def _config_assignments(self, text: str) -> str:
        """Unquoted values of password-like names (any value but a placeholder or a YAML/INI literal) and of
        key-like names (random ones), in configuration files."""

        def one(match: re.Match) -> str:
            name, value = match[2], match[3]
            if _is_password_name(name):
                if _PLACEHOLDER_VALUE.match(value) or value.lower() in _CONFIG_LITERALS:
                    return match[0]
                placeholder, kind = PASSWORD, "pii_password"
            elif KEY_NAME_RE.search(name) and _looks_random(value):
                placeholder, kind = KEY, "pii_key"
            else:
                return match[0]
            self.counts[kind] += 1
            return match[0][: match.start(3) - match.start()] + placeholder

        return CONFIG_ASSIGNMENT_RE.sub(one, text)


def _url_password(match: re.Match) -> str | None:
    return None if _PLACEHOLDER_VALUE.match(match[2]) else match[1] + PASSWORD + "@"


def _email(match: re.Match) -> str | None:
    domain = match[0].rpartition("@")[2].lower()
    if domain.rpartition(".")[2] in {"png", "jpg", "gif", "svg"}:
        return None
    return EMAIL


def _ipv4(match: re.Match) -> str | None:
    line_start = match.string.rfind("\n", 0, match.start()) + 1
    before = match.string[max(line_start, match.start() - 40) : match.start()]
    if VERSION_CONTEXT.search(before) or not _is_public_ip(match[0]):
        return None
    return IP_ADDRESS


def _ipv6(match: re.Match) -> str | None:
    candidate = match[0]
    groups = [g for g in candidate.split(":") if g]
    if len(groups) < 3 or ("::" not in candidate and len(groups) != 8):
        return None
    try:
        public = _is_public_ip(candidate)
    except ValueError:
        return None
    return IP_ADDRESS if public else None
