"""A scripted teacher: the fake OpenAI-compatible server answers each chat prompt with the answer of the first
marker found in it, so that every seed (whose text holds its marker) gets the answer its test needs."""

from __future__ import annotations

import json
from pathlib import Path

from fake_llm_server import chat_completions

from opencoder.sandbox import Sandbox
from opencoder.synth.pipeline import SynthContext


def scripted(answers: dict[str, str], default: str = ""):
    def handle(request, body, number):
        prompt = body["messages"][-1]["content"]
        for marker, answer in answers.items():
            if marker in prompt:
                return 200, chat_completions(answer)
        return 200, chat_completions(default)

    return handle


def write_seeds(path: Path, seeds: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in seeds.items()))
    return path


def block(code: str) -> str:
    return f"```python\n{code.strip()}\n```"


def context(backend, sandbox: Sandbox, **options) -> SynthContext:
    return SynthContext(backend, sandbox, {"backend": "openai", "model": "scripted"}, options, workers=3)
