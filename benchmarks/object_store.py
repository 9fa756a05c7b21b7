"""What object storage costs, and that local runs pay nothing for it: the same corpus through the default recipe
from a local folder into a local RUN_DIR, and from a bucket into a bucket on moto's S3 server (127.0.0.1, started
here), in one run; optionally also the local run with another checkout's code (``--baseline-src``, e.g. the main
branch before object storage), to compare the local path before and after.

Prints the wall seconds of each phase (the manifest's timings; with ``--repeat N`` the local runs, interleaved with
the baseline's, N times each and the least of each phase) and the ratios, and checks that the runs kept and removed
the same documents. moto keeps objects in this process's memory and answers over HTTP: it shows the cost of
the request path (a GET/PUT per file, the markers, listings), not a real store's latency or bandwidth.

    PYTHONPATH=src python benchmarks/object_store.py --mb 20 --workers 2 [--baseline-src OTHER/src --repeat 2]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
from moto.server import ThreadedMotoServer

BUCKET = "oc-bench"


def corpus(folder: Path, mb: float) -> Path:
    """Up to ``mb`` MB of the standard library's .py files, as a tree (sorted, so the same every time)."""
    stdlib = Path(os.__file__).parent
    budget = mb * 1e6
    for src in sorted(stdlib.rglob("*.py")):
        if budget <= 0:
            break
        if "site-packages" in src.parts or "__pycache__" in src.parts:
            continue
        dst = folder / src.relative_to(stdlib)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        budget -= src.stat().st_size
    return folder


def refine(inputs: str, out: str, workers: int, env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "opencoder.cli", "refine", inputs, "--out", out, "--workers", str(workers)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")


def decided(run: str, fs=None) -> tuple[list, list]:
    kept = sorted(pq.read_table(f"{run}/kept", filesystem=fs, columns=["id"]).column("id").to_pylist())
    removed = pq.read_table(f"{run}/removed", filesystem=fs, columns=["id", "stage", "reason"]).to_pylist()
    return kept, sorted(tuple(r.values()) for r in removed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src/ for a second local run")
    parser.add_argument("--repeat", type=int, default=1, help="local (and baseline) runs, interleaved")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3_env = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    env = {**os.environ, **s3_env, "FSSPEC_S3_ENDPOINT_URL": endpoint, "NO_PROXY": "127.0.0.1"}
    os.environ.update(s3_env)
    fs = fsspec.filesystem("s3", endpoint_url=endpoint)
    fs.mkdir(BUCKET)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tree = corpus(Path(tmp) / "tree", args.mb)
            fs.put(str(tree), f"{BUCKET}/in/tree", recursive=True)
            local = {"local": env}
            if args.baseline_src:
                local["local, baseline code"] = {**env, "PYTHONPATH": str(args.baseline_src)}
            timings: dict[str, list[dict[str, float]]] = {name: [] for name in local}
            for i in range(args.repeat):
                for n, (name, name_env) in enumerate(local.items()):
                    out = f"{tmp}/local{n}-{i}"
                    refine(str(tree), out, args.workers, name_env)
                    timings[name].append(json.loads(Path(f"{out}/manifest.json").read_text())["timings"])
                    assert decided(out) == decided(f"{tmp}/local0-0"), f"{name} decided otherwise"
            runs = {name: {"timings": {k: min(t[k] for t in ts) for k in ts[0]}} for name, ts in timings.items()}
            first = json.loads(Path(f"{tmp}/local0-0/manifest.json").read_text())
            refine(f"s3://{BUCKET}/in/tree", f"s3://{BUCKET}/runs/s3", args.workers, env)
            runs["s3 -> s3"] = json.loads(fs.cat_file(f"{BUCKET}/runs/s3/manifest.json"))
            assert decided(f"{BUCKET}/runs/s3", fs) == decided(f"{tmp}/local0-0"), "the S3 run decided otherwise"
    finally:
        server.stop()

    print(f"{args.mb} MB, {first['documents']['in']} files, {first['tasks']} tasks, --workers {args.workers}, "
          f"local runs x{args.repeat}; the same decisions in every run")  # fmt: skip
    names = list(runs)
    header = [f"{n} s" for n in names] + [f"{n} / local" for n in names[1:]]
    print("| phase | " + " | ".join(header) + " |")
    print("|---" * (2 * len(names)) + "|")
    for phase in runs["local"]["timings"]:
        secs = [runs[n]["timings"].get(phase, 0.0) for n in names]
        ratios = [f"{s / secs[0]:.2f}x" if secs[0] else "-" for s in secs[1:]]
        print(f"| {phase} | " + " | ".join(f"{s:.2f}" for s in secs) + " | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
