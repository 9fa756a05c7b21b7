"""`opencoder eval` with a model behind the HTTP backend: prompts, stop words, extraction, scoring, results.

The server is a real HTTP server on 127.0.0.1 standing in for an LLM server (one cannot run in the test budget);
benchmarks/eval_smollm2.py runs the same path against llama.cpp's server with a real model.
"""

from __future__ import annotations

import json

import pytest
from fake_llm_server import chat_completions, completions, serve

from opencoder.eval.benchmarks import load_benchmark
from opencoder.eval.prompting import CHAT_PREFIX, build_prompt, solution_code, stop_words
from opencoder.eval.run import EvalOptions, evaluate_model
from opencoder.generate import OpenAIBackend

HUMANEVAL = {t.prompt.strip(): t for t in load_benchmark("humaneval").tasks}


def _options(tmp_path, benchmark="humaneval", limit=4) -> EvalOptions:
    return EvalOptions(benchmark=benchmark, out=tmp_path / "out", limit=limit, timeout=3.0)


@pytest.mark.parametrize("chat", [False, True], ids=["base", "chat"])
def test_a_model_that_writes_the_reference_solutions_scores_all(tmp_path, chat):
    def model(request, body, number):
        if chat:
            content = body["messages"][0]["content"]
            assert content.startswith(CHAT_PREFIX)
            task = HUMANEVAL[content[len(CHAT_PREFIX) :].split("\n```")[0].strip()]
            answer = f"Here you go:\n```python\n{task.prompt}{task.canonical}```\nIt works."
            return 200, chat_completions(answer)
        task = HUMANEVAL[body["prompt"].strip()]
        assert body["stop"] == list(stop_words(chat=False))
        return 200, completions(task.canonical + "\n\ndef check_it():\n    assert False\n")

    with serve(model) as (url, _):
        backend = OpenAIBackend(url, "m", chat=chat, timeout=5, retries=0)
        scores = evaluate_model(_options(tmp_path), backend, n=1, temperature=0.0, max_tokens=256)
    assert scores.pass_at_k == {"pass@1": 1.0}
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["n_tasks"] == 4 and results["style"] == ("chat" if chat else "base")
    assert results["generation_failures"] == {}


def test_nothing_garbage_endless_text_and_a_dead_prompt_do_not_stop_the_run(tmp_path):
    answers = {
        0: "",  # emits nothing
        1: "\x00\x07\ufffd\udc80 \x1b[31m ))) garbage",  # binary garbage
        2: "    x = 1\n" * 2000,  # never stops: cut by max_tokens on a real server
    }

    def model(request, body, number):
        index = next(i for i, t in enumerate(HUMANEVAL.values()) if t.prompt.strip() == body["prompt"].strip())
        if index == 3:
            return 500, b"boom"
        return 200, completions(answers[index])

    with serve(model) as (url, _):
        backend = OpenAIBackend(url, "m", timeout=5, retries=1, backoff=0.01)
        scores = evaluate_model(_options(tmp_path), backend, n=1, temperature=0.0, max_tokens=64)
    assert scores.pass_at_k == {"pass@1": 0.0}
    assert [row["n"] for row in scores.per_task] == [1, 1, 1, 1]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert list(results["generation_failures"]) == ["HumanEval/3"]
    assert "HTTP 500" in results["generation_failures"]["HumanEval/3"]


def test_mbpp_prompt_is_three_shot_and_the_answer_is_extracted():
    benchmark = load_benchmark("mbpp")
    task = benchmark.tasks[0]
    prompt = build_prompt(benchmark, task, chat=False)
    assert prompt.count("You are an expert Python programmer, and here is your task:") == 4
    assert prompt.endswith("Your code should pass these tests:\n" + "\n".join(task.tests) + "\n\n```python\n")
    assert "def min_cost(cost, m, n):" in prompt  # task 1's reference, shown as an example
    answer = f"{task.canonical}\n```\n\nYou are an expert..."
    code = solution_code(benchmark, task, prompt, answer, chat=False)
    assert "def small_nnum(list1, n):" in code and "```" not in code and "expert" not in code
