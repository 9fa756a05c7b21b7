"""Run OpenCoder's released filtering code (opc_data_filtering) on documents given as JSON lines; print timings.

Runs under the released code's own environment, e.g.

    VENV/bin/python benchmarks/opc_released_baseline.py OPC_DATA_FILTERING_CHECKOUT docs.jsonl

Each input line: {"id", "text", "filename" (no extension, as its notebook passes it), "ext", "lang",
"size", "program_lang", "doc_type"}. Prints one JSON object: CPU seconds of signals and of filtering, documents,
and the ids the released filter kept. Called by benchmarks/signals_throughput.py --released.
"""

import json
import sys
import time


def main() -> None:
    code_dir, docs_path = sys.argv[1], sys.argv[2]
    sys.path.insert(0, code_dir)
    from pipeline.compute_filtering import CodeFilter
    from pipeline.compute_quality_signals import ComputeCodeQualitySignal

    signals, rules = ComputeCodeQualitySignal(), CodeFilter()
    with open(docs_path, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    signal_s = filter_s = 0.0
    kept = []
    for d in docs:
        start = time.process_time()
        result = json.loads(
            signals.evaluate(d["text"], d["filename"], d["lang"], d["ext"], d["size"], d["program_lang"], d["doc_type"])
        )
        middle = time.process_time()
        decision = json.loads(rules.evaluate(d["doc_type"], d["lang"], d["program_lang"], result.get("quality_signal")))
        filter_s += time.process_time() - middle
        signal_s += middle - start
        if decision["effective"] == "1":
            kept.append(d["id"])
    print(json.dumps({"signals_cpu_s": signal_s, "filter_cpu_s": filter_s, "docs": len(docs), "kept": kept}))


if __name__ == "__main__":
    main()
