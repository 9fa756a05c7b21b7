"""Instruction pairs that exist on any machine, for SFT and annealing when no synthetic set is at hand: the
documented functions of refined Python code, and MBPP's training and validation splits (bundled with the package;
neither overlaps the tasks MBPP is evaluated on, 10-509). Used by the demo's SFT stages and by ablations."""

from __future__ import annotations

import ast
import gzip
import json
import textwrap
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from opencoder.io.benchmark_files import bundled_path

FUNCTION_LINES = (3, 60)  # lines of a function kept as an instruction pair


def mbpp_pairs(split: range) -> list[dict[str, str]]:
    """{id, instruction, output} per MBPP task of ``split``: the problem with its tests -> the reference code."""
    rows = []
    with gzip.open(bundled_path("mbpp"), "rt", encoding="utf-8") as fh:
        for line in fh:
            task = json.loads(line)
            if task["task_id"] in split:
                tests = "\n".join(task["test_list"])
                rows.append(
                    {
                        "id": f"mbpp/{task['task_id']}",
                        "instruction": f"{task['text']}\nYour code should pass these tests:\n\n{tests}",
                        "output": task["code"].replace("\r\n", "\n").strip(),
                    }
                )
    return rows


def function_pairs(documents: Path, limit: int | None = None) -> list[dict[str, str]]:
    """One pair per documented function or method of the Python documents in ``documents`` (Parquet, a file or
    a folder), documents in id order, at most ``limit``: the signature and docstring -> the function, dedented."""
    table = pq.read_table(documents, columns=["id", "text", "lang"])
    table = table.filter(pc.equal(table.column("lang"), "python")).sort_by("id")
    rows: list[dict[str, str]] = []
    for doc_id, text in zip(table.column("id").to_pylist(), table.column("text").to_pylist(), strict=True):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        found = [(node, _function_pair(node, text)) for node in ast.walk(tree)]
        rows += sorted(
            ({"id": f"{doc_id}#{node.name}@{node.lineno}", **pair} for node, pair in found if pair is not None),
            key=lambda r: r["id"],
        )
        if limit is not None and len(rows) >= limit:
            return rows[:limit]
    return rows


def _function_pair(node: ast.AST, text: str) -> dict[str, str] | None:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    doc = ast.get_docstring(node)
    lines = (node.end_lineno or node.lineno) - node.lineno + 1
    if not doc or len(doc) < 20 or not FUNCTION_LINES[0] <= lines <= FUNCTION_LINES[1]:
        return None
    source = ast.get_source_segment(text, node, padded=True)
    if source is None:
        return None
    source = textwrap.dedent(source)
    signature = f"{node.name}({ast.unparse(node.args)})"
    return {"instruction": f"Write a Python function `{signature}`.\n\n{doc}", "output": source}
