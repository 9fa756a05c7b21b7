"""datatrove's n-gram decontamination on one JSONL of documents: the baseline of decontam_speed.py.

Runs in its own virtual environment (datatrove pins other versions), e.g.
``/tmp/dt/bin/python benchmarks/datatrove_decontam.py docs.jsonl tasks.jsonl WORKDIR N`` after
``pip install "datatrove[processing]" spacy orjson``. ``tasks.jsonl`` holds one {"query", "label"} per benchmark
text (prompt -> solution, and the tests as a label of their own). ``NGramsDecontIndexer.run`` needs lighteval
only to fetch tasks, so its own ``compute_hashes`` is called on the given tasks and the index written in its
format; ``NGramsDecontFilter`` (default English tokenizer, spaCy) then filters every document and is timed.
Prints one JSON line: CPU seconds of the filter, documents, bytes and documents removed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from datatrove.data import Document
from datatrove.pipeline.decont.n_grams import NGramsDecontConfig, NGramsDecontFilter, NGramsDecontIndexer
from datatrove.utils.hashing import create_hash_func
from datatrove.utils.word_tokenizers import load_word_tokenizer


def main() -> None:
    docs_path, tasks_path, work, n = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    config = NGramsDecontConfig(n_grams=n, find_query_ngrams=True)
    indexer = SimpleNamespace(
        config=config, tokenizer=load_word_tokenizer("en"), hash_func=create_hash_func(config.hash_config)
    )
    hashes: set[int] = set()
    for line in tasks_path.read_text().splitlines():
        task = json.loads(line)
        hashes.update(NGramsDecontIndexer.compute_hashes(indexer, task["label"], task.get("query")))
    (work / "index").mkdir(parents=True, exist_ok=True)
    np.array(sorted(hashes), dtype=config.hash_config.np_descr).tofile(work / "index" / "bench.index.hashes")

    docs = [json.loads(line)["text"] for line in docs_path.read_text().splitlines()]
    filt = NGramsDecontFilter(str(work / "index"), config=config)
    filt.load_index_hashes()
    c0 = time.process_time()
    hits = [d for d in (Document(text=text, id=str(i)) for i, text in enumerate(docs)) if filt.filter(d) is not True]
    cpu = time.process_time() - c0
    nbytes = sum(len(t.encode("utf-8", "surrogatepass")) for t in docs)
    print(
        json.dumps(
            {
                "cpu_s": round(cpu, 3),
                "docs": len(docs),
                "bytes": nbytes,
                "removed": len(hits),
                "ngrams": [d.metadata["contaminated_ngram"] for d in hits[:20]],
            }
        )
    )


if __name__ == "__main__":
    main()
