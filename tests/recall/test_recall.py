"""opencoder recall on real pages: documentation vs Wikipedia and spam, domain discovery, rounds, bad input."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opencoder.errors import OpencoderError
from opencoder.recall import classifier, domains
from opencoder.recall.loop import SEED_NEGATIVES, SEED_POSITIVES, RecallParams, read_texts, run_recall
from opencoder.report.recall import recall_html
from opencoder.train.packing import tokenize
from opencoder.train.tokenizer import train_tokenizer

POOL = Path(__file__).parents[1] / "fixtures" / "recall" / "pool.jsonl.gz"
POS, NEG = SEED_POSITIVES, SEED_NEGATIVES  # shipped in the package: the demo's recall step uses them too
SMALL = {"rounds": 2, "vocab_size": 2000, "holdout": 0.2, "fasttext": {"dim": 16, "epoch": 50}}


@pytest.fixture(scope="module")
def recalled_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("recall")
    summaries = run_recall([POOL], [POS], [NEG], out, RecallParams.model_validate(SMALL))
    return out, summaries


def test_rounds_write_model_scores_domains_and_recalled_sets(recalled_run):
    out, summaries = recalled_run
    assert [s["round"] for s in summaries] == [1, 2]
    for r in (1, 2):
        d = out / f"round{r}"
        assert classifier.load(d / "model.bin").get_labels()
        scores = pq.read_table(d / "run" / "scores")
        assert scores.num_rows == 70 and scores.schema.names == ["id", "url", "score"]
        assert (d / "domains.parquet").is_file() and (d / "recalled.parquet").is_file()
    s1 = summaries[0]
    assert s1["pool"] == 70 and s1["no_url"] == 20  # the mails (spam and ham) carry no URL
    assert 0.0 <= s1["held_out"]["precision"] <= 1.0 and s1["held_out"]["held_out_positives"] > 0
    assert json.loads((out / "recall.json").read_text())["rounds"] == summaries


def test_the_recalled_pages_feed_tokenize_with_their_text(recalled_run, tmp_path):
    out, summaries = recalled_run
    final = pq.read_table(out / "recalled.parquet")
    assert final.column("id").to_pylist() == pq.read_table(out / "round2" / "recalled.parquet").column("id").to_pylist()
    with gzip.open(POOL, "rt", encoding="utf-8") as fh:
        pool = {(r := json.loads(line))["id"]: r["text"] for line in fh}
    assert final.num_rows == summaries[-1]["recalled"] > 0
    assert all(
        pool[i] == t for i, t in zip(final.column("id").to_pylist(), final.column("text").to_pylist(), strict=True)
    )
    tok = train_tokenizer([out / "recalled.parquet"], tmp_path / "tok", 400)
    meta = tokenize([out / "recalled.parquet"], tok, tmp_path / "tokens", processes=1)
    assert meta["num_documents"] == final.num_rows


def test_documentation_is_recalled_and_wikipedia_and_spam_are_not(recalled_run):
    out, _ = recalled_run
    recalled = pq.read_table(out / "round2" / "recalled.parquet").to_pylist()
    ids = {r["id"] for r in recalled}
    cpp = {i for i in ids if i.startswith("cppreference/")}
    assert len(cpp) >= 27, "cppreference pages: by the classifier, or through their domain"
    assert sum(i.startswith(("enwiki", "spamassassin")) for i in ids) <= 2
    marked = [
        d
        for d in pq.read_table(out / "round1" / "domains.parquet").to_pylist()
        if d["domain"].endswith("cppreference.com")
    ]
    assert {k: marked[0][k] for k in ("domain", "pages")} == {"domain": "en.cppreference.com", "pages": 30}
    assert all(r["via"] in ("classifier", "domain", "pattern") for r in recalled)


def test_the_report_shows_every_round_and_the_pages_at_both_ends(recalled_run):
    out, summaries = recalled_run
    html = recall_html(out / "recall.json", "recall")
    rows = re.findall(r"<tr><td[^>]*>(\d)</td><td[^>]*>70</td><td[^>]*>(\d+)</td>", html)
    assert rows == [(str(s["round"]), str(s["recalled"])) for s in summaries]
    scores = pq.read_table(out / "round2" / "run" / "scores").sort_by([("score", "descending"), ("id", "ascending")])
    top, bottom = html.split("lowest scored")
    assert scores.column("id")[0].as_py() in top and scores.column("id")[69].as_py() in bottom
    assert scores.column("id")[30].as_py() not in html  # only the 10 at each end


def test_same_seed_same_recalled_set(recalled_run, tmp_path):
    out, _ = recalled_run
    params = RecallParams.model_validate({**SMALL, "rounds": 1})
    run_recall([POOL], [POS], [NEG], tmp_path, params)
    again = pq.read_table(tmp_path / "round1" / "recalled.parquet")
    first = pq.read_table(out / "round1" / "recalled.parquet")
    assert again.equals(first)


def test_domains_and_url_patterns():
    assert domains.domain_of("https://www.Example.com/a?b") == "example.com"
    assert domains.domain_of(None) is None and domains.domain_of("not a url") is None
    regex = domains.pattern_regex(["%segmentfault.com/q%", "%my.oschina.net%blog%"])
    urls = [
        "https://segmentfault.com/q/1010000",
        "http://my.oschina.net/u/1/blog/2",
        "https://segmentfault.com/a/1",
        None,
    ]
    assert domains.matches_patterns(urls, regex) == [True, True, False, False]
    scored = pa.table(
        {"domain": ["a.org"] * 10 + ["b.org"] * 10 + [None], "score": [0.9] * 2 + [0.1] * 8 + [0.9] + [0.1] * 9 + [0.9]}
    )
    judged = domains.marked_domains(scored, 0.5, 0.1, 3).to_pylist()
    assert judged == [
        {"domain": "a.org", "pages": 10, "recalled": 2, "marked": True},
        {"domain": "b.org", "pages": 10, "recalled": 1, "marked": False},  # 10% is not more than 10%
    ]


def test_a_file_that_is_not_a_fasttext_model_is_refused(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(OpencoderError, match="not a fastText model"):
        classifier.load(bad)
    with pytest.raises(OpencoderError, match="does not exist"):
        classifier.load(tmp_path / "missing.bin")


def test_bad_seed_lines_name_file_and_line_and_bad_pool_lines_are_accounted(tmp_path):
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_bytes(b'{"id": "a", "text": "fine"}\n{"id": "b", "text": "bad \xff byte"}\n')
    with pytest.raises(OpencoderError, match=r"seeds\.jsonl:2"):
        read_texts([seeds])
    with gzip.open(POOL, "rb") as f:
        pool_lines = f.read().splitlines()[:20]
    pool = tmp_path / "pool.jsonl"
    pool.write_bytes(b"\n".join([*pool_lines, b'{"id": "x", "text": "bad \xff"}', b'{"id": "y", "text": ""}']) + b"\n")
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "opencoder.cli",
            "recall",
            str(pool),
            "--positives",
            str(POS),
            "--negatives",
            str(NEG),
            "--out",
            str(out),
            "--rounds",
            "1",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "round1" / "run" / "manifest.json").read_text())
    assert manifest["documents"] == {"in": 22, "kept": 21, "removed": 1}  # the bad line is a read_error
    scores = pq.read_table(out / "round1" / "run" / "scores").to_pydict()
    assert len(scores["id"]) == 21 and "y" in scores["id"]  # the empty page is scored, not lost


def test_text_files_keeps_code_related_documentation_only(recalled_run, tmp_path):
    from opencoder.engine.recipe import parse_recipe
    from opencoder.engine.runner import run_recipe
    from opencoder.io.readers import InputSpec
    from opencoder.recall.text_files import looks_like_documentation

    out, _ = recalled_run
    assert looks_like_documentation("repo/README") and looks_like_documentation("docs/intro.html")
    assert not looks_like_documentation("src/notes.py") and not looks_like_documentation(None)
    with gzip.open(POOL, "rt") as f:
        pages = {r["id"]: r["text"] for r in map(json.loads, f)}
    doc = next(t for i, t in pages.items() if i.startswith("cppreference/"))
    wiki = next(t for i, t in pages.items() if i.startswith("enwiki"))
    repo = tmp_path / "repo"
    files = {"README.md": doc, "docs/history.rst": wiki, "notes.txt": doc, "main.py": "print('hi')\n"}
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    recipe = parse_recipe(
        {
            "stages": [
                {"name": "preprocess"},
                {"name": "langid"},
                {
                    "name": "text_files",
                    "params": {"model": str(out / "round2" / "model.bin"), "segmenter": str(out / "segmenter.json")},
                },
            ]
        }
    )
    manifest = run_recipe([InputSpec(str(repo), "repo")], tmp_path / "run", recipe)
    kept = sorted(r["path"] for r in pq.read_table(tmp_path / "run" / "kept").to_pylist())
    removed = {r["path"]: r["reason"] for r in pq.read_table(tmp_path / "run" / "removed").to_pylist()}
    assert manifest["documents"]["in"] == 4
    assert "README.md" in kept and "main.py" in kept
    assert removed.get("docs/history.rst") == "text_not_code_related"  # a documentation name, but not about code
    scores = pq.read_table(tmp_path / "run" / "text_scores").to_pylist()
    assert {s["path"] for s in scores} >= {"README.md", "docs/history.rst"}
