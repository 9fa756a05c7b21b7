"""The Ray executor past one machine: a real two-node Ray cluster on this machine (a head and a second node with
its own resources and temp folder) runs the default recipe to the local executor's output, and survives a killed
worker process, a killed driver (rerun: resume) and a stopped node, with nothing lost or duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

pytest.importorskip("ray", reason="Ray is the [ray] extra")

from ray_cluster import ray_cluster
from sample_tree import write_tree

from opencoder.engine.recipe import DEFAULT_RECIPE

HERE = Path(__file__).parent
MODULES = ("abc.py", "bisect.py", "colorsys.py", "this.py", "fnmatch.py", "glob.py", "keyword.py", "numbers.py")
SEGMENT0 = "read + preprocess + notebook + langid"  # the default recipe's first map (no fault stage)
RUN_TIMEOUT_S = 300
WAIT_S = 240


@pytest.fixture(scope="module")
def cluster():
    """A head with one CPU and a second node (``node1``) with one CPU; this folder's plug-in stages importable."""
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    with ray_cluster([1, 1], env={"PYTHONPATH": path}) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Eight standard-library modules in two repositories (exact duplicates), two near-duplicate versions of
    heapq (a fuzzy cluster), a binary file and a file of no language: a few tasks of four files."""
    tree = tmp_path_factory.mktemp("corpus") / "tree"
    write_tree(tree, MODULES)
    return tree


def recipe(folder: Path, fault: dict | None = None) -> Path:
    """The default recipe with small tasks and few partitions (so that both nodes get several tasks), and
    optionally the fault stage after langid."""
    data = yaml.safe_load(DEFAULT_RECIPE.read_text())
    data["engine"]["task_files"] = 4
    for stage in data["stages"]:
        if stage["name"] in ("exact_dedup", "fuzzy_dedup"):
            stage["params"]["partitions"] = 4
    if fault is not None:
        at = next(i for i, s in enumerate(data["stages"]) if s["name"] == "langid") + 1
        data["stages"].insert(at, {"name": "fault", "module": "fault_stages", "params": fault})
    path = folder / ("fault.yaml" if fault else "recipe.yaml")
    path.write_text(yaml.safe_dump(data))
    return path


def refine_cmd(corpus: Path, out: Path, recipe_path: Path, executor: list[str]) -> list[str]:
    return [sys.executable, "-m", "opencoder.cli", "refine", str(corpus), "--out", str(out),
            "--recipe", str(recipe_path), *executor]  # fmt: skip


def run_env(cluster) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "HOME": str(cluster.root), "PYTHONPATH": path}


def refine(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def local_run(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "run"
    refine(refine_cmd(corpus, out, recipe(out.parent), ["--workers", "2"]), dict(os.environ))
    return out


def outputs(run: Path) -> dict[str, list]:
    """Everything a run decided, sorted: kept ids, removed ids with stage, reason and duplicate, the signal
    columns of every document and the fuzzy clusters."""
    removed = pq.read_table(run / "removed", columns=["id", "stage", "reason", "duplicate_of"]).to_pylist()
    signals = pq.read_table(run / "signals").to_pylist()
    clusters = pq.read_table(run / "clusters.parquet").to_pylist()
    return {
        "kept": sorted(pq.read_table(run / "kept", columns=["id"]).column("id").to_pylist()),
        "removed": sorted(tuple(r.values()) for r in removed),
        "signals": sorted(signals, key=lambda r: r["id"]),
        "clusters": sorted(tuple(r.values()) for r in clusters),
    }


def manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        assert process.poll() is None, process.stderr.read()[-3000:] if process.stderr else "run ended"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)
    time.sleep(0.2)  # the pid is written just after the file is created


def held_pid(marker: Path) -> int:
    return int((marker / "held").read_text())


def test_two_nodes_give_the_local_output_and_share_the_tasks(cluster, corpus, local_run, tmp_path):
    out = tmp_path / "run"
    done = refine(refine_cmd(corpus, out, recipe(tmp_path), ["--executor", "ray", "--ray-address", cluster.address]),
                  run_env(cluster))  # fmt: skip
    expected = outputs(local_run)
    assert outputs(out) == expected
    assert expected["clusters"] and expected["signals"] and expected["removed"] and expected["kept"]
    assert {r[1:3] for r in expected["removed"]} >= {("exact_dedup", "exact_duplicate"), ("preprocess", "binary")}
    phases = manifest(out)["phases"]
    assert phases[SEGMENT0]["run"] == manifest(local_run)["tasks"] > 2 and phases[SEGMENT0]["retries"] == 0
    nodes = {node for phase in phases.values() for node in phase.get("nodes", {})}
    assert len(nodes) == 2  # both nodes ran tasks
    assert sum(phases["exact_dedup reduce"]["nodes"].values()) == phases["exact_dedup reduce"]["run"]
    assert "Ray dashboard" not in done.stderr  # this cluster runs none: no link to print


def fault_run(cluster, corpus, tmp_path, node: str | None) -> tuple[subprocess.Popen, Path, Path, list[str]]:
    marker = tmp_path / "marker"
    marker.mkdir()
    out = tmp_path / "run"
    cmd = refine_cmd(corpus, out, recipe(tmp_path, {"marker_dir": str(marker), "node": node}),
                     ["--executor", "ray", "--ray-address", cluster.address])  # fmt: skip
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env(cluster))
    return process, marker, out, cmd


def finish(process: subprocess.Popen) -> None:
    try:
        _, err = process.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err[-3000:]


def test_a_worker_killed_in_a_stage_is_retried_and_nothing_is_lost_or_duplicated(cluster, corpus, local_run, tmp_path):
    process, marker, out, _ = fault_run(cluster, corpus, tmp_path, node=None)
    wait_for(marker / "held", process)
    os.kill(held_pid(marker), signal.SIGKILL)  # the Ray worker process running the task
    finish(process)
    assert outputs(out) == outputs(local_run)
    phase = manifest(out)["phases"][f"{SEGMENT0} + fault"]
    assert phase["retries"] == 1 and sum(phase["nodes"].values()) == phase["run"] == manifest(local_run)["tasks"]


def test_a_killed_driver_rerun_resumes_from_the_completion_markers(cluster, corpus, local_run, tmp_path):
    process, marker, out, cmd = fault_run(cluster, corpus, tmp_path, node=None)
    wait_for(marker / "held", process)
    deadline = time.monotonic() + WAIT_S
    while not list((out / "stats").glob("*-s0.json")):  # another task has finished: something to resume from
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.2)
    process.kill()  # SIGKILL: no clean-up of any kind
    process.wait()
    assert not (out / "manifest.json").exists()
    refine(cmd, run_env(cluster))
    assert outputs(out) == outputs(local_run)
    phase = manifest(out)["phases"][f"{SEGMENT0} + fault"]
    assert phase["skipped"] >= 1 and phase["run"] + phase["skipped"] == manifest(local_run)["tasks"]


def test_a_stopped_node_loses_nothing(cluster, corpus, local_run, tmp_path):
    """Last in this module: the second node does not come back."""
    process, marker, out, _ = fault_run(cluster, corpus, tmp_path, node="node1")
    wait_for(marker / "held", process)
    cluster.nodes[1].kill()  # its raylet, object store and workers, all at once
    finish(process)
    assert outputs(out) == outputs(local_run)
    phases = manifest(out)["phases"]
    assert sum(p.get("retries", 0) for p in phases.values()) >= 1
