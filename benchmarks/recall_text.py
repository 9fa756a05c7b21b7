"""opencoder recall on the real text in /work/shared/data/text: held-out quality per round, the pool's best and
worst pages, and scoring speed against a plain fastText predict loop.

``python benchmarks/recall_text.py [--data /work/shared/data/text] [--out /tmp/recall-bench] [--seed-share 0.25]``

Seeds and pool are cut by a hash of each page's id: positives are ``--seed-share`` of the documentation sources
(python-docs, cppreference, manpages-en, manpages-zh, debian-reference-zh), negatives half of the Wikipedia sample
and all of the spam half of the SpamAssassin mails; the pool is everything else (the other documentation pages and
Wikipedia articles, and the ham mails, which are tech mailing lists and unlabelled). Prints each round's held-out
precision/recall and the pool's precision/recall by source label, the 20 highest- and lowest-scored pool pages, and
CPU seconds of the ``recall_score`` stage vs a loop of ``model.predict`` on each page's BPE pieces.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import xxhash

from opencoder.recall import classifier
from opencoder.recall.loop import load_params, run_recall
from opencoder.recall.segment import MAX_CHARS, load_segmenter
from opencoder.recall.stage import RecallScoreParams, RecallScoreStage

DOCS = ("python-docs", "cppreference", "manpages-en", "manpages-zh", "debian-reference-zh")


def share(page_id: str) -> float:
    return xxhash.xxh64_intdigest(page_id.encode()) / 2**64


def split(data: Path, work: Path, seed_share: float) -> dict[str, int]:
    files = {name: open(work / f"{name}.jsonl", "w") for name in ("positives", "negatives", "pool")}  # noqa: SIM115
    counts = dict.fromkeys(files, 0)
    for path in sorted(data.glob("*.jsonl.gz")):
        source = path.name.split(".")[0]
        with gzip.open(path, "rt") as f:
            for line in f:
                r = json.loads(line)
                record = json.dumps({"id": r["id"], "text": r["text"], "url": r.get("url")}) + "\n"
                if source in DOCS:
                    to = "positives" if share(r["id"]) < seed_share else "pool"
                elif source == "enwiki-sample":
                    to = "negatives" if share(r["id"]) < 0.5 else "pool"
                elif source == "spamassassin":
                    to = "negatives" if r["group"].startswith("spam") else "pool"
                else:
                    continue  # the FAQ question/answer seeds belong to SFT
                files[to].write(record)
                counts[to] += 1
    for f in files.values():
        f.close()
    return counts


def label(page_id: str) -> str:
    source = page_id.split("/")[0]
    return "code" if source in DOCS else ("other" if source == "enwiki-sample" else "unlabelled")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data/text"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/recall-bench"))
    ap.add_argument("--seed-share", type=float, default=0.25)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print("split:", split(args.data, args.out, args.seed_share))
    params = load_params(None)
    t0 = time.perf_counter()
    rounds = run_recall(
        [args.out / "pool.jsonl"],
        [args.out / "positives.jsonl"],
        [args.out / "negatives.jsonl"],
        args.out / "run",
        params,
        args.workers,
    )
    print(f"loop: {time.perf_counter() - t0:.0f} s wall")
    for s in rounds:
        scores = ds.dataset(args.out / "run" / f"round{s['round']}" / "run" / "scores").to_table().to_pylist()
        hits = {
            lab: [r["score"] >= params.threshold for r in scores if label(r["id"]) == lab]
            for lab in ("code", "other", "unlabelled")
        }
        tp, fp = sum(hits["code"]), sum(hits["other"])
        print(
            f"round {s['round']}: held-out P {s['held_out']['precision']:.3f} R {s['held_out']['recall']:.3f} | "
            f"pool by label P {tp / max(tp + fp, 1):.3f} R {tp / max(len(hits['code']), 1):.3f} | "
            f"recalled {s['recalled']} ({s['recalled_by_classifier']} by score; unlabelled mails "
            f"{sum(hits['unlabelled'])}/{len(hits['unlabelled'])}) | domains added {s['domains_added']} | "
            f"pages to seeds {s['pages_added_to_positives']}"
        )
    last = args.out / "run" / f"round{rounds[-1]['round']}"
    scored = ds.dataset(last / "run" / "scores").to_table().sort_by([("score", "descending"), ("id", "ascending")])
    kept = ds.dataset(last / "run" / "kept").to_table(columns=["id", "text"])
    texts = dict(zip(kept.column("id").to_pylist(), kept.column("text").to_pylist(), strict=True))
    rows = scored.to_pylist()
    for title, part in (("highest", rows[:20]), ("lowest", rows[-20:])):
        print(f"{title} 20 pool pages:")
        for r in part:
            print(f"  {r['score']:.4f} {r['id']:<32} {(texts[r['id']] or '')[:70]!r}")

    # scoring speed: the stage (batched segmentation + predict + table) vs predict per page in a plain loop
    page_ids = kept.column("id").to_pylist()[:3000]
    batch = pa.table({"id": page_ids, "text": [texts[i] for i in page_ids], "path": [None] * len(page_ids)})
    stage = RecallScoreStage(
        RecallScoreParams(model=str(last / "model.bin"), segmenter=str(args.out / "run" / "segmenter.json"))
    )
    model, tok = classifier.load(last / "model.bin"), load_segmenter(args.out / "run" / "segmenter.json")
    mb = sum(len((t or "")[:MAX_CHARS].encode()) for t in batch.column("text").to_pylist()) / 1e6
    c0 = time.process_time()
    for t in batch.column("text").to_pylist():
        model.predict(" ".join(tok.encode((t or "")[:MAX_CHARS]).tokens), k=2)
    plain = time.process_time() - c0
    c0 = time.process_time()
    stage.process(batch)
    ours = time.process_time() - c0
    print(
        f"scoring {len(page_ids)} pages ({mb:.1f} MB read): plain loop {mb / plain:.2f} MB per CPU-s, "
        f"recall_score stage {mb / ours:.2f} MB per CPU-s, overhead {100 * (ours / plain - 1):+.0f}%"
    )


if __name__ == "__main__":
    main()
