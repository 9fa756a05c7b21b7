"""Real Ray clusters on this machine for tests: a head node and optionally more nodes, each `ray start --block` in
its own process group with its own temp folder and free ports, all stopped (and any process left in their
folders killed) at the end, whether the test passed or not."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT_S = 120
START_ATTEMPTS = 3
RAY = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    process: subprocess.Popen
    temp: Path

    def stop(self) -> None:
        """SIGTERM (`ray start --block` stops what it started), then SIGKILL to what is left of its process group
        and to any process whose command line names its folder (workers may leave the group)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        kill_processes_naming(self.temp)

    def kill(self) -> None:
        """The node dies at once: every process of it killed, no goodbye to the cluster."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        kill_processes_naming(self.temp)
        self.process.wait()


@dataclass
class Cluster:
    root: Path
    address: str = ""
    nodes: list[Node] = field(default_factory=list)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()


def kill_processes_naming(folder: Path) -> None:
    """SIGKILL every process of this user whose command line contains ``folder`` (a Ray node's temp folder)."""
    needle = str(folder).encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            if needle in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def _start_node(temp: Path, args: list[str], env: dict[str, str]) -> Node | str:
    """`ray start --block ARGS`; the node, or the end of its log when it did not start in time."""
    temp.mkdir(parents=True, exist_ok=True)
    log_path = temp / "start.log"
    ports = {
        "--node-manager-port": free_port(),
        "--object-manager-port": free_port(),
        "--dashboard-agent-listen-port": free_port(),
        "--dashboard-agent-grpc-port": free_port(),
        "--metrics-export-port": free_port(),
        "--runtime-env-agent-port": free_port(),
    }
    cmd = [RAY, "start", "--block", "--node-ip-address=127.0.0.1", f"--temp-dir={temp}", "--disable-usage-stats",
           "--object-store-memory=80000000", *(f"{k}={v}" for k, v in ports.items()), *args]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    node = Node(process, temp)
    deadline = time.monotonic() + START_TIMEOUT_S
    while "Ray runtime started" not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            text = log_path.read_text()[-3000:]
            node.stop()
            return text
        time.sleep(0.5)
    return node


def _start_retried(temp: Path, args: list[str], env: dict[str, str]) -> Node:
    """Ray gives a starting node a fixed 30 s to register, which a heavily loaded machine can miss: retried."""
    for attempt in range(START_ATTEMPTS):
        started = _start_node(temp / f"try{attempt}", args, env)
        if isinstance(started, Node):
            return started
    raise RuntimeError(f"ray start failed {START_ATTEMPTS} times; last log:\n{started}")


@contextlib.contextmanager
def ray_cluster(node_cpus: list[int], env: dict[str, str] | None = None, dashboard: bool = False) -> Iterator[Cluster]:
    """A head with ``node_cpus[0]`` CPUs (and Ray's dashboard on a free port with ``dashboard``) and one more node
    per further entry (resource ``node<i>`` and environment variable ``OC_TEST_NODE=node<i>``). HOME is the
    cluster's own folder (for the nodes and the caller alike): a token Ray left in ~/.ray by an earlier local
    session would otherwise be sent to this cluster, which rejects it."""
    root = Path(tempfile.mkdtemp(prefix="oc-ray-"))  # short: Ray's socket paths must fit in 107 bytes
    base = {**os.environ, **(env or {}), "HOME": str(root)}
    cluster = Cluster(root)
    try:
        port = free_port()
        head_args = ["--head", f"--port={port}", f"--ray-client-server-port={free_port()}",
                     f"--include-dashboard={str(dashboard).lower()}", f"--dashboard-port={free_port()}",
                     f"--num-cpus={node_cpus[0]}"]  # fmt: skip
        cluster.nodes.append(_start_retried(root / "n0", head_args, base))
        cluster.address = f"127.0.0.1:{port}"
        for i, cpus in enumerate(node_cpus[1:], start=1):
            args = [f"--address={cluster.address}", f"--num-cpus={cpus}", f'--resources={{"node{i}": 1}}']
            cluster.nodes.append(_start_retried(root / f"n{i}", args, {**base, "OC_TEST_NODE": f"node{i}"}))
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
