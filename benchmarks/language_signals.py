"""CPU time of the language-specific signals against their parsers alone, on the machine's own code.

    python benchmarks/language_signals.py --mb 10 [--compat opc]

Loads the same deterministic sample as signals_throughput.py, computes every language module's signals per
document (as the signals runner does: general code signals first, so the shared code/comment split is not
charged to the language), and prints per language the CPU seconds, MB/s per core, and the ratio to the bare
parser run over the same texts in this process (``ast.parse`` with the GC paused for Python, tree-sitter for
JavaScript): how much the signals cost beyond the parse that defines ``cate_ast``.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import tree_sitter
import tree_sitter_javascript
from signals_throughput import load, python_parse_floor

from opencoder.refine.signals import code, language_module
from opencoder.refine.signals.document import CodeDocument


def parser_floors() -> dict:
    """The bare parser of each parsed language, as a function of the text."""
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
    return {
        "python": lambda text: python_parse_floor([text]),
        "javascript": lambda text: parser.parse(text.encode("utf-8", "surrogatepass")),
    }


def main() -> None:
    arg_parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arg_parser.add_argument("--mb", type=float, default=10.0, help="sample size of the default corpus (MB)")
    arg_parser.add_argument("--compat", choices=["fixed", "opc"], default="fixed")
    args = arg_parser.parse_args()

    rows = [r for r in load(args.mb).to_pylist() if language_module(r["lang"]) is not None]
    seconds: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for warm_up in (True, False):  # the first pass imports, compiles and lexes once per language: not timed
        for row in rows[:50] if warm_up else rows:
            doc = CodeDocument(row["text"] or "", lang=row["lang"], path=row["path"], compat=args.compat)
            for fn in code.SIGNALS.values():
                fn(doc)
            start = time.process_time()
            for fn in language_module(doc.lang).SIGNALS.values():
                fn(doc)
            if not warm_up:
                seconds[doc.lang] += time.process_time() - start
                sizes[doc.lang] += row["size"]

    floors = {}
    for lang, parse in parser_floors().items():
        start = time.process_time()
        for row in rows:
            if row["lang"] == lang:
                parse(row["text"] or "")
        floors[lang] = time.process_time() - start

    print(f"{'language':12s} {'MB':>6s} {'signals s':>10s} {'MB/s':>7s} {'parser s':>9s} {'signals/parser':>15s}")
    for lang, secs in seconds.most_common():
        floor = floors.get(lang)
        ratio = f"{secs / floor:15.2f}" if floor else f"{'':15s}"
        floor_text = f"{floor:9.3f}" if floor is not None else f"{'':9s}"
        print(f"{lang:12s} {sizes[lang] / 1e6:6.2f} {secs:10.3f} {sizes[lang] / 1e6 / secs:7.1f} {floor_text} {ratio}")
    print(f"{'all':12s} {sum(sizes.values()) / 1e6:6.2f} {sum(seconds.values()):10.3f}")


if __name__ == "__main__":
    main()
