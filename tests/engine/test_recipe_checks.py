"""Every recipe problem is found when the recipe is read, before a task runs or a run folder is written
(issue 14.10): a stage listed twice, a stage before the stage that provides what it needs."""

from __future__ import annotations

import pytest

from opencoder import engine
from opencoder.engine.recipe import parse_recipe
from opencoder.errors import OpencoderError


def test_a_stage_listed_twice_is_named_before_any_work(tmp_path):
    stages = [{"name": "preprocess"}, {"name": "exact_dedup"}, {"name": "langid"}, {"name": "exact_dedup"}]
    with pytest.raises(OpencoderError, match=r"my\.yaml: stages\[3\]\.name: stage 'exact_dedup' is listed twice"):
        parse_recipe({"stages": stages}, "my.yaml")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.py").write_text("x = 1\n")
    with pytest.raises(OpencoderError, match="listed twice"):
        engine.run(stages=[s["name"] for s in stages], inputs=[tmp_path / "t"], out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    disabled = [*stages[:3], {"name": "exact_dedup", "enabled": False}]  # a disabled copy does not run
    assert [s.name for s in parse_recipe({"stages": disabled}).enabled_stages()] == [
        "preprocess",
        "exact_dedup",
        "langid",
    ]


def test_a_stage_before_what_it_needs_is_named_before_any_work(tmp_path):
    stages = [{"name": "preprocess"}, {"name": "exact_dedup"}, {"name": "filter"}, {"name": "signals"}]
    with pytest.raises(
        OpencoderError, match=r"stages\[2\]\.name: stage 'filter' needs signals, which no enabled stage before it"
    ) as err:
        parse_recipe({"stages": stages})
    assert "'signals' does" in str(err.value)
    off = [*stages[:3], {"name": "signals", "enabled": False}]
    with pytest.raises(OpencoderError, match="needs signals"):
        parse_recipe({"stages": off})
    ordered = [stages[0], stages[1], stages[3], stages[2]]
    assert [s.name for s in parse_recipe({"stages": ordered}).stages] == [
        "preprocess",
        "exact_dedup",
        "signals",
        "filter",
    ]
