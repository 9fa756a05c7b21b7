"""Size of raw ``.ipynb`` JSON against its structured text (SPEC §1.4: RefineCode's notebook sizes imply 12.7x).

Usage: python benchmarks/notebook_ratio.py DIR [DIR ...] [--max-output-chars N]
Converts every ``*.ipynb`` under each DIR with the notebook stage's defaults and prints, per DIR and in total, the
notebooks converted, those refused (by reason), the raw and converted bytes and their ratio. The ratio depends on
how much of a notebook is outputs (embedded images above all): notebooks shipped with their outputs stripped
(most documentation packages) shrink far less than notebooks as committed to GitHub.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from opencoder.refine.ipynb import NotebookError, convert


def measure(root: Path, max_output_chars: int) -> tuple[int, int, int, Counter]:
    """(converted, raw bytes, converted bytes, refused by reason) over the notebooks under ``root``."""
    n = raw = out = 0
    refused: Counter = Counter()
    for path in sorted(root.rglob("*.ipynb")):
        data = path.read_bytes()
        try:
            text = convert(data.decode("utf-8"), max_output_chars=max_output_chars).text
        except (NotebookError, UnicodeDecodeError) as err:
            refused[getattr(err, "reason", "undecodable")] += 1
            continue
        n += 1
        raw += len(data)
        out += len(text.encode("utf-8"))
    return n, raw, out, refused


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--max-output-chars", type=int, default=1000)
    args = ap.parse_args()
    total = [0, 0, 0]
    print(f"{'directory':50} {'notebooks':>9} {'raw MB':>8} {'text MB':>8} {'ratio':>6}  refused")
    for root in args.dirs:
        n, raw, out, refused = measure(root, args.max_output_chars)
        total = [total[0] + n, total[1] + raw, total[2] + out]
        ratio = raw / out if out else float("nan")
        print(f"{str(root)[-50:]:50} {n:9d} {raw / 1e6:8.2f} {out / 1e6:8.2f} {ratio:6.2f}  {dict(refused)}")
    if len(args.dirs) > 1 and total[2]:
        print(f"{'total':50} {total[0]:9d} {total[1] / 1e6:8.2f} {total[2] / 1e6:8.2f} {total[1] / total[2]:6.2f}")
    print("paper (StarCoder's Jupyter-structured sizes, SPEC §1.4): 12.7x")


if __name__ == "__main__":
    main()
