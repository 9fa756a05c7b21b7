"""Instructions of transform + signals + filter on a sample of the machine's own code: a count that the load of a
shared machine does not change, unlike the CPU time of signals_throughput.py.

    valgrind --tool=callgrind --callgrind-out-file=all.out python benchmarks/signals_callgrind.py --mb 3
    valgrind --tool=callgrind --callgrind-out-file=load.out python benchmarks/signals_callgrind.py --mb 3 --load-only
    callgrind_annotate all.out | grep TOTALS; callgrind_annotate load.out | grep TOTALS  # the stages: the difference

Loads the sample and warms the stages up as signals_throughput.py does, then (unless --load-only) runs the whole
sample through them in batches of 256. The signals' timeout is set out of reach: under valgrind's slow-down its
watchdog timer can go off after the stage has put the default SIGALRM handler back, which ends the run.
"""

from __future__ import annotations

import argparse

from signals_throughput import build_stages, load, warm_up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=3.0, help="sample size of the default corpus (MB)")
    parser.add_argument("--compat", choices=["fixed", "opc"], default="fixed")
    parser.add_argument("--load-only", action="store_true", help="stop after loading and warming up (the baseline)")
    args = parser.parse_args()
    table = load(args.mb)
    stages = build_stages(args.compat, seed=42, timeout_s=1e9)
    warm_up(table, stages)
    if args.load_only:
        return
    for start in range(0, table.num_rows, 256):
        batch = table.slice(start, 256)
        for stage in stages:
            batch = stage.process(batch).kept


if __name__ == "__main__":
    main()
