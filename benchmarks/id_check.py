"""The pre-run id check (io/ids.py) against one plain read of the same input by the readers, in one process.

The check reads only ids (JSONL: each line parsed; Parquet/Arrow: the id column; trees: names only), so its cost
is at most about one read of a JSONL input; a refine run's stages cost many reads. Prints the ratio check / read.

    PYTHONPATH=src python benchmarks/id_check.py /work/shared/data/text/manpages-en.jsonl.gz
"""

from __future__ import annotations

import argparse
import time

from opencoder.engine.recipe import parse_recipe
from opencoder.io.ids import id_hashes
from opencoder.io.readers import plan_inputs, read_shard


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--text", default="text")
    ap.add_argument("--id", default="id")
    args = ap.parse_args()
    recipe = parse_recipe({"columns": {"text": args.text, "id": args.id}, "stages": [{"name": "preprocess"}]})
    cap = recipe.stages[0].params_model().max_bytes
    plan = plan_inputs([(i, None) for i in args.inputs], recipe.engine)
    t0 = time.process_time()
    ids = sum(len(id_hashes((s, recipe.columns, recipe.engine, cap))) for s in plan.shards)
    t1 = time.process_time()
    batches = (b for s in plan.shards for b in read_shard(s, recipe.columns, recipe.engine, max_bytes=cap))
    docs = sum(b.docs.num_rows for b in batches)
    t2 = time.process_time()
    print(f"{ids} ids, {docs} documents: id check {t1 - t0:.2f} s, read {t2 - t1:.2f} s (CPU)")
    print(f"ratio id check / read: {(t1 - t0) / (t2 - t1):.2f}")


if __name__ == "__main__":
    main()
