"""Benchmark decontamination: planted HumanEval/MBPP tasks are found with their ids, clean real text is kept."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opencoder.errors import OpencoderError
from opencoder.refine.decontam.detect import DecontamParams, Detector
from opencoder.refine.decontam.sources import bundled_items, file_items

FIXTURES = Path(__file__).parents[1] / "fixtures"


@cache
def detector(**switches: bool) -> Detector:
    params = DecontamParams(
        ngram={"enabled": switches.get("ngram", True)},
        entry_point={"enabled": switches.get("entry_point", False)},
        fuzzy={"enabled": switches.get("fuzzy", True)},
    )
    return Detector(params, seed=42)


def task(benchmark: str, task_id: str):
    return next(t for t in bundled_items(benchmark) if t.task_id == task_id)


def found(det: Detector, texts: list[str | None]) -> dict[int, tuple[str, str, str]]:
    """Row -> (benchmark, task id, method) of every flagged text."""
    m = det.find(pa.array(texts, pa.large_string()))
    return {
        int(d): (det.items[i].benchmark, det.items[i].task_id, method)
        for d, i, method in zip(m.doc, m.item, m.method, strict=True)
    }


def clean_texts() -> list[str]:
    """Real code and prose that hold no benchmark task: CPython modules and Python documentation pages."""
    code = [p.read_text() for p in sorted((FIXTURES / "fuzzy").glob("*.txt"))]
    with gzip.open(FIXTURES / "python-docs-sample.jsonl.gz", "rt") as f:
        docs = [json.loads(line)["text"] for line in f]
    faq = [json.loads(line) for line in (FIXTURES / "python-faq-sft.jsonl").read_text().splitlines()]
    return code + docs + [f"{r['prompt']}\n\n{r['answer']}" for r in faq]


def test_planted_solutions_prompts_and_tests_are_found_with_their_task_ids():
    he0 = task("humaneval", "HumanEval/0")
    mbpp = task("mbpp", "11")
    he2 = task("humaneval", "HumanEval/2")
    planted = [
        f"Sure! Here is a solution:\n\n```python\n{he0.solution}\n```\nIt sorts nothing and compares all pairs.",
        f"# utils.py\nimport os\n\n{mbpp.solution}\n\nprint(os.getcwd())\n",
        f"Some tests I wrote:\n{he2.tests}",
        f"Question: {mbpp.prompt} Use a loop.",
    ]
    clean = clean_texts()
    hits = found(detector(), planted + clean)
    assert hits[0][1:] == ("HumanEval/0", "ngram")
    assert hits[1][1:] == ("11", "ngram") and hits[1][0].startswith("mbpp")
    assert hits[2][1:] == ("HumanEval/2", "ngram")
    assert hits[3][1:] == ("11", "ngram")
    assert sorted(hits) == [0, 1, 2, 3], "clean documentation and CPython modules must be kept"


def test_renamed_copies_are_found_by_the_fuzzy_pass_only():
    renamed = [
        (FIXTURES / "decontam" / name).read_text() for name in ("renamed_humaneval0.py.txt", "renamed_mbpp11.py.txt")
    ]
    assert found(detector(fuzzy=False), renamed) == {}
    hits = found(detector(ngram=False), renamed)
    assert hits[0] == ("humanevalplus", "HumanEval/0", "fuzzy")  # HumanEval+'s canonical is the sorted variant
    assert hits[1][1:] == ("11", "fuzzy")


def test_entry_points_only_when_switched_on():
    sample = "Write has_close_elements(values, limit) that returns whether two values are closer than limit."
    assert found(detector(), [sample]) == {}
    hit = found(detector(entry_point=True), [sample, "The has_close_elements function is not called here."])
    assert hit == {0: ("humaneval", "HumanEval/0", "entry_point")}


def test_boilerplate_shared_by_many_tasks_is_not_evidence():
    det = detector()
    assert det.ngrams.dropped["shared_by_tasks"] > 0 and det.ngrams.dropped["common_tokens"] > 0
    he = task("humaneval", "HumanEval/5")
    header = he.tests.split("assert")[0]  # METADATA and `def check(candidate):`, common to many HumanEval tasks
    generic = (
        "for i in range(len(numbers)):\n    for j in range(i + 1, len(numbers)):\n"
        "        if numbers[i] == numbers[j]:\n            return True\nreturn False\n"
    )
    assert found(det, [header * 3, generic, "def check(candidate):\n" + generic]) == {}


def test_empty_and_null_texts_pass():
    assert found(detector(entry_point=True), ["", None, " \n\t", "x"]) == {}


def test_benchmark_file_with_a_missing_field_names_file_and_line(tmp_path):
    path = tmp_path / "mine.jsonl"
    good = {
        "task_id": "mine/0",
        "prompt": "def f(x):\n",
        "canonical_solution": "    return x\n",
        "test": "",
        "entry_point": "f",
    }
    path.write_text(json.dumps(good) + "\n" + json.dumps({"task_id": "mine/1", "prompt": "def g():\n"}) + "\n")
    with pytest.raises(OpencoderError, match=r"mine\.jsonl:2: missing solution"):
        file_items(path)
    with pytest.raises(OpencoderError, match="does not exist"):
        file_items(tmp_path / "nope.jsonl")
    path.write_text(json.dumps(good) + "\n")
    assert [(i.benchmark, i.task_id, i.entry_point) for i in file_items(path)] == [("mine", "mine/0", "f")]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opencoder.cli", "decontam", *args], capture_output=True, text=True)


def test_command_accounts_for_every_document_and_is_deterministic(tmp_path):
    he0 = task("humaneval", "HumanEval/0")
    records = [{"id": f"clean{i}", "text": t} for i, t in enumerate(clean_texts()[:30])]
    records += [
        {"id": "planted", "text": f"answer:\n{he0.solution}"},
        {"id": "renamed", "text": (FIXTURES / "decontam" / "renamed_mbpp11.py.txt").read_text()},
        {"id": "empty", "text": ""},
    ]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        done = run_cli(str(data), "--out", str(out), "--workers", "1", "--benchmarks", "humaneval,mbpp")
        assert done.returncode == 0, done.stderr
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["documents"] == {"in": len(records), "kept": len(records) - 2, "removed": 2}
        removed = pq.read_table(out / "removed").to_pylist()
        runs.append(sorted((r["id"], r["reason"], r["detail"]) for r in removed))
    assert runs[0] == runs[1]
    detail = {doc: json.loads(d) for doc, _, d in runs[0]}
    assert detail["planted"]["task_id"] == "HumanEval/0" and detail["planted"]["method"] == "ngram"
    assert detail["renamed"]["task_id"] == "11" and detail["renamed"]["similarity"] >= 0.7
    matches = pq.read_table(tmp_path / "run0" / "decontam").to_pylist()
    assert {m["id"]: m["benchmark"] for m in matches} == {"planted": "humaneval", "renamed": "mbpp"}
    report = subprocess.run(
        [sys.executable, "-m", "opencoder.cli", "report", str(tmp_path / "run0")], capture_output=True, text=True
    )
    assert report.returncode == 0, report.stderr
    assert "HumanEval/0" in Path(report.stdout.strip()).read_text()


def test_command_scans_chat_messages_and_refuses_a_bad_benchmark_file(tmp_path):
    mbpp = task("mbpp", "11")
    chats = [
        {
            "id": "leak",
            "messages": [{"role": "user", "content": mbpp.prompt}, {"role": "assistant", "content": mbpp.solution}],
        },
        {"id": "fine", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]},
    ]
    data = tmp_path / "sft.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in chats))
    out = tmp_path / "run"
    done = run_cli(str(data), "--out", str(out), "--text-field", "messages", "--sft", "--benchmarks", "mbpp")
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in pq.read_table(out / "removed").to_pylist()] == ["leak"]
    assert [r["id"] for r in pq.read_table(out / "kept").to_pylist()] == ["fine"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": 1, "text": "Write a function."}\n')
    failed = run_cli(str(data), "--out", str(tmp_path / "run2"), "--benchmark-file", str(bad))
    assert failed.returncode == 2 and f"{bad}:1: missing solution" in failed.stderr


def test_chat_messages_in_parquet_are_flattened_by_the_readers(tmp_path):
    from opencoder.engine.recipe import Columns, EngineSettings
    from opencoder.io.readers import plan_inputs, read_shard

    chats = [[{"role": "user", "content": "Write f."}, {"role": "assistant", "content": "def f(): pass"}], None]
    path = tmp_path / "sft.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "messages": chats}), path)
    settings = EngineSettings()
    (shard,) = plan_inputs([(str(path), None)], settings).shards
    (batch,) = read_shard(shard, Columns(text="messages"), settings)
    assert batch.docs.column("content").to_pylist() == [b"Write f.\n\ndef f(): pass", None]


def test_a_text_field_may_join_several_fields(tmp_path):
    from opencoder.engine.recipe import Columns, EngineSettings
    from opencoder.io.readers import plan_inputs, read_shard

    settings = EngineSettings()
    path = tmp_path / "sft.jsonl"
    path.write_text(json.dumps({"id": "a", "instruction": "Write f.", "output": "def f(): pass"}) + "\n")
    pq.write_table(
        pa.table({"id": ["a"], "instruction": ["Write f."], "output": ["def f(): pass"]}), tmp_path / "s.parquet"
    )
    for p in (path, tmp_path / "s.parquet"):
        (shard,) = plan_inputs([(str(p), None)], settings).shards
        (batch,) = read_shard(shard, Columns(text="instruction+output"), settings)
        assert batch.docs.column("content").to_pylist() == [b"Write f.\n\ndef f(): pass"]


def test_code_tokens_make_the_ngrams_blind_to_spacing():
    he = task("humaneval", "HumanEval/0")
    respaced = he.solution.replace(" = ", "=").replace(", ", ",").replace("(", " ( ").replace(")", " ) ")
    words = Detector(DecontamParams(ngram={"fields": ["solution"]}, fuzzy={"enabled": False}), seed=42)
    code = Detector(DecontamParams(ngram={"unit": "code", "fields": ["solution"]}, fuzzy={"enabled": False}), seed=42)
    docstring_free = respaced.split('"""')[0] + respaced.split('"""')[2]  # the prompt's prose would match as words
    assert found(words, [docstring_free]) == {}
    assert found(code, [docstring_free]) == {0: ("humaneval", "HumanEval/0", "ngram")}
