"""Decontamination throughput on the machine's own code, side by side with datatrove on the same documents.

``python benchmarks/decontam_speed.py [--corpus-bytes 50000000] [--datatrove /tmp/dt/bin/python]``

The documents are the default corpus (``opencoder refine`` with no INPUT) sampled to about ``--corpus-bytes``,
text files only (valid UTF-8 without NUL bytes). opencoder's detector runs with the n-gram method alone (what
datatrove does) and with all its default methods; datatrove's ``NGramsDecontFilter`` (benchmarks/
datatrove_decontam.py, in its own venv) gets the same documents and the same benchmark texts, n = 10. Prints MB
per CPU-second of each, the ratio, and how many documents each removes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from opencoder.io.corpus import default_inputs
from opencoder.refine.decontam.detect import DecontamParams, Detector
from opencoder.refine.decontam.sources import DEFAULT_BENCHMARKS, load_items


def corpus_texts(max_bytes: int) -> list[str]:
    texts = []
    for spec in default_inputs(max_bytes):
        for rel in spec.files or ():
            try:
                data = (Path(spec.path) / rel).read_bytes()
                if b"\0" not in data:
                    texts.append(data.decode("utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    return texts


def ours(texts: pa.Array, params: DecontamParams) -> tuple[float, int]:
    detector = Detector(params, seed=42)
    c0 = time.process_time()
    found = detector.find(texts)
    return time.process_time() - c0, len(found.doc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus-bytes", type=int, default=50_000_000)
    ap.add_argument("--datatrove", default="/tmp/dt/bin/python", help="python of a venv with datatrove")
    args = ap.parse_args()
    texts = corpus_texts(args.corpus_bytes)
    mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6
    array = pa.array(texts, pa.large_string())
    print(f"{len(texts)} documents, {mb:.1f} MB")
    results = {}
    for label, params in {
        "opencoder ngram": DecontamParams(fuzzy={"enabled": False}),
        "opencoder ngram+fuzzy": DecontamParams(),
    }.items():
        cpu, removed = ours(array, params)
        results[label] = mb / cpu
        print(f"{label}: {mb / cpu:.1f} MB per CPU-s, {removed} removed")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with open(work / "docs.jsonl", "w") as f:
            f.writelines(json.dumps({"text": t}) + "\n" for t in texts)
        with open(work / "tasks.jsonl", "w") as f:
            for it in load_items(list(DEFAULT_BENCHMARKS), []):
                f.write(json.dumps({"query": it.prompt, "label": it.solution}) + "\n")
                f.write(json.dumps({"label": it.tests}) + "\n")
        here = Path(__file__).with_name("datatrove_decontam.py")
        run = [args.datatrove, str(here), str(work / "docs.jsonl"), str(work / "tasks.jsonl"), str(work), "10"]
        out = subprocess.run(run, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    dt = json.loads(out)
    dt_rate = dt["bytes"] / 1e6 / dt["cpu_s"]
    print(f"datatrove NGramsDecontFilter: {dt_rate:.2f} MB per CPU-s, {dt['removed']} removed; n-grams matched:")
    for ngram in dt["ngrams"]:
        print(f"  {ngram!r}")
    print(f"ratio (opencoder ngram / datatrove): {results['opencoder ngram'] / dt_rate:.1f}x")


if __name__ == "__main__":
    main()
