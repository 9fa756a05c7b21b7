"""datatrove's four MinHash dedup stages on one JSONL file, in one process: the baseline of fuzzy_speed.py.

Runs in its own virtual environment (datatrove pins other versions), e.g.
``VENV/bin/python benchmarks/datatrove_minhash.py corpus.jsonl WORKDIR`` after
``pip install "datatrove[processing]" spacy orjson``. Settings as opencoder's defaults: 5-gram shingles over
whitespace-separated words, 16 buckets x 128 hashes = 2,048 permutations. Prints one JSON line: per-stage wall
seconds, CPU seconds, peak RSS and the number of documents removed.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.word_tokenizers import WordTokenizer


class SplitWords(WordTokenizer):
    """Words as ``str.split`` gives them: the same unit as opencoder's default ``words`` shingles."""

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return text.splitlines()

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


def cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    corpus, work = Path(sys.argv[1]), Path(sys.argv[2])
    config = MinhashConfig(n_grams=5, num_buckets=16, hashes_per_bucket=128)
    reader = JsonlReader(str(corpus.parent), glob_pattern=corpus.name)
    stages = {
        "signatures": [reader, MinhashDedupSignature(str(work / "sigs"), config=config, language=SplitWords())],
        "buckets": [MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)],
        "clusters": [MinhashDedupCluster(str(work / "buckets"), str(work / "remove_ids"), config=config)],
        "filter": [
            JsonlReader(str(corpus.parent), glob_pattern=corpus.name),
            MinhashDedupFilter(str(work / "remove_ids"), exclusion_writer=JsonlWriter(str(work / "removed"))),
            JsonlWriter(str(work / "kept")),
        ],
    }
    tasks = {"buckets": config.num_buckets}
    result: dict[str, object] = {"stages": {}}
    for name, pipeline in stages.items():
        t0, c0 = time.perf_counter(), cpu()
        LocalPipelineExecutor(
            pipeline, tasks=tasks.get(name, 1), workers=1, logging_dir=str(work / "logs" / name)
        ).run()
        result["stages"][name] = {"wall_s": round(time.perf_counter() - t0, 3), "cpu_s": round(cpu() - c0, 3)}
    removed = sum(1 for f in (work / "removed").rglob("*.jsonl*") for _ in _lines(f))
    result.update(
        wall_s=round(sum(s["wall_s"] for s in result["stages"].values()), 3),
        cpu_s=round(sum(s["cpu_s"] for s in result["stages"].values()), 3),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        removed=removed,
    )
    print(json.dumps(result))


def _lines(path: Path):
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        yield from f


if __name__ == "__main__":
    main()
