"""The filter's part of the HTML report: per config (language), a histogram of each active rule's signal over the
kept and removed documents with the threshold drawn on it, and the documents nearest the threshold on each side.

The rules are the run's own: the filter stage's ``rules`` file from the manifest's recipe, or the one of the
latest ``opencoder filter`` re-run, laid over the shipped configs. The data come from ``signal_dist``.
"""

from __future__ import annotations

from typing import Any

from opencoder.errors import OpencoderError
from opencoder.refine.filter import RuleSet, load_rules
from opencoder.refine.signal_dist import ConfigDist, Distribution, describe, signal_distributions, thresholds
from opencoder.report.html import Section, esc, histogram_chart, num, table
from opencoder.report.run import RunView

KEPT_COLOUR, REMOVED_COLOUR = "#4a7bd0", "#d0694a"


def run_rules(manifest: dict[str, Any]) -> tuple[RuleSet, str]:
    """The rules a run's filter applied last, and where they came from."""
    stages = (manifest.get("recipe") or {}).get("stages") or []
    spec = next((s for s in stages if s.get("name") == "filter" and s.get("enabled", True)), None)
    path = ((spec or {}).get("params") or {}).get("rules")
    if manifest.get("refilter"):
        path = manifest["refilter"][-1].get("rules")
    try:
        return load_rules(path), f"shipped configs + {path}" if path else "the shipped configs"
    except OpencoderError as err:
        return load_rules(None), f"the shipped configs ({err}; the run's own rules file is not readable)"


def _shade(dist: Distribution) -> list[tuple[float, float]]:
    """The intervals where the rule's condition holds, within the chart."""
    assert dist.edges is not None
    lo, hi = float(dist.edges[0]), float(dist.edges[-1])
    rule, cuts = dist.rule, thresholds(dist.rule)
    if rule.outside is not None:
        return [(lo, cuts[0]), (cuts[1], hi)]
    if rule.gt is not None or rule.ge is not None:
        return [(cuts[0], hi)]
    if rule.lt is not None or rule.le is not None:
        return [(lo, cuts[0])]
    return [(cuts[0] - 0.5, cuts[0] + 0.5)]  # eq: the value's own bin (eq rules are on 0/1 signals)


def _near_rows(dist: Distribution) -> list[list[Any]]:
    rows = []
    for side, items in (("meets the rule", dist.near_hit), ("passes the rule", dist.near_pass)):
        for n in items:
            rows.append([side, f"{n.value:.6g}", n.path or n.id, "removed" if n.removed else "kept"])
    return rows


def _chart(dist: Distribution) -> str:
    assert dist.edges is not None and dist.kept is not None and dist.removed is not None
    title = f"{dist.signal}: {describe(dist.rule)}"
    svg = histogram_chart(
        title,
        dist.edges.tolist(),
        [("kept", KEPT_COLOUR, dist.kept.tolist()), ("removed", REMOVED_COLOUR, dist.removed.tolist())],
        marks=thresholds(dist.rule),
        shade=_shade(dist),
    )
    total = int(dist.kept.sum() + dist.removed.sum())
    notes = [f"{num(dist.meets)} of {num(total)} meet the condition"]
    if dist.log:
        notes.append("geometric bins (log axis)")
    off = [c for c in thresholds(dist.rule) if not dist.edges[0] <= c <= dist.edges[-1]]
    if off:
        notes.append(f"threshold {', '.join(f'{c:g}' for c in off)} off the axis")
    if dist.clipped:
        notes.append(f"{num(dist.clipped)} outside the axis, counted in the edge bins")
    if dist.missing:
        notes.append(f"{num(dist.missing)} without a value")
    near = table(["side", "value", "document", "filter verdict"], _near_rows(dist), (False, True, False, False))
    return f"<div>{svg}<p class='meta'>{esc('; '.join(notes))}</p>{near}</div>"


def _config_block(cd: ConfigDist) -> str:
    ordered = sorted(cd.rules.values(), key=lambda d: (-d.meets, d.signal))
    charts = "".join(_chart(d) for d in ordered if d.kept is not None and d.kept.sum() + d.removed.sum() > 0)
    share = f"{100 * cd.removed / cd.docs:.1f}" if cd.docs else "0"
    return (
        f"<details><summary><b>{esc(cd.config)}</b>: {num(cd.docs)} documents, {num(cd.removed)} removed by the "
        f"filter ({share} %); {len(cd.rules)} active rules, most often met first</summary>{charts}</details>"
    )


def signal_section(run: RunView) -> Section | None:
    """Signal histograms with thresholds, per config; None for a run without stored signals."""
    if not any((run.run_dir / "signals").glob("*.parquet")):
        return None
    ruleset, source = run_rules(run.manifest)
    dists = signal_distributions(run.run_dir, ruleset)
    if not dists:
        return Section("Signal distributions", "<p>No stored signals belong to a document of the run.</p>")
    legend = (
        f"<p>Rules: {esc(source)}. Each chart counts the documents of one config that reached the filter by the "
        f"value of one rule's signal: <span style='color:{KEPT_COLOUR}'>■</span> kept, "
        f"<span style='color:{REMOVED_COLOUR}'>■</span> removed by the filter (by any rule); dashed lines are "
        "the thresholds and the shaded band is where the condition holds. Below each chart, the documents "
        "nearest the threshold on each side. Re-threshold with <code>opencoder filter RUN_DIR --rules "
        "my.yaml</code> (no signal is recomputed).</p>"
    )
    return Section("Signal distributions", legend + "".join(_config_block(cd) for cd in dists))
