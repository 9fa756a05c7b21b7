"""HTML building blocks for the report: tables, bars, line charts and the page around them.

Everything is inline (CSS, SVG), so ``report.html`` opens anywhere, offline, as a single file. Every value
that comes from data passes through ``esc``: documents hold arbitrary text, including ``<script>``.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Sequence
from dataclasses import dataclass

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
th { background: #f4f4f4; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #4a7bd0; height: .9em; display: inline-block; vertical-align: middle; }
.bar.removed { background: #d0694a; }
.bad { color: #b00; font-weight: bold; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: .5em; max-height: 16em; overflow: auto;
      white-space: pre-wrap; word-break: break-all; margin: .3em 0 1em; }
.meta { color: #555; font-size: .92em; }
nav ul { columns: 2; }
svg { background: #fcfcfc; border: 1px solid #e3e3e3; margin: .3em 1em .8em 0; }
"""


@dataclass(frozen=True)
class Section:
    """One part of the report: a title (also the table of contents entry) and an HTML body."""

    title: str
    body: str


def esc(value: object) -> str:
    """Text safe to place in HTML content or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def num(value: float | int | None) -> str:
    """A count or a measure for a table cell: thousands separated, floats to 4 significant digits."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4g}"
    return f"{int(value):,}"


def human_bytes(n: int | float | None) -> str:
    """Bytes as B, kB, MB, GB (powers of 1000, like the throughput figures elsewhere)."""
    if n is None:
        return ""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def bar(fraction: float, removed: bool = False, width_px: int = 220) -> str:
    """A horizontal bar for a share between 0 and 1."""
    px = max(0, min(width_px, round(fraction * width_px)))
    return f'<span class="bar{" removed" if removed else ""}" style="width:{px}px"></span>'


def table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[bool] = ()) -> str:
    """A table; cells given as ``Raw`` are inserted as HTML, everything else is escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            css = ' class="n"' if i < len(numeric) and numeric[i] else ""
            cells.append(f"<td{css}>{cell.html if isinstance(cell, Raw) else esc(cell)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


@dataclass(frozen=True)
class Raw:
    """A table cell that is already HTML (a bar, a link), so ``table`` does not escape it."""

    html: str


def line_chart(title: str, xs: Sequence[float], ys: Sequence[float], width: int = 460, height: int = 170) -> str:
    """An inline SVG line chart of one series, with its range written on the axes."""
    pad_l, pad_r, pad_t, pad_b = 58, 12, 22, 26
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    sx = (width - pad_l - pad_r) / ((x1 - x0) or 1)
    sy = (height - pad_t - pad_b) / ((y1 - y0) or 1)
    points = " ".join(
        f"{pad_l + (x - x0) * sx:.1f},{height - pad_b - (y - y0) * sy:.1f}" for x, y in zip(xs, ys, strict=True)
    )
    frame = _chart_frame(title, width, height, (pad_l, pad_r, pad_t, pad_b), (x0, x1, y0, y1))
    return f'{frame}<polyline fill="none" stroke="#4a7bd0" stroke-width="1.5" points="{points}"/></svg>'


def _chart_frame(
    title: str, width: int, height: int, pads: tuple[int, int, int, int], ranges: tuple[float, float, float, float]
) -> str:
    """An open ``<svg>`` with a chart's title, axes and the x and y ranges written at their ends."""
    (pad_l, pad_r, pad_t, pad_b), (x0, x1, y0, y1) = pads, ranges
    bottom = height - pad_b
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="{esc(title)}">'
        f'<text x="{pad_l}" y="15" font-size="13">{esc(title)}</text>'
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{bottom}" stroke="#999"/>'
        f'<line x1="{pad_l}" y1="{bottom}" x2="{width - pad_r}" y2="{bottom}" stroke="#999"/>'
        f'<text x="{pad_l - 4}" y="{pad_t + 4}" font-size="11" text-anchor="end">{esc(f"{y1:.4g}")}</text>'
        f'<text x="{pad_l - 4}" y="{bottom}" font-size="11" text-anchor="end">{esc(f"{y0:.4g}")}</text>'
        f'<text x="{pad_l}" y="{height - 8}" font-size="11">{esc(f"{x0:g}")}</text>'
        f'<text x="{width - pad_r}" y="{height - 8}" font-size="11" text-anchor="end">{esc(f"{x1:g}")}</text>'
    )


def page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The whole document: a heading, a table of contents and the sections, all in one file."""
    anchors = [f"s{i}" for i in range(len(sections))]
    toc = "".join(f'<li><a href="#{a}">{esc(s.title)}</a></li>' for a, s in zip(anchors, sections, strict=True))
    body = "".join(
        f'<section id="{a}"><h2>{esc(s.title)}</h2>{s.body}</section>' for a, s in zip(anchors, sections, strict=True)
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title><style>{CSS}</style></head>'
        f'<body><h1>{esc(title)}</h1><p class="meta">{esc(subtitle)}</p><nav><ul>{toc}</ul></nav>{body}'
        "</body></html>\n"
    )


def histogram_chart(
    title: str,
    edges: Sequence[float],
    stacks: Sequence[tuple[str, str, Sequence[int]]],
    marks: Sequence[float] = (),
    shade: Sequence[tuple[float, float]] = (),
    width: int = 460,
    height: int = 170,
) -> str:
    """An inline SVG histogram: per bin (all drawn the same width, so geometric bins read as a log axis), the
    ``stacks`` (label, colour, counts) stacked bottom up; dashed lines at ``marks`` (thresholds; those off the
    axis are left out) and a light band over each ``shade`` interval (where a rule's condition holds)."""
    pad_l, pad_r, pad_t, pad_b = 58, 12, 22, 26
    n = len(edges) - 1
    totals = [sum(s[2][i] for s in stacks) for i in range(n)]
    top = max(totals, default=0) or 1
    bw = (width - pad_l - pad_r) / n
    sy = (height - pad_t - pad_b) / top
    bottom = height - pad_b

    def x(v: float) -> float:
        """Where value ``v`` falls: linear inside its bin, clamped to the axis."""
        i = min(max(bisect.bisect_right(edges, v) - 1, 0), n - 1)
        frac = (v - edges[i]) / ((edges[i + 1] - edges[i]) or 1)
        return pad_l + (i + min(max(frac, 0.0), 1.0)) * bw

    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{esc(title)}">']
    for lo, hi in shade:
        parts.append(
            f'<rect x="{x(lo):.1f}" y="{pad_t}" width="{max(x(hi) - x(lo), 0):.1f}" height="{bottom - pad_t}"'
            ' fill="#f6d5cb" opacity="0.6"/>'
        )
    for i in range(n):
        y = float(bottom)
        for label, colour, counts in stacks:
            h = counts[i] * sy
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{pad_l + i * bw:.1f}" y="{y:.1f}" width="{max(bw - 1, 1):.1f}" height="{h:.1f}" '
                    f'fill="{colour}"><title>{esc(label)}: {counts[i]:,} in '
                    f"[{float(edges[i]):.4g}, {float(edges[i + 1]):.4g})</title></rect>"
                )
    for m in marks:
        if edges[0] <= m <= edges[-1]:
            parts.append(
                f'<line x1="{x(m):.1f}" y1="{pad_t}" x2="{x(m):.1f}" y2="{bottom}" stroke="#222" '
                f'stroke-dasharray="4 3"/><text x="{x(m) + 3:.1f}" y="{pad_t + 10}" font-size="10">'
                f"{esc(f'{m:g}')}</text>"
            )
    parts.append(
        f'<text x="{pad_l}" y="12" font-size="13">{esc(title)}</text>'
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{bottom}" stroke="#999"/>'
        f'<line x1="{pad_l}" y1="{bottom}" x2="{width - pad_r}" y2="{bottom}" stroke="#999"/>'
        f'<text x="{pad_l - 4}" y="{pad_t + 4}" font-size="11" text-anchor="end">{top:,}</text>'
        f'<text x="{pad_l - 4}" y="{bottom}" font-size="11" text-anchor="end">0</text>'
        f'<text x="{pad_l}" y="{height - 8}" font-size="11">{esc(f"{float(edges[0]):.4g}")}</text>'
        f'<text x="{width - pad_r}" y="{height - 8}" font-size="11" text-anchor="end">'
        f"{esc(f'{float(edges[-1]):.4g}')}</text></svg>"
    )
    return "".join(parts)


def multi_line_chart(
    title: str,
    series: Sequence[tuple[str, str, Sequence[float], Sequence[float]]],
    width: int = 460,
    height: int = 200,
) -> str:
    """An inline SVG line chart of several series (label, colour, xs, ys) on shared axes, with a legend."""
    pad_l, pad_r, pad_t, pad_b = 58, 12, 22 + 14 * len(series), 26
    xs_all = [float(x) for _, _, xs, _ in series for x in xs]
    ys_all = [float(y) for _, _, _, ys in series for y in ys]
    if not xs_all:
        return ""
    x0, x1, y0, y1 = min(xs_all), max(xs_all), min(ys_all), max(ys_all)
    sx = (width - pad_l - pad_r) / ((x1 - x0) or 1)
    sy = (height - pad_t - pad_b) / ((y1 - y0) or 1)
    bottom = height - pad_b
    parts = [_chart_frame(title, width, height, (pad_l, pad_r, pad_t, pad_b), (x0, x1, y0, y1))]
    for i, (label, colour, xs, ys) in enumerate(series):
        points = " ".join(
            f"{pad_l + (float(x) - x0) * sx:.1f},{bottom - (float(y) - y0) * sy:.1f}"
            for x, y in zip(xs, ys, strict=True)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"><title>{esc(label)}</title>'
            f'</polyline><rect x="{pad_l + 8}" y="{24 + 14 * i}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{pad_l + 22}" y="{33 + 14 * i}" font-size="11">{esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def scatter_chart(
    title: str, series: Sequence[tuple[str, str, Sequence[float], Sequence[float]]], width: int = 460, height: int = 320
) -> str:
    """An inline SVG scatter plot of several point sets (label, colour, xs, ys) on shared axes, with a legend."""
    pad, pad_t = 16, 22 + 14 * len(series)
    xs_all = [float(x) for _, _, xs, _ in series for x in xs]
    ys_all = [float(y) for _, _, _, ys in series for y in ys]
    if not xs_all:
        return ""
    x0, x1, y0, y1 = min(xs_all), max(xs_all), min(ys_all), max(ys_all)
    sx = (width - 2 * pad) / ((x1 - x0) or 1)
    sy = (height - pad_t - pad) / ((y1 - y0) or 1)
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{esc(title)}">'
        f'<text x="{pad}" y="15" font-size="13">{esc(title)}</text>'
    ]
    for i, (label, colour, xs, ys) in enumerate(series):
        parts.append(f'<g fill="{colour}" fill-opacity="0.55"><title>{esc(label)}</title>')
        parts.extend(
            f'<circle cx="{pad + (float(x) - x0) * sx:.1f}" cy="{height - pad - (float(y) - y0) * sy:.1f}" r="2.5"/>'
            for x, y in zip(xs, ys, strict=True)
        )
        parts.append(
            f'</g><rect x="{pad + 8}" y="{24 + 14 * i}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{pad + 22}" y="{33 + 14 * i}" font-size="11">{esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
