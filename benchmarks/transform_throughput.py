"""Throughput of the transform stage (copyright headers + PII) on real files of this machine, per core.

Prints MB/s of TransformStage.process over batches of real source files next to a baseline measured in the same
run: one ``str.count("@")`` pass over the same texts (the floor for touching every character once in Python).

    python benchmarks/transform_throughput.py [--mb 20] [--root /usr/lib/python3.11 --root /usr/include]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyarrow as pa

from opencoder.io.schema import DOC_SCHEMA
from opencoder.refine.transform import TransformStage

LANGS = {".py": "python", ".h": "c", ".c": "c", ".js": "javascript", ".html": "html", ".sh": "shell", ".java": "java"}


def load(roots: list[Path], limit_bytes: int) -> tuple[list[str], list[str]]:
    texts, langs, total = [], [], 0
    for root in roots:
        for path in sorted(root.rglob("*")):
            lang = LANGS.get(path.suffix)
            if lang is None or not path.is_file():
                continue
            try:
                text = path.read_text("utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            texts.append(text)
            langs.append(lang)
            total += len(text.encode())
            if total >= limit_bytes:
                return texts, langs
    return texts, langs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--root", type=Path, action="append")
    parser.add_argument("--batch", type=int, default=2048)
    args = parser.parse_args()
    roots = args.root or [Path("/usr/lib/python3.11"), Path("/usr/include")]
    texts, langs = load(roots, int(args.mb * 1e6))
    mb = sum(len(t.encode()) for t in texts) / 1e6
    batches = []
    for start in range(0, len(texts), args.batch):
        chunk = slice(start, start + args.batch)
        n = len(texts[chunk])
        columns = {"id": [str(i) for i in range(n)], "text": texts[chunk], "lang": langs[chunk]}
        batches.append(pa.table({f.name: pa.array(columns.get(f.name, [None] * n), f.type) for f in DOC_SCHEMA}))

    t0 = time.perf_counter()
    ats = sum(t.count("@") for t in texts)
    baseline = time.perf_counter() - t0

    stage = TransformStage()
    counters: dict[str, int] = {}
    t0 = time.perf_counter()
    for table in batches:
        for key, value in stage.process(table).counters.items():
            counters[key] = counters.get(key, 0) + value
    elapsed = time.perf_counter() - t0

    print(f"{len(texts)} files, {mb:.1f} MB from {', '.join(map(str, roots))} ({ats} '@' characters)")
    print(f"baseline str.count: {mb / baseline:8.1f} MB/s per core")
    print(f"transform         : {mb / elapsed:8.1f} MB/s per core ({len(texts) / elapsed:.0f} files/s)")
    print(f"ratio baseline/transform: {baseline and elapsed / baseline:.1f}x")
    print("counters:", dict(sorted(counters.items())))


if __name__ == "__main__":
    main()
