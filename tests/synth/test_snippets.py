"""The shared pipeline through the snippets recipe against a scripted teacher: what passes is kept in chat
format with its metadata, and every other seed is recorded with the step and the reason, whatever the teacher
wrote: wrong tests, no code, code that hangs, forks or writes outside its folder, or a server that hangs up."""

from __future__ import annotations

import json

from fake_llm_server import chat_completions, serve
from synth_teacher import block, context, scripted, write_seeds

from opencoder.generate import OpenAIBackend
from opencoder.generate.cache import AnswerCache, CachedBackend
from opencoder.synth.catalog import load_recipe
from opencoder.synth.pipeline import run_synth
from opencoder.synth.seeds import read_seeds

GOOD = block("def add(a, b):\n    return a + b") + "\n" + block("assert add(1, 2) == 3\nassert add(0, 0) == 0")
OTHER = block("def rev(s):\n    return s[::-1]\n\nassert rev('ab') == 'ba'\nassert rev('') == ''")


def teacher(url, tmp_path, **kwargs) -> CachedBackend:
    options = {"timeout": 5.0, "retries": 2, "backoff": 0.01, "concurrency": 4, **kwargs}
    return CachedBackend(OpenAIBackend(url, "scripted", chat=True, **options), AnswerCache(tmp_path / "c.jsonl"), "s")


def read(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_every_seed_is_kept_or_rejected_with_its_step_and_reason(tmp_path, sandbox):
    victim = tmp_path / "host" / "owned.txt"
    victim.parent.mkdir()
    answers = {
        "case-good": GOOD,
        "case-twin": GOOD,  # the same snippet again: a near-duplicate
        "case-other": OTHER,
        "case-wrong": GOOD.replace("== 3", "== 4"),
        "case-prose": "Sure! A function that adds two numbers is a great idea.",
        "case-hang": block("def spin():\n    while True:\n        pass\n\nassert spin() is None"),
        "case-fork": block("import os\n\ndef bomb():\n    while True:\n        os.fork()\n\nassert bomb() is None"),
        "case-escape": block(
            f"def leak():\n    open({str(victim)!r}, 'w').write('x')\n    return 1\n\nassert leak() == 1"
        ),
    }
    seeds = write_seeds(tmp_path / "seeds.jsonl", {k: f"# {k}\ndef solution(): pass\n" for k in answers})
    with serve(scripted(answers)) as (url, seen):
        stats = run_synth(
            load_recipe("snippets"), read_seeds([seeds]), tmp_path / "out", context(teacher(url, tmp_path), sandbox)
        )
    kept, rejected = read(tmp_path / "out" / "samples.jsonl"), read(tmp_path / "out" / "rejected.jsonl")
    assert sorted(s["seed_id"] for s in kept) == ["case-good", "case-other"]
    why = {r["seed_id"]: (r["step"], r["reason"]) for r in rejected}
    assert why["case-twin"] == ("deduplicated", "near-duplicate of seed case-good")
    assert why["case-wrong"][0] == "passed" and why["case-wrong"][1].startswith("failed: AssertionError")
    assert why["case-prose"] == ("parsed", "no closed ```python code block")
    assert why["case-hang"][0] == "passed" and why["case-hang"][1].startswith("timed_out")
    assert why["case-fork"][0] == "passed" and why["case-escape"][0] == "passed"
    assert not victim.exists()
    assert len(kept) + len(rejected) == len(answers) == stats["seeds"]
    good = next(s for s in kept if s["seed_id"] == "case-good")
    assert [m["role"] for m in good["messages"]] == ["user", "assistant"]
    assert "case-good" in good["messages"][0]["content"] and "def add" in good["messages"][1]["content"]
    assert good["text"].startswith("def add(a, b):") and good["text"].rstrip().endswith("assert add(0, 0) == 0")
    assert good["validation"]["outcome"] == "passed" and good["generator"]["model"] == "scripted"
    assert set(good["timings"]) == {"generated", "parsed", "passed"} and good["recipe"] == "snippets"
    steps = {s["step"]: s for s in stats["steps"]}
    assert [s["step"] for s in stats["steps"]] == ["generated", "parsed", "passed", "deduplicated", "decontaminated"]
    assert (steps["generated"]["in"], steps["parsed"]["in"], steps["passed"]["in"]) == (8, 8, 7)
    assert (steps["passed"]["rejected"], steps["deduplicated"]["passed"], stats["kept"]) == (4, 2, 2)
    assert len(seen) == 8


def test_a_server_dropping_connections_is_retried_and_a_lost_seed_is_recorded(tmp_path, sandbox):
    tries: dict[str, int] = {}

    def flaky(request, body, number):
        prompt = body["messages"][-1]["content"]
        key = "lost" if "case-lost" in prompt else "flaky"
        tries[key] = tries.get(key, 0) + 1
        if key == "lost" or tries[key] == 1:
            return None  # hang up without an answer
        return 200, chat_completions(GOOD)

    seeds = write_seeds(tmp_path / "seeds.jsonl", {"case-flaky": "# case-flaky", "case-lost": "# case-lost"})
    with serve(flaky) as (url, seen):
        backend = teacher(url, tmp_path, concurrency=1)
        stats = run_synth(load_recipe("snippets"), read_seeds([seeds]), tmp_path / "out", context(backend, sandbox))
    assert tries == {"flaky": 2, "lost": 3}  # one retry for the first, all three attempts for the other
    (lost,) = read(tmp_path / "out" / "rejected.jsonl")
    assert lost["seed_id"] == "case-lost" and lost["step"] == "generated"
    assert lost["reason"].startswith("no answer:") and "after 3 attempts" in lost["reason"]
    assert stats["kept"] == 1
    # the lost answer was not cached: a rerun of a fresh folder asks for it again, the other comes from the cache
    with serve(scripted({"case-": GOOD})) as (url, seen):
        backend = teacher(url, tmp_path)
        run_synth(load_recipe("snippets"), read_seeds([seeds]), tmp_path / "again", context(backend, sandbox))
    assert len(seen) == 1 and "case-lost" in seen[0]["messages"][0]["content"]
