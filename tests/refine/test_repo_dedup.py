"""Repository-level exact and fuzzy dedup on a planted corpus whose answer is known: repositories made of real
standard-library files, one an exact copy, one a copy with a few words edited, one sharing a single file."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from opencoder.engine.recipe import load_recipe
from opencoder.engine.runner import RunOptions, run_recipe
from opencoder.engine.stage import StageContext
from opencoder.errors import OpencoderError
from opencoder.refine.fuzzy_dedup import FuzzyDedupParams
from opencoder.refine.repo_dedup import build_repo_fuzzy_dedup

STDLIB = Path(sysconfig.get_paths()["stdlib"])
FILES = ["textwrap.py", "shlex.py", "heapq.py", "bisect.py", "colorsys.py", "fnmatch.py", "glob.py"]


def _planted(path: Path) -> list[dict]:
    text = {name: (STDLIB / name).read_text("utf-8") for name in FILES}
    edited = text["shlex.py"].replace("lexer", "tokenizer", 3)  # a near-copy: three words changed
    repos = {
        "org/a": (10, {"textwrap.py": text["textwrap.py"], "shlex.py": text["shlex.py"], "heapq.py": text["heapq.py"]}),
        "org/b": (5, {"textwrap.py": text["textwrap.py"], "shlex.py": text["shlex.py"], "heapq.py": text["heapq.py"]}),
        "org/c": (3, {"textwrap.py": text["textwrap.py"], "shlex.py": edited, "heapq.py": text["heapq.py"]}),
        "org/d": (
            1,
            {"heapq.py": text["heapq.py"], "bisect.py": text["bisect.py"], "colorsys.py": text["colorsys.py"]},
        ),
        "org/e": (1, {"fnmatch.py": text["fnmatch.py"], "glob.py": text["glob.py"]}),
    }
    rows = [
        {"id": f"{repo}/{name}", "repo": repo, "path": name, "stars": stars, "text": body}
        for repo, (stars, files) in repos.items()
        for name, body in files.items()
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def _run(tmp: Path, stages: list[dict], workers: int = 1) -> tuple[dict[str, dict], dict]:
    corpus = tmp / "corpus.jsonl"
    _planted(corpus)
    (tmp / "r.yaml").write_text(yaml.safe_dump({"seed": 7, "stages": [{"name": "langid"}, *stages]}))
    manifest = run_recipe([(str(corpus), None)], tmp / "out", load_recipe(tmp / "r.yaml"), RunOptions(workers=workers))
    removed = {r["id"]: r for f in (tmp / "out" / "removed").glob("*.parquet") for r in pq.read_table(f).to_pylist()}
    return removed, manifest


def _ids(repo: str, *names: str) -> set[str]:
    return {f"{repo}/{n}" for n in names}


ALL_A = ("textwrap.py", "shlex.py", "heapq.py")


@pytest.mark.parametrize("partitions", [1, 4])
def test_repository_exact_dedup_removes_the_exact_copy_whole(tmp_path, partitions):
    removed, manifest = _run(tmp_path, [{"name": "repo_exact_dedup", "params": {"partitions": partitions}}])
    assert set(removed) == _ids("org/b", *ALL_A)  # b = a exactly; a has more stars; c, d differ
    assert {r["reason"] for r in removed.values()} == {"repo_exact_duplicate"}
    assert {r["duplicate_of"] for r in removed.values()} == {"org/a"}
    stage = next(s for s in manifest["stages"] if s["name"] == "repo_exact_dedup")
    assert stage["in"] == 14 and stage["removed"] == 3


@pytest.mark.parametrize("workers", [1, 2])  # 2: map and reduce in spawned worker processes
def test_repository_fuzzy_dedup_also_removes_the_near_copy(tmp_path, workers):
    stages = [
        {"name": "repo_exact_dedup"},
        {"name": "repo_fuzzy_dedup", "params": {"partitions": 2}},
    ]
    removed, _ = _run(tmp_path, stages, workers)
    near = {i for i, r in removed.items() if r["reason"] == "repo_near_duplicate"}
    assert near == _ids("org/c", *ALL_A) and {removed[i]["duplicate_of"] for i in near} == {"org/a"}
    assert {i for i, r in removed.items() if r["reason"] == "repo_exact_duplicate"} == _ids("org/b", *ALL_A)


def test_file_level_after_repository_level_still_removes_shared_files(tmp_path):
    stages = [
        {"name": "repo_exact_dedup"},
        {"name": "exact_dedup"},
    ]
    removed, _ = _run(tmp_path, stages)
    by_file = {i for i, r in removed.items() if r["reason"] == "exact_duplicate"}
    # c's two unchanged files and d's copy of heapq.py are files of a, though no repository is a copy of another
    assert by_file == _ids("org/c", "textwrap.py", "heapq.py") | _ids("org/d", "heapq.py")


def test_file_level_removes_every_copied_file(tmp_path):
    removed, _ = _run(tmp_path, [{"name": "exact_dedup"}])
    assert set(removed) == _ids("org/b", *ALL_A) | _ids("org/c", "textwrap.py", "heapq.py") | _ids("org/d", "heapq.py")


def test_repository_fuzzy_refuses_verification():
    with pytest.raises(OpencoderError, match="verify_threshold"):
        build_repo_fuzzy_dedup(FuzzyDedupParams(verify_threshold=0.9), StageContext(1, Path(".")))
