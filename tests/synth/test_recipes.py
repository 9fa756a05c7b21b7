"""Each recipe against a scripted teacher: the steps it adds to the shared pipeline (keyword selection, the
judge, the API documentation, the task specification and refinement) and what its samples hold."""

from __future__ import annotations

import json

from fake_llm_server import serve
from synth_teacher import block, context, scripted, write_seeds

from opencoder.generate import OpenAIBackend
from opencoder.generate.cache import AnswerCache, CachedBackend
from opencoder.synth.catalog import load_recipe
from opencoder.synth.educational import JUDGE_TOKENS
from opencoder.synth.pipeline import run_synth
from opencoder.synth.seeds import read_seeds


def synth(recipe, tmp_path, seeds, answers, sandbox, **options):
    path = write_seeds(tmp_path / "seeds.jsonl", seeds)
    with serve(scripted(answers)) as (url, seen):
        inner = OpenAIBackend(url, "scripted", chat=True, timeout=5.0, retries=0, concurrency=4)
        backend = CachedBackend(inner, AnswerCache(tmp_path / "cache.jsonl"), "scripted")
        stats = run_synth(
            load_recipe(recipe), read_seeds([path]), tmp_path / "out", context(backend, sandbox, **options)
        )
    kept = [json.loads(x) for x in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    rejected = {
        r["seed_id"]: r for r in map(json.loads, (tmp_path / "out" / "rejected.jsonl").read_text().splitlines())
    }
    return stats, kept, rejected, seen


def test_algorithmic_selects_by_keyword_without_a_teacher(tmp_path):
    seeds = {"lc": "# LeetCode 1\nclass Solution:\n    pass\n", "plain": "print('hello')\n",
             "cf": "# codeforces round\n"}  # fmt: skip
    path = write_seeds(tmp_path / "seeds.jsonl", seeds)
    ctx = context(None, None)
    stats = run_synth(load_recipe("algorithmic"), read_seeds([path]), tmp_path / "a", ctx)
    kept = [json.loads(x) for x in (tmp_path / "a" / "samples.jsonl").read_text().splitlines()]
    assert [(s["seed_id"], s["keywords"]) for s in kept] == [("lc", ["leetcode", "class solution"])]
    assert kept[0]["text"] == seeds["lc"] and stats["steps"][0]["reasons"] == {"no algorithmic keyword": 2}
    ctx = context(None, None, keywords=["CodeForces"])
    run_synth(load_recipe("algorithmic"), read_seeds([path]), tmp_path / "b", ctx)
    assert '"seed_id":"cf"' in (tmp_path / "b" / "samples.jsonl").read_text()


def test_textbooks_keep_explanations_of_the_seed(tmp_path, sandbox):
    long = "The function `fib` computes Fibonacci numbers. " * 10 + "\n" + block("def fib(n): ...")
    seeds = {"good": "# t-good\ndef fib(n):\n    return n\n", "short": "# t-short\ndef g(): pass\n"}
    _stats, kept, rejected, _ = synth("textbooks", tmp_path, seeds, {"t-good": long, "t-short": "It adds."}, sandbox)
    assert [s["seed_id"] for s in kept] == ["good"] and kept[0]["text"] == long.strip()
    assert kept[0]["messages"][1]["content"] == long.strip() and "t-good" in kept[0]["messages"][0]["content"]
    assert rejected["short"]["step"] == "parsed" and "characters" in rejected["short"]["reason"]


TEN = "\n".join(f"assert square({i}) == {i * i}" for i in range(10))
SQUARE = block("def square(x):\n    return x * x")
EDU = f"""[Task]
Write a function square(x) that returns x squared.
[Analysis]
Multiply the number by itself.
[Solution]
{SQUARE}
[Test]
{block(TEN)}
"""


def test_educational_judges_then_keeps_ten_passing_asserts(tmp_path, sandbox):
    seeds = {name: f"# e-{name}\ndef square(x):\n    return x * x\n" for name in ("good", "dull", "three", "wrong")}
    answers = {"Score:": "", "e-good": EDU, "e-three": EDU.replace(TEN, TEN[: TEN.index("assert square(3)")]),
               "e-wrong": EDU.replace("x * x\n```\n[Test]", "x + x\n```\n[Test]")}  # fmt: skip

    def judge_then_teacher(request, body, number):
        prompt = body["messages"][-1]["content"]
        if prompt.rstrip().endswith("Score:"):
            return scripted({"e-dull": "2"}, default="Score: 8")(request, body, number)
        return scripted(answers)(request, body, number)

    path = write_seeds(tmp_path / "seeds.jsonl", seeds)
    with serve(judge_then_teacher) as (url, seen):
        inner = OpenAIBackend(url, "scripted", chat=True, timeout=5.0, retries=0, concurrency=4)
        backend = CachedBackend(inner, AnswerCache(tmp_path / "cache.jsonl"), "scripted")
        stats = run_synth(load_recipe("educational"), read_seeds([path]), tmp_path / "out", context(backend, sandbox))
    kept = [json.loads(x) for x in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    rejected = {
        r["seed_id"]: r for r in map(json.loads, (tmp_path / "out" / "rejected.jsonl").read_text().splitlines())
    }
    assert [s["seed_id"] for s in kept] == ["good"] and kept[0]["judge_score"] == 8
    user, assistant = kept[0]["messages"]
    assert user["content"] == "Write a function square(x) that returns x squared."
    assert (
        "Multiply" in assistant["content"]
        and "def square" in assistant["content"]
        and "square(9) == 81" in assistant["content"]
    )
    assert (rejected["dull"]["step"], rejected["dull"]["reason"]) == ("scored", "judge score 2 below 5")
    assert (rejected["three"]["step"], rejected["three"]["reason"]) == ("parsed", "3 assert statement(s), 10 needed")
    assert rejected["wrong"]["step"] == "passed"
    assert [s["in"] for s in stats["steps"]] == [4, 4, 3, 3, 2, 1, 1]
    assert sum(1 for r in seen if r["max_tokens"] == JUDGE_TOKENS) == 4  # one short judge request per seed


PACKAGE = """[Problem Description]
Write a function to_json(d) that serialises a dict with sorted keys using json.dumps.
[Solution]
{code}
"""


def test_package_reads_the_api_docs_and_requires_the_api(tmp_path, sandbox):
    uses = "def to_json(d):\n    return json.dumps(d, sort_keys=True)\n"
    good = block("import json\n\n" + uses) + "\n" + block("assert to_json({'b': 1, 'a': 2}) == '{\"a\": 2, \"b\": 1}'")
    avoids = block("def to_json(d):\n    return str(d)") + "\n" + block("assert to_json({}) == '{}'")
    seeds = {"good": "# p-good\nimport json\nprint(json.dumps({}))\n",
             "avoid": "# p-avoid\nimport json\njson.dumps(1)\n",
             "none": "# p-none\nprint(1)\n", "broken": "# p-broken\ndef (:\n"}  # fmt: skip
    answers = {"p-good": PACKAGE.format(code=good), "p-avoid": PACKAGE.format(code=avoids)}
    stats, kept, rejected, seen = synth("package", tmp_path, seeds, answers, sandbox)
    assert [s["seed_id"] for s in kept] == ["good"] and kept[0]["api"] == "json.dumps"
    prompt = seen[0]["messages"][0]["content"]
    assert "json.dumps(obj, *, skipkeys=False" in prompt and "Serialize ``obj`` to a JSON formatted ``str``" in prompt
    assert kept[0]["messages"][0]["content"].startswith("Write a function to_json(d)")
    assert (rejected["avoid"]["step"], rejected["avoid"]["reason"]) == (
        "parsed",
        "the solution does not use json.dumps",
    )
    assert rejected["none"]["step"] == "api_found" and rejected["broken"]["reason"] == "the seed is not valid Python"
    assert stats["kept"] + stats["rejected"] == 4


def test_diverse_specifies_asks_at_temperature_one_validates_and_refines(tmp_path, sandbox):
    def answer(seed: str) -> str:  # each seed its own wording, or dedup would keep one of them
        code = f'def double(x):\n    """Twice x, the {seed} way."""\n    return 2 * x'
        return block(code) + "\n" + block("assert double(2) == 4")

    refined = block("def double(x):\n    # twice x\n    return 2 * x") + "\nIt doubles."
    seeds = {"kept": "d-kept: a blog post about doubling numbers", "broken": "d-broken: doubling again",
             "unrefined": "d-unrefined: more doubling"}  # fmt: skip

    def handle(request, body, number):
        prompt = body["messages"][-1]["content"]
        seed = next(k for k in seeds if f"d-{k}" in prompt or f"Q-{k}" in prompt)
        if "[Created Question]" in prompt:
            text = f"Q-{seed}: write double(x)."
        elif prompt.startswith("Improve the answer"):
            text = {"kept": refined, "broken": refined.replace("2 * x", "3 * x"), "unrefined": "I like it."}[seed]
        else:
            text = answer(seed)
        return scripted({}, default=text)(request, body, number)

    path = write_seeds(tmp_path / "seeds.jsonl", seeds)
    with serve(handle) as (url, seen):
        inner = OpenAIBackend(url, "scripted", chat=True, timeout=5.0, retries=0, concurrency=4)
        backend = CachedBackend(inner, AnswerCache(tmp_path / "cache.jsonl"), "scripted")
        stats = run_synth(load_recipe("diverse"), read_seeds([path]), tmp_path / "out", context(backend, sandbox))
    kept = {s["seed_id"]: s for s in map(json.loads, (tmp_path / "out" / "samples.jsonl").read_text().splitlines())}
    assert set(kept) == set(seeds) and stats["kept"] == 3
    assert all(r["temperature"] == 1.0 for r in seen if "[Created Question]" in r["messages"][0]["content"])
    assert all(r["temperature"] == 0.0 for r in seen if "[Created Question]" not in r["messages"][0]["content"])
    assert kept["kept"]["refinement"] == "kept" and "# twice x" in kept["kept"]["messages"][1]["content"]
    assert kept["broken"]["refinement"].startswith("dropped: refined code failed")
    assert kept["unrefined"]["refinement"].startswith("dropped: no closed")
    assert kept["broken"]["messages"][1]["content"] == answer("broken").strip()
    spec = kept["kept"]
    assert spec["language"] == "python" and spec["difficulty"] in ("easy", "medium", "hard") and spec["task_type"]
    assert spec["messages"][0]["content"].startswith("Q-kept") and spec["validation"]["outcome"] == "passed"
