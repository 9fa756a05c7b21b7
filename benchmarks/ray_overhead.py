"""The Ray executor's overhead: the same corpus through the default recipe on the local process pool, on a one-node
Ray cluster with the same CPUs, and on a two-node cluster (one CPU each, both on this machine), in one run.

Prints the wall seconds of each phase (the manifest's timings) and Ray's over local, and checks that the three runs
kept and removed the same documents. On one box Ray can only add cost (scheduler, object store, worker start-up);
the two-node run shows the cluster path end to end, not a speed-up (both nodes share this machine's cores).

    PYTHONPATH=src python benchmarks/ray_overhead.py --mb 200
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))
from ray_cluster import ray_cluster  # the tests' cluster start/stop, with its clean-up


def refine(out: Path, mb: float, executor: list[str], env: dict[str, str]) -> dict:
    """``opencoder refine`` on the default corpus capped at ``mb``; its manifest."""
    cmd = [sys.executable, "-m", "opencoder.cli", "refine", "--corpus-bytes", str(int(mb * 1e6)), "--out", str(out),
           *executor]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads((out / "manifest.json").read_text())


def decided(run: Path) -> tuple[list, list]:
    kept = sorted(pq.read_table(run / "kept", columns=["id"]).column("id").to_pylist())
    removed = pq.read_table(run / "removed", columns=["id", "stage", "reason"]).to_pylist()
    return kept, sorted(tuple(r.values()) for r in removed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200, help="corpus size (the default corpus, capped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oc-rayb-") as tmp:
        root = Path(tmp)
        runs = {"local w2": refine(root / "local", args.mb, ["--workers", "2"], dict(os.environ))}
        for name, cpus in (("ray 1 node", [2]), ("ray 2 nodes", [1, 1])):
            with ray_cluster(cpus) as cluster:
                env = {**os.environ, "HOME": str(cluster.root)}
                ray = ["--executor", "ray", "--ray-address", cluster.address]
                runs[name] = refine(root / name.replace(" ", "-"), args.mb, ray, env)
        outputs = {name: decided(root / ("local" if name == "local w2" else name.replace(" ", "-"))) for name in runs}
    same = all(o == outputs["local w2"] for o in outputs.values())
    base = runs["local w2"]
    print(f"corpus: {base['documents']['in']} documents, {args.mb:g} MB cap; outputs identical: {same}")
    names = list(runs)
    print(f"{'phase':<50}" + "".join(f"{n:>14}" for n in names) + "".join(f"{n + '/local':>20}" for n in names[1:]))
    for phase in base["timings"]:
        secs = [r["timings"].get(phase, float("nan")) for r in runs.values()]
        ratios = [s / secs[0] if secs[0] else float("nan") for s in secs[1:]]
        print(f"{phase:<50}" + "".join(f"{s:>14.2f}" for s in secs) + "".join(f"{x:>19.2f}x" for x in ratios))
    two = runs["ray 2 nodes"]["phases"]
    nodes = {n for p in two.values() for n in p.get("nodes", {})}
    print(f"two-node run: tasks on {len(nodes)} nodes, retries {sum(p.get('retries', 0) for p in two.values())}")
    if not same:
        sys.exit("outputs differ")


if __name__ == "__main__":
    main()
