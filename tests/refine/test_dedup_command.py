"""`opencoder dedup` and the fuzzy_dedup stage inside the engine: accounting, outputs, determinism, resume."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from opencoder.engine.recipe import load_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.errors import OpencoderError
from opencoder.io.readers import InputSpec
from opencoder.refine.fuzzy_dedup import dedup_recipe
from opencoder.report import write_report

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fuzzy"


def write_inputs(root: Path) -> list[Path]:
    """Three JSONL files (three tasks): near-duplicate variants spread over all of them, plus unrelated files."""
    textwrap = (FIXTURES / "textwrap.py.txt").read_text()
    lines = textwrap.splitlines(keepends=True)
    records = [
        {"id": f"tw{i}", "text": "".join([*lines[: 20 * i], f"# variant {i}\n", *lines[20 * i + 1 :]]), "stars": i % 2}
        for i in range(6)
    ]
    records += [
        {
            "id": "heap310",
            "text": (FIXTURES / "heapq-3.10.py.txt").read_text(),
            "stars": 3,
            "commit_time": "2021-10-04T00:00:00Z",
        },
        {
            "id": "heap311",
            "text": (FIXTURES / "heapq-3.11.py.txt").read_text(),
            "stars": 3,
            "commit_time": "2022-10-24T00:00:00Z",
        },
        {"id": "shlex", "text": (FIXTURES / "shlex.py.txt").read_text()},
        {"id": "empty", "text": ""},
    ]
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(3):
        path = root / f"part{k}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records[k::3]))
        paths.append(path)
    return paths


def outputs(run_dir: Path) -> tuple[list, list, list]:
    kept = sorted(r["id"] for f in (run_dir / "kept").glob("*.parquet") for r in pq.read_table(f).to_pylist())
    removed = sorted(
        (r["id"], r["stage"], r["reason"], r["duplicate_of"])
        for f in (run_dir / "removed").glob("*.parquet")
        for r in pq.read_table(f).to_pylist()
    )
    return kept, removed, pq.read_table(run_dir / "clusters.parquet").to_pylist()


EXPECTED_REMOVED = [
    ("heap310", "fuzzy_dedup", "near_duplicate", "heap311"),  # equal stars: the later commit is kept
    *(("tw" + str(i), "fuzzy_dedup", "near_duplicate", "tw1") for i in (0, 2, 3, 4, 5)),  # stars 1, smallest id
]


def test_dedup_command_writes_kept_removed_clusters_and_manifest(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "opencoder.cli", "dedup", *map(str, inputs), "--out", str(out), "--workers", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "near_duplicate 6" in done.stdout
    kept, removed, clusters = outputs(out)
    assert kept == ["empty", "heap311", "shlex", "tw1"]
    assert removed == sorted(EXPECTED_REMOVED)
    assert clusters[0] == {"id": "heap311", "cluster": "heap311"}  # the kept document leads its cluster
    assert sorted(c["id"] for c in clusters if c["cluster"] == "tw1") == [f"tw{i}" for i in range(6)]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents"] == {"in": 10, "kept": 4, "removed": 6}
    assert [s["name"] for s in manifest["stages"]] == ["read", "fuzzy_dedup"]
    assert manifest["recipe"]["stages"][0]["params"]["num_perm"] == 2048

    page = write_report(out).read_text()  # the report's fuzzy section: cluster sizes, a kept/removed diff
    assert "Fuzzy dedup clusters" in page
    assert "2 clusters hold 8 documents" in page
    assert "kept tw1 beside removed tw3" in page  # the next in rank (stars 1)
    assert "variant&nbsp;1" in page and "variant&nbsp;3" in page  # the differing lines


def test_same_result_across_worker_counts_and_after_a_resumed_run(tmp_path: Path) -> None:
    inputs = [InputSpec(str(p)) for p in write_inputs(tmp_path / "in")]
    recipe = dedup_recipe(load_recipe(), "default")
    run_recipe(inputs, tmp_path / "one", recipe, RunOptions(workers=1))
    run_recipe(inputs, tmp_path / "two", recipe, RunOptions(workers=2))
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert outputs(tmp_path / "one")[1] == sorted(EXPECTED_REMOVED)

    # interrupt: the last task's output, some reduce outputs and the decisions are gone; rerun the same command
    run = tmp_path / "one"
    work = run / "work" / "fuzzy_dedup"
    finished = {p: p.stat().st_mtime_ns for p in (run / "stats").glob("t0000[01]-s*.json")}
    for path in [
        *(run / "stats").glob("t00002-s*.json"),
        *(run / "kept").glob("t00002*"),
        run / "clusters.parquet",
        work / "decisions.parquet",
        *sorted((work / "reduce").glob("*.parquet"))[::2],
    ]:
        path.unlink()
    run_recipe(inputs, run, recipe, RunOptions(workers=1))
    assert outputs(run) == outputs(tmp_path / "two")
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())  # finished tasks were not redone


def test_dedup_recipe_needs_a_fuzzy_dedup_stage(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"stages": [{"name": "exact_dedup"}]}))
    with pytest.raises(OpencoderError, match=r"r\.yaml: has no fuzzy_dedup stage"):
        dedup_recipe(load_recipe(path), str(path))


def test_bad_fuzzy_params_name_the_key_and_file(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"stages": [{"name": "fuzzy_dedup", "params": {"bands": 32}}]}))
    with pytest.raises(OpencoderError, match=r"r\.yaml: stages\[0\]\.params.*exceeds num_perm"):
        load_recipe(path)
