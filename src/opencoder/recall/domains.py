"""Domain discovery (SPEC §2 step 4): a domain with more than ``share`` of its pages recalled is code-related.

Pages are grouped by host (``www.`` dropped). URL patterns use SQL ``LIKE`` wildcards as the paper's Table 14 does
(``%`` = any run of characters, matched against the URL without its scheme), e.g. ``%segmentfault.com/q%``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc


def domain_of(url: str | None) -> str | None:
    """The host of a URL, lower case, without ``www.``; None when there is none."""
    if not url:
        return None
    host = urlsplit(url if "://" in url else f"//{url}").hostname
    if not host or any(c.isspace() for c in host):
        return None
    return host[4:] if host.startswith("www.") else host


def pattern_regex(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One regular expression for ``LIKE`` patterns (``%`` wildcards), anchored at both ends."""
    if not patterns:
        return None
    parts = [".*".join(re.escape(p) for p in pat.split("%")) for pat in patterns]
    return re.compile("^(?:" + "|".join(parts) + ")$")


def marked_domains(scored: pa.Table, threshold: float, share: float, min_pages: int) -> pa.Table:
    """Per domain with at least ``min_pages`` pages: pages, recalled pages, and whether the share recalled exceeds
    ``share``. ``scored`` has ``domain`` and ``score`` columns."""
    rows = scored.filter(pc.is_valid(scored.column("domain")))
    hit = pc.greater_equal(rows.column("score"), threshold).cast(pa.int64())
    grouped = (
        pa.table({"domain": rows.column("domain"), "hit": hit})
        .group_by("domain")
        .aggregate([("hit", "count"), ("hit", "sum")])
        .rename_columns(["domain", "pages", "recalled"])
    )
    grouped = grouped.filter(pc.greater_equal(grouped.column("pages"), min_pages))
    frac = pc.divide(grouped.column("recalled").cast(pa.float64()), grouped.column("pages").cast(pa.float64()))
    return grouped.append_column("marked", pc.greater(frac, share)).sort_by("domain")


def matches_patterns(urls: Sequence[str | None], regex: re.Pattern[str] | None) -> list[bool]:
    """Whether each URL (scheme dropped) matches one of the patterns."""
    if regex is None:
        return [False] * len(urls)
    return [bool(u) and regex.match(u.split("://", 1)[-1]) is not None for u in urls]
