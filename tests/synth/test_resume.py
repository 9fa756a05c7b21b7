"""`opencoder synth` killed with SIGKILL mid-run and started again: every seed ends exactly once as a sample
or a rejection, and no answer that reached the cache is paid for again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from fake_llm_server import serve
from synth_teacher import block, scripted, write_seeds

from opencoder.generate.cache import AnswerCache

SEEDS = 8


def answer(i: int) -> str:
    return block(f"def f{i}(x):\n    return x + {i}") + "\n" + block(f"assert f{i}(1) == {1 + i}")


def lines(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_a_killed_run_resumes_without_paying_twice(tmp_path):
    seeds = write_seeds(tmp_path / "seeds.jsonl", {f"s{i}": f"# seed-{i}:\nx = {i}\n" for i in range(SEEDS)})
    out = tmp_path / "out"
    answers = {f"seed-{i}:": answer(i) for i in range(SEEDS)}
    answers["seed-5:"] = "no code here"  # one rejection, so that both files are resumed

    def slow(request, body, number):
        time.sleep(0.15)
        return scripted(answers)(request, body, number)

    with serve(slow) as (url, seen):
        argv = [sys.executable, "-m", "opencoder.cli", "synth", "snippets", "--backend", "openai", "--model", "m",
                "--base-url", url, "--seeds", str(seeds), "--out", str(out), "--chunk-size", "2",
                "--concurrency", "1", "--timeout", "3"]  # fmt: skip
        first = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(lines(out / "samples.jsonl")) + len(lines(out / "rejected.jsonl")) < 2:
            assert first.poll() is None, first.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        asked_before = len(seen)
        assert asked_before < SEEDS
        with (out / "samples.jsonl").open("ab") as fh:
            fh.write(b'{"seed_id": "s7", "messa')  # as if killed while writing a line
        cached = len(AnswerCache(out / "cache.jsonl"))
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    kept, rejected = lines(out / "samples.jsonl"), lines(out / "rejected.jsonl")
    ids = sorted(r["seed_id"] for r in kept + rejected)
    assert ids == sorted(f"s{i}" for i in range(SEEDS))  # each seed exactly once
    assert [r["seed_id"] for r in rejected] == ["s5"] and rejected[0]["step"] == "parsed"
    assert len(seen) - asked_before == SEEDS - cached  # the rerun asked only for answers the cache lacked
    assert len({r["messages"][0]["content"] for r in seen}) == SEEDS  # one prompt per seed
    stats = json.loads((out / "synth.json").read_text())
    assert (stats["seeds"], stats["kept"], stats["rejected"]) == (SEEDS, SEEDS - 1, 1)
    assert "7 of 8 seeds kept" in done.stdout
