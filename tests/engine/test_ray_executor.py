"""The Ray executor on a real Ray cluster (a head node started here on 127.0.0.1, stopped at the end)."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ray = pytest.importorskip("ray", reason="Ray is the [ray] extra")

from opencoder.engine.ray_executor import RayExecutor  # noqa: E402
from opencoder.errors import OpencoderError  # noqa: E402

STDLIB = Path(os.__file__).parent
START_TIMEOUT_S = 120
START_ATTEMPTS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_head(temp: Path) -> tuple[subprocess.Popen, str] | str:
    """`ray start --head --block` in its own process group; (process, address), or the log when it failed."""
    port = _free_port()
    log_path = temp / f"start-{port}.log"
    cmd = [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
           f"--port={port}", f"--ray-client-server-port={_free_port()}", f"--dashboard-port={_free_port()}",
           "--include-dashboard=false", "--num-cpus=2", "--object-store-memory=80000000", f"--temp-dir={temp}",
           "--disable-usage-stats"]  # fmt: skip
    with log_path.open("w") as log:
        head = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while "Ray runtime started" not in log_path.read_text():
        if head.poll() is not None or time.monotonic() > deadline:
            _stop(head)
            return log_path.read_text()[-3000:]
        time.sleep(0.5)
    return head, f"127.0.0.1:{port}"


def _stop(head: subprocess.Popen) -> None:
    head.send_signal(signal.SIGTERM)  # `ray start --block` stops the processes it started
    with contextlib.suppress(subprocess.TimeoutExpired):
        head.wait(60)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)  # anything left in the cluster's own process group
    head.wait()


@pytest.fixture(scope="module")
def cluster():
    """A one-node Ray cluster on 127.0.0.1, stopped at the end; a start that times out is retried.

    Ray gives a starting node a fixed 30 s to register, which a heavily loaded machine can miss. HOME points at the
    cluster's own folder, for the head, this process and the CLI runs alike: a token Ray left in ~/.ray by an
    earlier local session would otherwise be sent to this cluster, which rejects it.
    """
    temp = Path(tempfile.mkdtemp(prefix="oc-ray-"))  # short: Ray's socket paths must fit in 107 bytes
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HOME", str(temp))
        yield from _run_cluster(temp)


def _run_cluster(temp: Path):
    """Start the head (retried), yield its address, stop it and remove its folder."""
    try:
        for _ in range(START_ATTEMPTS):
            started = _start_head(temp)
            if not isinstance(started, str):
                break
        else:
            pytest.fail(f"ray start failed {START_ATTEMPTS} times; last log:\n{started}")
        head, address = started
        try:
            yield address
        finally:
            if ray.is_initialized():
                ray.shutdown()
            _stop(head)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


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
