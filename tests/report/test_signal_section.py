"""Signal distributions in the report, on a real run (stdlib code through signals and the filter), checked
against a brute-force reading of the run's files."""

from __future__ import annotations

import json
import re
import sysconfig
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from opencoder.engine.recipe import load_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.refine import signal_dist
from opencoder.refine.filter import load_rules
from opencoder.refine.signal_dist import signal_distributions
from opencoder.report import write_report
from opencoder.report.signal_section import run_rules

THRESHOLD = 150  # python documents under this many lines are removed by the test's own rule


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sig")
    email = Path(sysconfig.get_paths()["stdlib"]) / "email"  # this Python's own standard library: real code
    for i, src in enumerate(sorted(email.rglob("*.py"))):
        dst = tmp / "corpus" / f"repo{i % 2}" / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())
    rules = tmp / "rules.yaml"
    rules.write_text(yaml.safe_dump({"python": {"qsc_code_num_lines": {"lt": THRESHOLD}}}))
    recipe = {
        "seed": 42,
        "engine": {"task_files": 20},
        "stages": [
            {"name": "preprocess"},
            {"name": "langid"},
            {"name": "signals"},
            {"name": "filter", "params": {"rules": str(rules)}},
        ],
    }
    (tmp / "r.yaml").write_text(yaml.safe_dump(recipe))
    run_recipe([(str(tmp / "corpus"), None)], tmp / "out", load_recipe(tmp / "r.yaml"), RunOptions(workers=1))
    return tmp / "out"


def _truth(run_dir, signal: str) -> pa.Table:
    """Every python document that reached the filter: id, path, its value of ``signal``, removed by the filter."""
    signals = pq.read_table(run_dir / "signals", columns=["id", signal])
    kept = pq.read_table(run_dir / "kept", columns=["id", "path", "lang"])
    removed = pq.read_table(run_dir / "removed", columns=["id", "path", "lang", "stage"])
    rows = {r["id"]: (r["path"], r["lang"], False) for r in kept.to_pylist()}
    rows |= {r["id"]: (r["path"], r["lang"], r["stage"] == "filter") for r in removed.to_pylist()}
    out = []
    for r in signals.to_pylist():
        path, lang, gone = rows[r["id"]]
        if lang == "python":
            out.append({"id": r["id"], "path": path, "value": r[signal], "removed": gone})
    return pa.Table.from_pylist(out)


def _python(run_dir, ruleset=None):
    dists = signal_distributions(run_dir, ruleset or run_rules(_manifest(run_dir))[0])
    return next(cd for cd in dists if cd.config == "python")


def _manifest(run_dir):
    return json.loads((run_dir / "manifest.json").read_text())


def test_the_runs_own_rules_are_used(run_dir):
    ruleset, source = run_rules(_manifest(run_dir))
    assert ruleset["python"]["qsc_code_num_lines"].lt == THRESHOLD and "rules.yaml" in source


def test_histogram_counts_every_document_once_with_its_verdict(run_dir):
    truth = _truth(run_dir, "qsc_code_num_lines")
    cd = _python(run_dir)
    assert cd.config == "python" and cd.docs == truth.num_rows
    assert cd.removed == sum(truth.column("removed").to_pylist()) > 0
    dist = cd.rules["qsc_code_num_lines"]
    values = np.array(truth.column("value").to_pylist(), dtype=float)
    gone = np.array(truth.column("removed").to_pylist())
    assert dist.kept.sum() == (~gone).sum() and dist.removed.sum() == gone.sum()
    assert dist.meets == (values < THRESHOLD).sum()
    # every document below the threshold was removed by it: the bins left of it hold only removed ones
    left = dist.edges[1:] <= THRESHOLD
    assert dist.kept[left].sum() == 0 and dist.removed[left].sum() > 0
    # each bin holds exactly the documents whose value falls in it (edge bins take the clipped ones)
    inner = np.clip(np.searchsorted(dist.edges, values, side="right") - 1, 0, len(dist.edges) - 2)
    assert np.array_equal(np.bincount(inner, minlength=len(dist.kept)), dist.kept + dist.removed)


def test_nearest_documents_are_the_closest_on_each_side(run_dir):
    truth = _truth(run_dir, "qsc_code_num_lines").to_pylist()
    dist = _python(run_dir).rules["qsc_code_num_lines"]
    below = sorted((THRESHOLD - r["value"], r["id"]) for r in truth if r["value"] < THRESHOLD)
    above = sorted((r["value"] - THRESHOLD, r["id"]) for r in truth if r["value"] >= THRESHOLD)
    assert [(n.distance, n.id) for n in dist.near_hit] == below[: signal_dist.NEAREST]
    assert [(n.distance, n.id) for n in dist.near_pass] == above[: signal_dist.NEAREST]
    assert all(n.removed for n in dist.near_hit)


def test_a_small_sample_changes_the_bins_not_the_counts(run_dir, monkeypatch):
    full = _python(run_dir)
    monkeypatch.setattr(signal_dist, "SAMPLE", 5)  # memory bound: the bins come from 5 values per rule
    small = _python(run_dir)
    for name, dist in full.rules.items():
        other = small.rules[name]
        assert dist.kept.sum() == other.kept.sum() and dist.removed.sum() == other.removed.sum()
        assert dist.meets == other.meets and dist.near_hit == other.near_hit and dist.near_pass == other.near_pass


def test_report_draws_one_histogram_per_active_rule_with_its_threshold(run_dir):
    html = write_report(run_dir).read_text()
    section = html[html.index("<h2>Signal distributions</h2>") :]
    section = section[: section.index("</section>")]
    python = load_rules(run_dir.parent / "rules.yaml")["python"]
    active = [s for s, r in python.items() if r is not None]
    svgs = re.findall(r"<svg .*?</svg>", section, re.S)
    titles = [re.search(r'aria-label="([^"]+)"', s).group(1) for s in svgs]
    assert {t.split(":")[0] for t in titles} >= {"qsc_code_num_lines"}
    assert len({t.split(":")[0] for t in titles}) <= len(active)
    chart = svgs[titles.index(f"qsc_code_num_lines: lt {THRESHOLD}")]
    assert 'stroke-dasharray="4 3"' in chart and f">{THRESHOLD}</text>" in chart
    assert "meets the rule" in section and "passes the rule" in section
