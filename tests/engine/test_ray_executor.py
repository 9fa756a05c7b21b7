"""The Ray executor on a real Ray cluster (a head node started here on 127.0.0.1, stopped at the end)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ray = pytest.importorskip("ray", reason="Ray is the [ray] extra")

from ray_cluster import ray_cluster  # noqa: E402

from opencoder.engine.ray_executor import RayExecutor  # noqa: E402
from opencoder.errors import OpencoderError  # noqa: E402

STDLIB = Path(os.__file__).parent


@pytest.fixture(scope="module")
def cluster():
    """A one-node Ray cluster on 127.0.0.1 with its dashboard (tests/engine/ray_cluster.py), stopped at the end."""
    with ray_cluster([2], dashboard=True) as c, pytest.MonkeyPatch.context() as env:
        env.setenv("HOME", str(c.root))  # for this process and the CLI runs too (see ray_cluster)
        yield c.address
        if ray.is_initialized():
            ray.shutdown()


def test_map_runs_tasks_on_the_cluster_and_returns_results_in_order(cluster):
    executor = RayExecutor(cluster)
    assert executor.map(int, ["3", "1", "2"], "parse") == [3, 1, 2]
    groups = executor.map(os.getpgid, [0, 0], "process groups")
    assert os.getpgid(0) not in groups  # ran in the cluster's worker processes, not here


def test_a_failing_task_raises_its_own_exception(cluster):
    with pytest.raises(ValueError, match="invalid literal"):
        RayExecutor(cluster).map(int, ["1", "not a number"], "parse")


def test_refine_on_ray_gives_the_same_kept_and_removed_ids_as_local(cluster, tmp_path):
    tree = tmp_path / "tree"
    for copy in ("a", "b"):  # two copies of a few real modules: exact duplicates across repositories
        for name in ("abc.py", "bisect.py", "colorsys.py", "this.py"):
            (tree / copy).mkdir(parents=True, exist_ok=True)
            shutil.copy(STDLIB / name, tree / copy / name)
    (tree / "a" / "blob.bin").write_bytes(bytes(range(256)) * 8)
    (tree / "a" / "notes.unknownext").write_text("no language\n")
    runs = {}
    for name, extra in {"local": ["--workers", "2"], "ray": ["--executor", "ray", "--ray-address", cluster]}.items():
        out = tmp_path / name
        cmd = [sys.executable, "-m", "opencoder.cli", "refine", str(tree), "--out", str(out), *extra]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-3000:]
        assert ("Ray dashboard: http://127.0.0.1:" in done.stderr) == (name == "ray")  # the link, when there is one
        runs[name] = {part: _ids(out / part) for part in ("kept", "removed")}
    assert runs["ray"] == runs["local"]
    removed = dict(runs["local"]["removed"])
    assert removed["tree/a/blob.bin"] == ("preprocess", "binary")
    assert removed["tree/a/notes.unknownext"] == ("langid", "unknown")
    assert sum(reason == ("exact_dedup", "exact_duplicate") for reason in removed.values()) == 4
    kept = [doc_id for doc_id, _ in runs["local"]["kept"]]
    assert kept and all(doc_id.startswith("tree/a/") for doc_id in kept)  # ties keep the smallest id
    assert len(kept) + len(removed) == 10


def test_an_unreachable_cluster_is_a_clear_error(tmp_path):
    if ray.is_initialized():
        ray.shutdown()
    with pytest.raises(OpencoderError, match=re.escape("cannot connect to the Ray cluster at '127.0.0.1:1'")):
        RayExecutor("127.0.0.1:1").map(int, ["1"], "parse")


def _ids(folder: Path) -> list[tuple[str, tuple[str, str] | None]]:
    """(id, (stage, reason)) of every row in a run sub-folder, sorted."""
    table = pq.read_table(folder)
    ids = table.column("id").to_pylist()
    if "reason" not in table.column_names:
        return sorted((i, None) for i in ids)
    why = zip(table.column("stage").to_pylist(), table.column("reason").to_pylist(), strict=True)
    return sorted(zip(ids, why, strict=True))
