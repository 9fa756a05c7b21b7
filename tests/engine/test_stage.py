"""Engine pieces other stages rely on: make_removed, validity bitmaps, segment planning, atomic Parquet sinks."""

from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from opencoder.engine import recipe as recipe_module
from opencoder.engine.recipe import parse_recipe
from opencoder.engine.runner import RunSpec, built_stages, plan_segments
from opencoder.engine.stage import make_removed, validity_bitmap
from opencoder.io.decode import DecodeParams
from opencoder.io.schema import REMOVED_SCHEMA
from opencoder.io.writers import ParquetSink
from opencoder.io.writers import tmp_path as tmp_name


def test_make_removed_conforms_and_broadcasts():
    rows = pa.table({"id": ["a", "b"], "text": ["x", "y"], "extra": [1, 2]})
    out = make_removed(rows, "filter", ["r1", "r2"], rules=[["qsc_a"], None], detail="why")
    assert out.schema == REMOVED_SCHEMA
    assert out.column("reason").to_pylist() == ["r1", "r2"]
    assert out.column("stage").to_pylist() == ["filter", "filter"]
    assert out.column("rules").to_pylist() == [["qsc_a"], None]
    assert out.column("detail").to_pylist() == ["why", "why"] and out.column("lang").null_count == 2


def test_validity_bitmap_masks_the_values_of_an_array_with_an_offset():
    values = pa.array(["zero", "one", "two", "three", "four", "five"]).slice(2)  # offset 2 into its buffers
    keep = np.array([True, False, True, False])
    bits = validity_bitmap(keep, values.offset)
    masked = pa.Array.from_buffers(values.type, len(values), [bits, *values.buffers()[1:]], offset=values.offset)
    assert masked.to_pylist() == ["two", None, "four", None]
    assert validity_bitmap(np.ones(4, dtype=bool), 2) is None


def test_segments_cut_at_global_stages(tmp_path):
    recipe = parse_recipe({"stages": [{"name": "preprocess"}, {"name": "exact_dedup"}, {"name": "langid"}]})
    stages = built_stages(RunSpec.of(tmp_path, recipe))
    segs = plan_segments(stages)
    assert [(s.apply, s.rows, s.then, s.last) for s in segs] == [
        (None, (0,), 1, False),
        (1, (2,), None, True),
    ]


def test_sink_sizes_row_groups_and_commits_atomically(tmp_path):
    path = tmp_path / "kept.parquet"
    sink = ParquetSink(path, row_group_rows=10)
    for i in range(5):
        sink.write(pa.table({"id": [f"{i}-{j}" for j in range(4)]}))
        assert not path.exists()
    sink.commit()
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 20 and [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [12, 8]
    assert not tmp_name(path).exists()


def test_empty_sink_writes_nothing(tmp_path):
    sink = ParquetSink(tmp_path / "x.parquet")
    sink.commit()
    assert not (tmp_path / "x.parquet").exists()


def test_tasks_carry_the_validated_recipe_so_workers_never_parse_it(tmp_path, monkeypatch):
    """A task's recipe arrives pickled with each stage's validated params model: building the stages in a worker
    neither parses YAML or JSON nor validates the params again."""
    recipe = parse_recipe({"stages": [{"name": "preprocess", "params": {"max_bytes": 10}}, {"name": "langid"}]})
    run = pickle.loads(pickle.dumps(RunSpec.of(tmp_path / "r", recipe)))

    def refuse(*args, **kwargs):
        raise AssertionError("validated again")

    monkeypatch.setattr(DecodeParams, "model_validate", classmethod(refuse))
    monkeypatch.setattr(recipe_module, "parse_recipe", refuse)
    stages = built_stages(run)
    assert [s.name for s in stages] == ["preprocess", "langid"] and stages[0].max_bytes == 10
