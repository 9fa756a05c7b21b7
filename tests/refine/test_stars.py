"""The stars filter (SPEC §7.3) through the refine run, on real files with planted star counts."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from opencoder.engine.recipe import load_recipe
from opencoder.engine.runner import RunOptions, run_recipe

STDLIB = Path(sysconfig.get_paths()["stdlib"])
STARS = {"textwrap.py": 120, "shlex.py": 5, "heapq.py": 4, "bisect.py": 0, "glob.py": None}


def _run(tmp: Path, params: dict) -> tuple[dict, dict, dict]:
    rows = [
        {"id": name, "repo": f"org/{name}", "path": name, "stars": stars, "text": (STDLIB / name).read_text("utf-8")}
        for name, stars in STARS.items()
    ]
    (tmp / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    stages = [{"name": "langid"}, {"name": "stars", "params": params}]
    (tmp / "r.yaml").write_text(yaml.safe_dump({"stages": stages}))
    manifest = run_recipe([(str(tmp / "in.jsonl"), None)], tmp / "out", load_recipe(tmp / "r.yaml"), RunOptions(1))
    kept = {r["id"]: r for r in pq.read_table(tmp / "out" / "kept").to_pylist()}
    removed = {r["id"]: r for f in (tmp / "out" / "removed").glob("*.parquet") for r in pq.read_table(f).to_pylist()}
    return kept, removed, manifest


def test_keeps_repositories_with_at_least_min_stars(tmp_path):
    kept, removed, manifest = _run(tmp_path, {"min_stars": 5})
    assert set(kept) == {"textwrap.py", "shlex.py"}
    assert {i: r["reason"] for i, r in removed.items()} == {
        "heapq.py": "below_min_stars",
        "bisect.py": "below_min_stars",
        "glob.py": "missing_stars",
    }
    assert removed["heapq.py"]["detail"] == "4 stars < 5"
    stage = next(s for s in manifest["stages"] if s["name"] == "stars")
    assert (stage["in"], stage["kept"], stage["removed"]) == (5, 2, 3)


@pytest.mark.parametrize(("params", "expected"), [({"min_stars": 0}, 4), ({"min_stars": 0, "keep_missing": True}, 5)])
def test_unknown_star_counts_go_unless_kept(tmp_path, params, expected):
    kept, _, _ = _run(tmp_path, params)
    assert len(kept) == expected and ("glob.py" in kept) == params.get("keep_missing", False)
