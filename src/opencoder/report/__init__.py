"""The HTML report of a run: ``write_report(run_dir)`` writes ``run_dir/report.html``, one file, no links."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from opencoder.report.html import Section, page
from opencoder.report.run import RunView
from opencoder.report.sections import SECTIONS, SectionFn

__all__ = ["SECTIONS", "RunView", "Section", "SectionFn", "write_report"]


def write_report(
    run_dir: str | Path,
    out: str | Path | None = None,
    sections: Sequence[SectionFn] | None = None,
    samples_per_reason: int = 3,
) -> Path:
    """Render every section that has something to show and write the page atomically; returns its path."""
    run = RunView(Path(run_dir), samples_per_reason=samples_per_reason)
    rendered = [s for s in (fn(run) for fn in (SECTIONS if sections is None else sections)) if s is not None]
    target = Path(out) if out is not None else run.run_dir / "report.html"
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page(f"opencoder report: {run.run_dir.name}", str(run.run_dir.resolve()), rendered), "utf-8")
    os.replace(tmp, target)
    return target
