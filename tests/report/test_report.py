"""The report on a run directory laid out as CONTRACTS.md says, built from real standard-library files."""

import json
import re
import subprocess
import sys
import sysconfig
from html import unescape
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opencoder.errors import OpencoderError
from opencoder.io.schema import DOC_SCHEMA, REMOVED_SCHEMA
from opencoder.report import RunView, Section, write_report
from opencoder.report.sections import SECTIONS

STDLIB = Path(sysconfig.get_paths()["stdlib"])
HOSTILE = "<script>alert('x')</script> & </pre>"


def _doc(name: str, lang: str | None, text: str) -> dict:
    return {"id": f"stdlib/{name}", "text": text, "path": name, "repo": "stdlib", "lang": lang,
            "doc_type": "code", "size": len(text.encode()), "source": "python-stdlib"}  # fmt: skip


def _removed(doc: dict, stage: str, reason: str, **extra) -> dict:
    return {**doc, "stage": stage, "reason": reason, **extra}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """Kept Python files in two files; removed rows of three reasons spread over small row groups."""
    run = tmp_path_factory.mktemp("run")
    py = sorted(STDLIB.glob("*.py"))[:12]
    kept = [_doc(p.name, "python", p.read_text("utf-8")) for p in py]
    for i, part in enumerate((kept[:7], kept[7:])):
        (run / "kept").mkdir(exist_ok=True)
        pq.write_table(pa.Table.from_pylist(part, DOC_SCHEMA), run / "kept" / f"t{i:05d}.parquet")
    removed = [_removed(_doc(f"copy{i}_{d['path']}", "python", d["text"]), "exact_dedup", "exact_duplicate",
                        duplicate_of=d["id"]) for i, d in enumerate(kept[:5])]  # fmt: skip
    removed += [_removed(_doc(f"blob{i}.bin", None, ""), "preprocess", "binary") for i in range(2)]
    removed.append(_removed(_doc("evil.md", "markdown", HOSTILE + "y" * 5000), "filter", "quality", rules=["r1", "r2"]))
    removed.append(_removed(_doc("short.md", "markdown", "tiny"), "filter", "quality", rules=["r1"]))
    (run / "removed").mkdir()
    pq.write_table(pa.Table.from_pylist(removed, REMOVED_SCHEMA), run / "removed" / "t00000.parquet", row_group_size=2)
    stages = [
        {"name": "preprocess", "in": 21, "kept": 19, "removed": 2, "counters": {"decoded_latin1": 1}},
        {"name": "exact_dedup", "in": 19, "kept": 14, "removed": 5},
        {"name": "filter", "in": 14, "kept": 12, "removed": 2},
    ]
    manifest = {"recipe": {"seed": 42, "stages": [{"name": s["name"]} for s in stages]},
                "versions": {"opencoder": "0.1.0"}, "inputs": [{"path": str(STDLIB), "files": 21}],
                "stages": stages, "timings": {"total_s": 1.5}}  # fmt: skip
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "train").mkdir()
    lines = [json.dumps({"step": s, "loss": 5.0 / (s + 1), "lr": 1e-3}) for s in range(20)]
    (run / "train" / "metrics.jsonl").write_text("\n".join(lines) + '\n{"step": 20, "lo')  # torn last line
    (run / "eval").mkdir()
    (run / "eval" / "results.json").write_text(json.dumps({"humaneval": {"pass@1": 0.125}, "samples": [1, 2]}))
    return run


def _section(html: str, title: str) -> str:
    match = re.search(rf"<h2>{re.escape(title)}</h2>(.*?)</section>", html, re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def _cells(fragment: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", fragment, re.S)
    return [
        [unescape(re.sub("<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)] for r in rows
    ]


def test_funnel_lists_stages_in_order_with_their_counts(run_dir):
    html = write_report(run_dir).read_text()
    rows = _cells(_section(html, "Funnel"))
    assert [r[:4] for r in rows[1:]] == [
        ["preprocess", "21", "19", "2"],
        ["exact_dedup", "19", "14", "5"],
        ["filter", "14", "12", "2"],
    ]
    assert rows[1][6] == "decoded_latin1: 1"
    assert "in ≠ kept + removed" not in html


def test_languages_before_and_after_count_files_and_bytes(run_dir):
    html = write_report(run_dir).read_text()
    rows = {r[0]: r for r in _cells(_section(html, "Languages"))[1:]}
    assert rows["python"][1] == "17" and rows["python"][3] == "12"
    assert rows["markdown"][1] == "2" and rows["markdown"][3] == "0"
    assert rows["(none)"][1] == "2"
    assert rows["all"][1] == "21" and rows["all"][3] == "12"
    view = RunView(run_dir)
    kept_bytes = sum(len(p.read_bytes()) for p in sorted(STDLIB.glob("*.py"))[:12])
    assert view.kept_langs["python"].bytes == kept_bytes


def test_reasons_rules_and_samples_come_from_all_row_groups(run_dir):
    view = RunView(run_dir, samples_per_reason=2, sample_chars=100)
    removed = view.removed
    assert {k: v.docs for k, v in removed.reasons.items()} == {
        ("exact_dedup", "exact_duplicate"): 5,
        ("preprocess", "binary"): 2,
        ("filter", "quality"): 2,
    }
    assert dict(removed.rules) == {"r1": 2, "r2": 1}
    dups = removed.samples[("exact_dedup", "exact_duplicate")]
    first = [p.name for p in sorted(STDLIB.glob("*.py"))[:2]]
    assert [(s.meta["id"], s.meta["duplicate_of"]) for s in dups] == [
        (f"stdlib/copy{i}_{name}", f"stdlib/{name}") for i, name in enumerate(first)
    ]
    assert dups[0].text == (STDLIB / first[0]).read_text("utf-8")[:100]
    quality = removed.samples[("filter", "quality")]
    assert quality[0].text == (HOSTILE + "y" * 5000)[:100] and quality[0].truncated
    assert quality[1].text == "tiny" and not quality[1].truncated


def test_page_is_self_contained_and_escapes_document_text(run_dir):
    html = write_report(run_dir).read_text()
    assert "<script" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    samples = _section(html, "Removed samples")
    assert "filter · quality" in samples and "cut at 1,200 characters" in samples
    assert "rules: r1, r2" in samples


def test_training_curves_and_eval_results_appear_when_present(run_dir):
    html = write_report(run_dir).read_text()
    curves = _section(html, "Training curves")
    assert curves.count("<svg") == 2 and 'aria-label="loss"' in curves and "train/metrics.jsonl" in curves
    assert _cells(_section(html, "Evaluation results"))[1:] == [["humaneval.pass@1", "0.125"]]


def test_sections_are_an_extension_point(run_dir, tmp_path):
    def clusters(run: RunView) -> Section:
        return Section("Clusters", f"<p>{len(run.parquet_files('kept'))} kept files</p>")

    out = write_report(run_dir, tmp_path / "r.html", sections=[*SECTIONS, clusters])
    assert _section(out.read_text(), "Clusters") == "<p>2 kept files</p>"


def test_bare_run_without_removals_or_extras_still_renders(tmp_path):
    (tmp_path / "kept").mkdir()
    pq.write_table(pa.Table.from_pylist([_doc("a.py", "python", "x = 1\n")], DOC_SCHEMA), tmp_path / "kept/a.parquet")
    (tmp_path / "manifest.json").write_text(
        json.dumps({"stages": [{"name": "langid", "in": 1, "kept": 1, "removed": 0}]})
    )
    html = write_report(tmp_path).read_text()
    assert "<h2>Removal reasons</h2>" not in html and "<h2>Training curves</h2>" not in html
    assert _cells(_section(html, "Languages"))[1][:4] == ["python", "1", "6 B", "1"]


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(OpencoderError, match=re.escape(str(tmp_path / "manifest.json"))):
        write_report(tmp_path)


def test_cli_writes_the_report_and_prints_its_path(run_dir, tmp_path):
    out = tmp_path / "page.html"
    done = subprocess.run([sys.executable, "-m", "opencoder.cli", "report", str(run_dir), "--out", str(out)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.strip() == str(out) and "<h2>Funnel</h2>" in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "opencoder.cli", "report", str(tmp_path / "nope")],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: ") and len(bad.stderr.splitlines()) == 1


def test_report_of_a_real_refine_run_agrees_with_its_manifest(tmp_path):
    from opencoder.engine.recipe import load_recipe
    from opencoder.engine.runner import RunOptions, run_recipe

    tree = tmp_path / "tree"
    for copy in ("a", "b"):
        (tree / copy).mkdir(parents=True)
        for p in sorted(STDLIB.glob("*.py"))[:6]:
            (tree / copy / p.name).write_bytes(p.read_bytes())
    (tree / "a" / "data.bin").write_bytes(bytes(range(256)) * 4)
    run = tmp_path / "run"
    manifest = run_recipe([(str(tree), None)], run, load_recipe(None), RunOptions(workers=1))
    view = RunView(run)
    expected = {(s["name"], r): n for s in manifest["stages"] for r, n in s["reasons"].items()}
    assert {k: v.docs for k, v in view.removed.reasons.items()} == expected
    assert expected[("exact_dedup", "exact_duplicate")] == 6 and expected[("preprocess", "binary")] == 1
    assert sum(c.docs for c in view.kept_langs.values()) == manifest["stages"][-1]["kept"]
    html = write_report(run).read_text()
    funnel = {r[0]: r[1:4] for r in _cells(_section(html, "Funnel"))[1:]}
    assert funnel["exact_dedup"] == ["12", "6", "6"]
    assert "preprocess · binary" in _section(html, "Removed samples")
