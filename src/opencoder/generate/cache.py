"""An on-disk cache of answers in front of any backend, so that a rerun after a crash pays for no answer twice.

Every completion is stored under a key that hashes the whole request: the model, the chat flag, the prompt (as
the messages or the prompt string sent), temperature, max_tokens, stop strings, the backend's sampling seed and
the sample's index among the n asked for. The store is one append-only JSONL file: each answer is appended (and
flushed) the moment its prompt is answered, so a SIGKILL loses at most the line being written, which the next
load skips. Prompts that failed are not stored: a rerun asks for them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from opencoder.generate.base import Backend

log = logging.getLogger(__name__)


def request_key(request: dict[str, Any]) -> str:
    """A stable hash of a request's fields (sorted JSON)."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class AnswerCache:
    """key -> text, loaded from and appended to one JSONL file; thread-safe."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._answers: dict[str, str] = {}
        if self.path.exists():
            self._load()
        self._lock = threading.Lock()
        self._file = self.path.open("ab")

    def _load(self) -> None:
        torn = 0
        with self.path.open("rb") as fh:
            for line in fh:
                try:
                    record = orjson.loads(line)
                    self._answers[record["key"]] = record["text"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    torn += 1
        if torn:
            log.warning("%s: skipped %d unreadable line(s) (a run killed while writing)", self.path, torn)
        with self.path.open("rb+") as fh:  # a torn last line would glue itself to the next answer: end it
            size = fh.seek(0, os.SEEK_END)
            if size:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")

    def __len__(self) -> int:
        return len(self._answers)

    def __contains__(self, key: str) -> bool:
        return key in self._answers

    def get(self, key: str) -> str | None:
        return self._answers.get(key)

    def put_many(self, items: Sequence[tuple[str, str]]) -> None:
        """Store answers and flush them to the file in one write."""
        data = b"".join(orjson.dumps({"key": k, "text": t}) + b"\n" for k, t in items)
        with self._lock:
            self._file.write(data)
            self._file.flush()
            self._answers.update(items)

    def close(self) -> None:
        self._file.close()


class CachedBackend:
    """A backend that answers from the cache where it can and asks `inner` only for what is missing.

    `model_id` names the model in the keys (a path or a served model's name): two models never share answers.
    `hits` and `misses` count completions served from the cache and asked for.
    """

    def __init__(self, inner: Backend, cache: AnswerCache, model_id: str):
        self.inner = inner
        self.cache = cache
        self.model_id = model_id
        self.chat = inner.chat
        self.failures: dict[int, str] = {}
        self.hits = 0
        self.misses = 0

    def keys(self, prompt: str, n: int, temperature: float, max_tokens: int, stop: Sequence[str]) -> list[str]:
        sent = {"messages": [{"role": "user", "content": prompt}]} if self.chat else {"prompt": prompt}
        base = {"model": self.model_id, "chat": self.chat, **sent, "temperature": temperature,
                "max_tokens": max_tokens, "stop": list(stop), "seed": getattr(self.inner, "seed", None)}  # fmt: skip
        return [request_key({**base, "sample": i}) for i in range(n)]

    def generate(
        self,
        prompts: Sequence[str],
        n: int,
        temperature: float,
        max_tokens: int,
        stop: Sequence[str],
        on_result: Callable[[int, list[str]], None] | None = None,
    ) -> list[list[str]]:
        keys = [self.keys(p, n, temperature, max_tokens, stop) for p in prompts]
        out: list[list[str] | None] = [None] * len(prompts)
        missing = []
        for index, ks in enumerate(keys):
            if all(k in self.cache for k in ks):
                out[index] = [self.cache.get(k) or "" for k in ks]
                if on_result is not None:
                    on_result(index, out[index])
            else:
                missing.append(index)
        self.hits += (len(prompts) - len(missing)) * n
        self.misses += len(missing) * n

        def store(local: int, texts: list[str]) -> None:
            index = missing[local]
            self.cache.put_many(list(zip(keys[index], texts, strict=True)))
            if on_result is not None:
                on_result(index, texts)

        self.failures.clear()
        self.inner.failures.clear()
        if missing:
            answers = self.inner.generate([prompts[i] for i in missing], n, temperature, max_tokens, stop, store)
            for local, index in enumerate(missing):
                out[index] = answers[local]
            self.failures.update({missing[local]: why for local, why in self.inner.failures.items()})
        return [texts or [""] * n for texts in out]
