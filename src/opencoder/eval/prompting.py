"""Prompts, stop words and answer extraction for base and chat models, as OpenCodeEval does them (SPEC §8.1)."""

from __future__ import annotations

import re

from opencoder.eval.benchmarks import Benchmark, Task
from opencoder.eval.sanitize import normalise, sanitize

GENERAL_STOP = ("<|endoftext|>", "<|endofmask|>", "</s>", "\nif __name__", "\ndef main(", "\nprint(", "\n```\n")
BASE_STOP = ("\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\nassert ")
CHAT_PREFIX = (
    "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n"
    "```python\n"
)
CHAT_SUFFIX = "\n```\n"


def stop_words(chat: bool, benchmark: Benchmark | None = None) -> tuple[str, ...]:
    """OpenCodeEval's for Python; MultiPL-E's own per language for its benchmarks."""
    if benchmark is not None and benchmark.language != "python":
        return benchmark.tasks[0].stop
    return GENERAL_STOP if chat else GENERAL_STOP + BASE_STOP


def _mbpp_block(text: str, tests: tuple[str, ...], code: str | None) -> str:
    prompt = f"You are an expert Python programmer, and here is your task:\n{text}"
    prompt += "Your code should pass these tests:\n" + "\n".join(tests) + "\n"
    return prompt + (f"\n```python\n{normalise(code)}\n```\n" if code is not None else "\n```python\n")


def _mbpp_text(task: Task) -> str:
    return normalise(task.prompt.strip().strip('"').strip())


def build_prompt(benchmark: Benchmark, task: Task, chat: bool) -> str:
    """HumanEval: the function to complete (chat models: wrapped in a request for a script). MBPP: three
    solved examples (tasks 1-3), then the task, ending in an open code block."""
    if task.language != "python":
        return task.prompt  # MultiPL-E: the translated function to complete, for base and chat models alike
    if benchmark.family == "humaneval":
        prompt = normalise(task.prompt)
        return normalise(CHAT_PREFIX + prompt + CHAT_SUFFIX) if chat else prompt
    shots = "\n".join(_mbpp_block(_mbpp_text(t), t.tests, t.canonical) for t in benchmark.fewshot)
    return normalise(shots + "\n" + _mbpp_block(_mbpp_text(task), task.tests, None))


def solution_code(benchmark: Benchmark, task: Task, prompt: str, completion: str, chat: bool) -> str:
    """The program to test from a completion. A base model continues the prompt, so the prompt is part of its
    answer; a chat model answers on its own. HumanEval keeps the original prompt with a `pass` body in front,
    so helpers the prompt defines stay defined, as OpenCodeEval does."""
    if task.language != "python":
        return multiple_solution(task, completion)
    if benchmark.family == "mbpp":
        return sanitize(completion)
    answer = completion if chat else prompt + "\n\n" + completion
    return task.prompt + "    pass\n\n" + sanitize(answer, task.entry_point)


_FENCE = re.compile(r"```[\w+#-]*\n(.*?)```", re.DOTALL)


def multiple_solution(task: Task, completion: str) -> str:
    """MultiPL-E: the prompt, then the completion cut at the first stop sequence. A chat answer with a fenced code
    block that defines the function is taken instead: whole, or where the test suite closes the function itself
    (Bash, C++, Java, C#), the function from the block set in the prompt's frame (its includes, imports, class)
    and left open."""
    block = _FENCE.search(completion)
    if block is not None and task.entry_point and task.entry_point in block.group(1):
        code = block.group(1)
        if not task.test.lstrip(" ").startswith("}"):
            return code
        framed = _framed(task.prompt, code, task.entry_point)
        if framed is not None:
            return framed
    cut = min((i for stop in task.stop if (i := completion.find(stop)) >= 0), default=len(completion))
    return task.prompt + completion[:cut]


def _depth(code: str) -> int:
    return code.count("{") - code.count("}")


def _framed(prompt: str, code: str, entry_point: str) -> str | None:
    """The prompt up to its signature, then the block from the function's first line on, with closing braces
    taken off the end until the function is open as the prompt leaves it; None if that cannot be done."""
    lines = code.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if f"{entry_point}(" in line and "{" in line), None)
    if start is None:
        return None
    head = prompt[: prompt.rstrip("\n").rfind("\n") + 1]
    framed = head + "".join(lines[start:]).rstrip()
    while _depth(framed) < _depth(prompt) and framed.endswith("}"):
        framed = framed[:-1].rstrip()
    return framed + "\n" if _depth(framed) == _depth(prompt) else None
