"""The refine run end to end on real files: accounting, outputs, determinism across worker counts."""

from __future__ import annotations

import itertools
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from core_fixtures import make_tree, stdlib_files, write_recipe

from opencoder.engine.manifest import merge_stage_stats
from opencoder.engine.recipe import load_recipe, parse_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.errors import OpencoderError
from opencoder.io.readers import InputSpec, plan_inputs
from opencoder.io.writers import read_group


def _ids(run_dir, sub):
    files = sorted((run_dir / sub).glob("*.parquet"))
    return sorted(i for f in files for i in pq.read_table(f, columns=["id"]).column("id").to_pylist())


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_tree(tmp_path_factory.mktemp("tree") / "corpus")


@pytest.fixture(scope="module")
def run(tree, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    recipe = load_recipe(write_recipe(tmp / "r.yaml"))
    manifest = run_recipe([(str(tree), None)], tmp / "out", recipe, RunOptions(workers=1))
    return tmp / "out", manifest


def test_every_stage_accounts_for_every_document(run, tree):
    run_dir, manifest = run
    n_files = sum(1 for p in tree.rglob("*") if p.is_file())
    stages = manifest["stages"]
    assert [s["name"] for s in stages] == ["read", "preprocess", "langid", "exact_dedup"]
    assert stages[0]["in"] == n_files
    for s in stages:
        assert s["in"] == s["kept"] + s["removed"]
    for prev, cur in itertools.pairwise(stages):
        assert cur["in"] == prev["kept"]
    kept, removed = _ids(run_dir, "kept"), _ids(run_dir, "removed")
    assert len(kept) == stages[-1]["kept"] and len(removed) == sum(s["removed"] for s in stages)
    assert len(set(kept) | set(removed)) == n_files  # every input file is either kept or removed, once


def test_removed_rows_say_why(run):
    run_dir, _ = run
    removed = [r for f in sorted((run_dir / "removed").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    by_id = {r["id"]: r for r in removed}
    assert by_id["corpus/repo1/blob.py"]["reason"] == "binary"
    assert by_id["corpus/repo0/table.csv"]["reason"] == "excluded"
    assert by_id["corpus/repo0/NOTES.unknownext"]["reason"] == "unknown"
    dup = [r for r in removed if r["reason"] == "exact_duplicate"]
    assert len(dup) == 1 and dup[0]["stage"] == "exact_dedup"
    # same stars and times (none): the smallest id is kept
    assert dup[0]["duplicate_of"] < dup[0]["id"] and dup[0]["text"]


def test_kept_documents_carry_language_and_decoded_text(run):
    run_dir, _ = run
    kept = pq.read_table(run_dir / "kept" / "t00000.parquet")
    assert {"id", "text", "path", "repo", "lang", "doc_type", "size"} <= set(kept.column_names)
    rows = [r for f in sorted((run_dir / "kept").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    latin = next(r for r in rows if r["path"] == "repo1/latin.py")
    assert latin["text"].startswith("# café naïve") and latin["lang"] == "python"
    assert all(r["repo"].startswith("corpus/repo") for r in rows)
    assert pq.ParquetFile(run_dir / "kept" / "t00000.parquet").metadata.row_group(0).column(0).compression == "ZSTD"


def test_manifest_records_recipe_versions_and_inputs(run, tree):
    run_dir, manifest = run
    on_disk = json.loads((run_dir / "manifest.json").read_text())
    assert on_disk["stages"] == manifest["stages"]
    assert on_disk["recipe"]["stages"][0]["params"]["max_bytes"] == 8_000_000
    assert on_disk["versions"]["pyarrow"]
    assert on_disk["inputs"][0]["path"] == str(tree) and on_disk["inputs"][0]["files"] > 0
    assert on_disk["timings"]["total"] > 0


def test_different_worker_counts_give_identical_outputs(run, tree, tmp_path):
    run_dir, _ = run
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml"))
    run_recipe([(str(tree), None)], tmp_path / "out", recipe, RunOptions(workers=2))
    assert _ids(tmp_path / "out", "kept") == _ids(run_dir, "kept")
    assert _ids(tmp_path / "out", "removed") == _ids(run_dir, "removed")


def test_disabled_stage_is_skipped(tree, tmp_path):
    recipe = parse_recipe(
        {"stages": [{"name": "preprocess"}, {"name": "langid"}, {"name": "exact_dedup", "enabled": False}]}
    )
    manifest = run_recipe([(str(tree), None)], tmp_path / "out", recipe)
    assert [s["name"] for s in manifest["stages"]] == ["read", "preprocess", "langid"]


def test_rerun_into_a_run_dir_of_another_recipe_is_refused(run, tree, tmp_path):
    run_dir, _ = run
    recipe = parse_recipe({"stages": [{"name": "preprocess"}]})
    with pytest.raises(OpencoderError, match="different recipe"):
        run_recipe([(str(tree), None)], run_dir, recipe)


def test_accounting_mismatch_between_stages_is_an_error():
    a = {"name": "a", "in": 3, "kept": 2, "removed": 1, "reasons": {}, "counters": {}, "seconds": 0}
    b = {"name": "b", "in": 3, "kept": 3, "removed": 0, "reasons": {}, "counters": {}, "seconds": 0}
    with pytest.raises(OpencoderError, match="accounting"):
        merge_stage_stats([[a, b]], ["a", "b"])


def test_listed_tree_reads_exactly_its_files_and_reports_their_bytes(tree, tmp_path):
    listed = ["repo0/table.csv", "repo1/latin.py", "repo2/copy_of_first.py"]
    recipe = parse_recipe({"stages": [{"name": "preprocess"}]})
    manifest = run_recipe([InputSpec(str(tree), "listed", listed)], tmp_path / "out", recipe)
    assert manifest["stages"][0]["in"] == 3
    assert manifest["inputs"][0]["bytes"] == sum((tree / rel).stat().st_size for rel in listed)
    assert _ids(tmp_path / "out", "kept") == sorted(f"listed/{rel}" for rel in listed)


def test_each_task_gets_only_the_decisions_about_its_own_documents(tmp_path):
    """Exact dedup's reduce groups its decisions by task, so no process holds the whole decision table: group i
    of every partition file holds removals of task i's documents only, and together they are all removals."""
    sources = stdlib_files(6)
    for copy in range(3):  # every file has copies in other tasks
        for i, src in enumerate(sources):
            dst = tmp_path / "corpus" / f"r{copy}" / f"{i}_{src.name}"
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml"))
    run_recipe([(str(tmp_path / "corpus"), None)], tmp_path / "out", recipe, RunOptions(workers=1))
    shards = plan_inputs([(str(tmp_path / "corpus"), None)], recipe.engine).shards
    assert len(shards) > 2
    reduced = sorted((tmp_path / "out" / "work" / "exact_dedup" / "reduce").glob("p*.arrow"))
    routed = set()
    for i, shard in enumerate(shards):
        group = {d for path in reduced for d in read_group(path, i).column("id").to_pylist()}
        assert group <= {f"corpus/{rel}" for rel in shard.files}
        routed |= group
    removed = pa.concat_tables(pq.read_table(f) for f in (tmp_path / "out" / "removed").glob("*.parquet"))
    assert len(routed) == 12 and routed == set(removed.column("id").to_pylist())
