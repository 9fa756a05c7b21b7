"""The one generation interface that eval and synth share, and what every backend has in common."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol


class Backend(Protocol):
    """A model behind `generate`. `failures` maps a prompt's index to why it got no completion; `on_result(index,
    texts)`, when given, is called as each prompt gets its completions (so a cache can keep them at once)."""

    chat: bool
    failures: dict[int, str]

    def generate(
        self,
        prompts: Sequence[str],
        n: int,
        temperature: float,
        max_tokens: int,
        stop: Sequence[str],
        on_result: Callable[[int, list[str]], None] | None = None,
    ) -> list[list[str]]: ...


def generate(
    backend: Backend,
    prompts: Sequence[str],
    n: int = 1,
    temperature: float = 0.0,
    max_tokens: int = 512,
    stop: Sequence[str] = (),
) -> list[list[str]]:
    """n completions per prompt, each cut before its first stop string. Greedy (temperature 0) needs n = 1.

    A prompt the backend could not serve gets n empty strings and an entry in backend.failures; a backend that
    cannot serve at all raises OpencoderError.
    """
    if n < 1 or max_tokens < 1 or temperature < 0:
        raise ValueError(f"need n >= 1, max_tokens >= 1, temperature >= 0; got {n}, {max_tokens}, {temperature}")
    if temperature == 0 and n > 1:
        raise ValueError("greedy decoding gives one completion per prompt: use temperature > 0 for n > 1")
    backend.failures.clear()
    out = backend.generate(list(prompts), n, temperature, max_tokens, list(stop))
    return [[cut_at_stop(text, stop) for text in texts] for texts in out]


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text before the earliest stop string (servers and stopping criteria may overshoot by a few tokens)."""
    end = len(text)
    for word in stop:
        at = text.find(word)
        if 0 <= at < end:
            end = at
    return text[:end]
