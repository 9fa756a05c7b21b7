"""Masked row stages: the engine drops rows once per batch, after preprocess and langid, instead of after each.
``process_masked(batch, live)`` must decide exactly as ``process`` on the live rows alone, on real files."""

from __future__ import annotations

import numpy as np
import pytest
from core_fixtures import make_tree

from opencoder.engine.recipe import Columns, EngineSettings
from opencoder.io.decode import DecodeParams as PreprocessParams
from opencoder.io.readers import plan_inputs, read_shard
from opencoder.refine.langid import LangId
from opencoder.refine.preprocess import Preprocess


def _same(masked, reference):
    assert masked.filtered().kept.equals(reference.kept)
    assert masked.removed.equals(reference.removed)
    assert masked.counters == reference.counters


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("fallback", [True, False])  # with a kept file decoded apart from the bulk path, or none
def test_masked_stages_decide_as_the_filtered_ones(tmp_path, seed, fallback):
    tree = make_tree(tmp_path / "tree", n_files=40)
    (tree / "repo2" / "bom.py").write_bytes(b"\xef\xbb\xbfx = 1\n")
    settings = EngineSettings(task_files=1000)
    [shard] = plan_inputs([(str(tree), "t")], settings).shards
    [batch] = [b.docs for b in read_shard(shard, Columns(), settings)]
    names = np.array([p.rsplit("/", 1)[-1] for p in batch.column("path").to_pylist()])
    live = np.random.default_rng(seed).random(batch.num_rows) < 0.7
    live |= np.isin(names, ["blob.py", "table.csv", "NOTES.unknownext"])
    decoded_apart = np.isin(names, ["latin.py", "bom.py"])
    live = live | decoded_apart if fallback else live & ~decoded_apart
    pre, lang = Preprocess(PreprocessParams()), LangId()

    masked = pre.process_masked(batch, live)
    reference = pre.process(batch.filter(live))
    _same(masked, reference)
    assert reference.removed.column("reason").to_pylist() == ["binary"]
    assert reference.counters == ({"decoded_fallback": 1} if fallback else {})
    _same(pre.process_masked(batch, None), pre.process(batch))

    _same(lang.process_masked(masked.kept, masked.keep), lang.process(reference.kept))
    assert sorted(lang.process(reference.kept).removed.column("reason").to_pylist()) == ["excluded", "unknown"]
