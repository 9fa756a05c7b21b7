"""Jupyter notebooks -> structured text: real notebooks (tests/fixtures/notebooks, see its README) and broken ones,
alone and through the refine run (preprocess -> notebook -> langid -> the filters)."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from opencoder.engine.recipe import DEFAULT_RECIPE, load_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.refine.ipynb import CODE, OUTPUT, TEXT, NotebookError, convert, kernel_language

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
FUNCTIONS = FIXTURES / "llama-cpp-functions.ipynb"
TUNING = FIXTURES / "llama-cpp-performance-tuning.ipynb"
OLS = FIXTURES / "statsmodels-ols.ipynb"


def _nb(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def test_real_notebook_becomes_marked_cells_in_cell_order_and_still_parses_as_python():
    nb = _nb(FUNCTIONS)
    out = convert(FUNCTIONS.read_text("utf-8"))
    assert out.lang == "python" and out.cells == len(nb["cells"])
    ast.parse(out.text)  # markers, markdown and outputs are comments: the result is a Python program
    lines = out.text.splitlines()
    markers = [line for line in lines if line in (f"# {TEXT}", f"# {CODE}", f"# {OUTPUT}")]
    expected = []
    for cell in nb["cells"]:
        if "".join(cell["source"]).strip():
            expected.append(f"# {CODE}" if cell["cell_type"] == "code" else f"# {TEXT}")
        expected += [f"# {OUTPUT}"] * bool(cell.get("outputs"))  # all outputs of a cell: one block
    assert markers == expected
    first_code = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert first_code.strip() in out.text  # code cells are kept verbatim
    assert "# # Functions" in lines  # the markdown heading, as a comment


def test_plain_structured_form_has_bare_markers_and_markdown():
    out = convert(FUNCTIONS.read_text("utf-8"), comment_text=False)
    lines = out.text.splitlines()
    assert lines[0] == TEXT and lines[1] == "# Functions" and CODE in lines and OUTPUT in lines


def test_embedded_image_never_reaches_the_text_and_the_size_ratio_is_large():
    raw = TUNING.read_text("utf-8")
    out = convert(raw)
    assert "iVBORw0KGgo" not in out.text  # the base64 PNG signature
    assert "<Figure size" in out.text  # its text/plain form is kept
    assert len(raw) / len(out.text) > 10
    nb = _nb(TUNING)
    image = next(o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    del image["data"]["text/plain"]  # an image without a plain form: a marker instead
    marked = convert(json.dumps(nb))
    assert "# [image/png output omitted]" in marked.text.splitlines()
    assert marked.elided_outputs == out.elided_outputs + 1


def test_long_outputs_are_cut_with_a_marker_saying_how_much():
    nb = _nb(TUNING)
    streams = ["".join(o["text"]).strip("\n") for o in nb["cells"][1]["outputs"] if o["output_type"] == "stream"]
    total = len("\n".join(streams))
    out = convert(TUNING.read_text("utf-8"), max_output_chars=100)
    assert total > 10_000 and f"# [... {total - 100} characters elided]" in out.text.splitlines()
    assert "characters elided" not in convert(TUNING.read_text("utf-8"), max_output_chars=total).text
    assert OUTPUT not in convert(TUNING.read_text("utf-8"), outputs=False).text


def test_notebook_without_outputs_and_python_magics():
    nb = _nb(OLS)
    nb["cells"][1]["source"] = ["%matplotlib inline\n", "!pip install statsmodels\n", "x = 1\n"]
    out = convert(json.dumps(nb))
    assert OUTPUT not in out.text and "# %matplotlib inline" in out.text and "# !pip install statsmodels" in out.text
    ast.parse(out.text)


def test_language_comes_from_the_kernel_metadata():
    assert kernel_language({"kernelspec": {"language": "R", "name": "ir"}}) == "r"
    assert kernel_language({"language_info": {"name": "julia"}}) == "julia"
    assert kernel_language({"kernelspec": {"name": "python3"}}) == "python"
    assert kernel_language({"kernelspec": {"name": "julia-1.9"}}) == "julia"
    assert kernel_language({"language": "python"}) == "python"  # nbformat 3
    assert kernel_language({}) is None
    nb = _nb(OLS)
    nb["metadata"] = {"kernelspec": {"language": "R", "name": "ir"}}
    nb["cells"] = [{"cell_type": "markdown", "source": "# Fit"}, {"cell_type": "code", "source": "lm(y ~ x)"}]
    out = convert(json.dumps(nb))
    assert out.lang == "r" and out.text == f"# {TEXT}\n# # Fit\n# {CODE}\nlm(y ~ x)\n"


def test_nbformat3_worksheets_are_read():
    v3 = {
        "nbformat": 3,
        "metadata": {"language": "python"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "source": "Title", "level": 1},
                    {"cell_type": "code", "input": "print(1)", "outputs": [{"output_type": "stream", "text": "1\n"}]},
                    {"cell_type": "code", "input": "2", "outputs": [{"output_type": "pyout", "text": ["2"]}]},
                ]
            }
        ],
    }
    out = convert(json.dumps(v3))
    assert out.text.splitlines() == [
        f"# {TEXT}",
        "# Title",
        f"# {CODE}",
        "print(1)",
        f"# {OUTPUT}",
        "# 1",
        f"# {CODE}",
        "2",
        f"# {OUTPUT}",
        "# 2",
    ]


@pytest.mark.parametrize(
    ("raw", "reason", "detail"),
    [
        (FUNCTIONS.read_text("utf-8")[:5000], "notebook_invalid_json", "line "),
        ("[1, 2]", "notebook_not_a_notebook", "JSON list"),
        ('{"metadata": {}}', "notebook_not_a_notebook", "no 'cells'"),
        ('{"cells": [{"cell_type": "code", "source": "x"}], "metadata": {}}', "notebook_no_language", "kernel"),
        ('{"cells": [{"cell_type": "code", "source": ""}], "metadata": {"language": "python"}}', "notebook_empty", ""),
    ],
)
def test_broken_notebooks_raise_with_a_reason(raw, reason, detail):
    with pytest.raises(NotebookError) as err:
        convert(raw)
    assert err.value.reason == reason and detail in err.value.detail


def test_default_language_applies_only_where_the_metadata_names_none():
    raw = '{"cells": [{"cell_type": "code", "source": "x = 1"}], "metadata": {}}'
    out = convert(raw, default_lang="python")
    assert out.lang == "python" and out.lang_defaulted
    assert not convert(FUNCTIONS.read_text("utf-8"), default_lang="r").lang_defaulted


@pytest.fixture(scope="module")
def refined(tmp_path_factory):
    """The default recipe's stages up to the filter over real notebooks, broken ones and a Python file."""
    tmp = tmp_path_factory.mktemp("nb")
    repo = tmp / "corpus" / "repo"
    repo.mkdir(parents=True)
    for src in (FUNCTIONS, TUNING, OLS):
        shutil.copyfile(src, repo / src.name)
    (repo / "truncated.ipynb").write_text(FUNCTIONS.read_text("utf-8")[:3000])
    cobol = json.dumps({"cells": [{"cell_type": "code", "source": "DISPLAY 'HI'."}], "metadata": {"language": "x9"}})
    (repo / "odd-kernel.ipynb").write_text(cobol)
    shutil.copyfile(Path(ast.__file__), repo / "ast.py")
    recipe = yaml.safe_load(DEFAULT_RECIPE.read_text())
    recipe["stages"] = [s for s in recipe["stages"] if s["name"] in ("preprocess", "notebook", "langid", "signals")]
    recipe["stages"].append({"name": "filter"})
    (tmp / "r.yaml").write_text(yaml.safe_dump(recipe))
    manifest = run_recipe([(str(tmp / "corpus"), None)], tmp / "out", load_recipe(tmp / "r.yaml"), RunOptions(1))
    return tmp / "out", manifest


def _rows(run_dir: Path, sub: str) -> dict[str, dict]:
    return {
        Path(r["path"]).name: r for f in sorted((run_dir / sub).glob("*.parquet")) for r in pq.read_table(f).to_pylist()
    }


def test_run_converts_notebooks_removes_broken_ones_with_a_reason_and_accounts_for_all(refined):
    run_dir, manifest = refined
    stages = {s["name"]: s for s in manifest["stages"]}
    assert all(s["in"] == s["kept"] + s["removed"] for s in manifest["stages"])
    nb = stages["notebook"]
    assert nb["in"] == 6 and nb["removed"] == 2
    assert nb["counters"]["notebooks_converted"] == 3 and nb["counters"]["notebook_invalid_json"] == 1
    removed = _rows(run_dir, "removed")
    assert removed["truncated.ipynb"]["stage"] == "notebook"
    assert removed["truncated.ipynb"]["reason"] == "notebook_invalid_json"
    assert removed["truncated.ipynb"]["detail"].startswith("line ")
    assert removed["odd-kernel.ipynb"]["reason"] == "notebook_unknown_language"
    assert "'x9'" in removed["odd-kernel.ipynb"]["detail"]


def test_converted_notebooks_reach_the_filter_as_python_code(refined):
    run_dir, _ = refined
    docs = _rows(run_dir, "kept") | _rows(run_dir, "removed")
    for name in (FUNCTIONS.name, TUNING.name, OLS.name):
        doc = docs[name]
        assert (doc["lang"], doc["doc_type"]) == ("python", "code")
        assert doc["text"] == convert((FIXTURES / name).read_text("utf-8")).text  # the converted text goes on
        assert doc.get("stage") in (None, "filter")
        assert doc["size"] == (FIXTURES / name).stat().st_size  # size stays the raw file's
    signals = pq.read_table(run_dir / "signals").to_pylist()
    ast_ok = {r["id"]: r["qsc_codepython_cate_ast"] for r in signals if r["id"].endswith(".ipynb")}
    assert len(ast_ok) == 3 and all(v == 1.0 for v in ast_ok.values())  # the Python filters could read them
