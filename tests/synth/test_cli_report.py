"""`opencoder synth` from the command line: the recipes in --help, clear errors on bad input, and the report
section rendered from the output folder."""

from __future__ import annotations

import json

from fake_llm_server import serve
from synth_teacher import block, scripted, write_seeds
from typer.testing import CliRunner

from opencoder.cli import app
from opencoder.report import write_report
from opencoder.synth.catalog import CATALOG

runner = CliRunner()


def test_help_lists_every_recipe():
    result = runner.invoke(app, ["synth", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for name in CATALOG:
        assert f"{name}:" in result.output


def test_bad_seeds_and_unknown_recipes_are_named(tmp_path):
    bad = tmp_path / "seeds.jsonl"
    bad.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": \n')
    result = runner.invoke(app, ["synth", "algorithmic", "--seeds", str(bad), "--out", str(tmp_path / "o")])
    assert f"{bad}:2: invalid JSON" in str(result.exception)
    bad.write_text('{"id": "a", "body": "x"}\n')
    result = runner.invoke(app, ["synth", "algorithmic", "--seeds", str(bad), "--out", str(tmp_path / "o")])
    assert "seeds.jsonl:1: no text field" in str(result.exception)
    result = runner.invoke(app, ["synth", "poetry", "--seeds", str(bad), "--out", str(tmp_path / "o")])
    assert "unknown synth recipe 'poetry'" in str(result.exception)
    result = runner.invoke(app, ["synth", "snippets", "--seeds", str(bad), "--out", str(tmp_path / "o")])
    assert "needs a teacher" in str(result.exception)


def test_cli_run_and_its_report_section(tmp_path):
    seeds = write_seeds(tmp_path / "seeds.jsonl", {"one": "# r-one\n", "two": "# r-two\n"})
    good = block("def inc(x):\n    return x + 1") + "\n" + block("assert inc(1) == 2")
    out = tmp_path / "out"
    with serve(scripted({"r-one": good, "r-two": "nothing"})) as (url, _seen):
        args = ["synth", "snippets", "--backend", "openai", "--model", "m", "--base-url", url, "--seeds", str(seeds),
                "--out", str(out)]  # fmt: skip
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 of 2 seeds kept" in result.output and "parsed" in result.output
    assert json.loads((out / "synth.json").read_text())["steps"][1]["reasons"] == {"no closed ```python code block": 1}
    html = write_report(out).read_text()
    assert "Synthetic data" in html and "snippets (anneal)" in html and "def inc(x):" in html
    assert "no closed ```python code block (1)" in html
