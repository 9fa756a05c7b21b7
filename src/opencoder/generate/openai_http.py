"""OpenAI-compatible HTTP backend: /v1/completions for base models, /v1/chat/completions for instruct models.

Works with vLLM, SGLang, llama.cpp's server and hosted APIs. Requests run concurrently (servers batch them).
A transient error (connection refused or reset, timeout, an answer cut short, HTTP 408/429/5xx, a body that is
not the expected JSON) is retried with exponential backoff; after the last retry that prompt is recorded as
failed and the run goes on, unless `max_consecutive_failures` prompts in a row failed: then the server is taken
as down and the run stops with a clear error. Other HTTP 4xx errors (a wrong model name, a bad request) stop at
once.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from opencoder.errors import OpencoderError

log = logging.getLogger(__name__)

_RETRY_STATUS = {408, 429, 500, 502, 503, 504}


class _Transient(Exception):
    """Worth retrying."""


class OpenAIBackend:
    def __init__(
        self,
        base_url: str,
        model: str,
        chat: bool = False,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        backoff: float = 1.0,
        concurrency: int = 4,
        max_consecutive_failures: int = 5,
        seed: int | None = 0,
    ):
        base = base_url.rstrip("/")
        self.base = base if base.endswith("/v1") else base + "/v1"
        self.model = model
        self.chat = chat
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.concurrency = concurrency
        self.max_consecutive_failures = max_consecutive_failures
        self.seed = seed
        self.failures: dict[int, str] = {}
        self._lock = threading.Lock()
        self._consecutive = 0

    def generate(
        self,
        prompts: Sequence[str],
        n: int,
        temperature: float,
        max_tokens: int,
        stop: Sequence[str],
        on_result: Callable[[int, list[str]], None] | None = None,
    ) -> list[list[str]]:
        """`concurrency` requests in flight at once; on_result(index, texts) runs as each prompt is answered."""

        def one(index: int) -> list[str]:
            try:
                texts = self._complete(prompts[index], n, temperature, max_tokens, stop)
            except _Transient as err:
                with self._lock:
                    self.failures[index] = str(err)
                    self._consecutive += 1
                    down = self._consecutive >= self.max_consecutive_failures
                if down:
                    raise OpencoderError(
                        f"server {self.base} failed {self.max_consecutive_failures} prompts in a row "
                        f"after {self.retries} retries each; last error: {err}"
                    ) from None
                log.warning("prompt %d: no completion: %s", index, err)
                return [""] * n
            with self._lock:
                self._consecutive = 0
            if on_result is not None:
                on_result(index, texts)
            return texts

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(one, range(len(prompts))))

    def _complete(self, prompt: str, n: int, temperature: float, max_tokens: int, stop: Sequence[str]) -> list[str]:
        texts: list[str] = []
        while len(texts) < n:  # some servers return fewer choices than asked for
            body: dict[str, Any] = {
                "model": self.model,
                "max_tokens": max_tokens,
                "temperature": temperature,
                "n": n - len(texts),
                "stop": list(stop) or None,
            }
            if self.seed is not None and temperature > 0:
                body["seed"] = self.seed + len(texts)
            if self.chat:
                body["messages"] = [{"role": "user", "content": prompt}]
            else:
                body["prompt"] = prompt
            choices = self._post_with_retries("/chat/completions" if self.chat else "/completions", body)
            texts += [_choice_text(c, self.chat) for c in choices]
        return texts[:n]

    def _post_with_retries(self, path: str, body: dict[str, Any]) -> list[Any]:
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return self._post(path, body)
            except _Transient as err:
                last = str(err)
                log.info("%s%s attempt %d failed: %s", self.base, path, attempt + 1, last)
        raise _Transient(f"{self.base}{path}: {last} (after {self.retries + 1} attempts)")

    def _post(self, path: str, body: dict[str, Any]) -> list[Any]:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.base + path, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            detail = err.read()[:300].decode("utf-8", "replace")
            if err.code in _RETRY_STATUS:
                raise _Transient(f"HTTP {err.code}: {detail}") from None
            raise OpencoderError(f"server {self.base}{path} refused the request: HTTP {err.code}: {detail}") from None
        except (OSError, http.client.HTTPException) as err:  # no server, refused, timed out, reset, cut short
            raise _Transient(f"{type(err).__name__}: {getattr(err, 'reason', err)}") from None
        try:
            choices = json.loads(raw)["choices"]
            if not isinstance(choices, list) or not choices:
                raise ValueError("no choices")
            return choices
        except (ValueError, KeyError, TypeError) as err:
            raise _Transient(f"unexpected response ({err}): {raw[:200]!r}") from None


def _choice_text(choice: Any, chat: bool) -> str:
    try:
        text = choice["message"]["content"] if chat else choice["text"]
    except (KeyError, TypeError):
        raise _Transient(f"a choice without text: {str(choice)[:200]}") from None
    return text if isinstance(text, str) else ""
