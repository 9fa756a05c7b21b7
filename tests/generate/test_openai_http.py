"""The HTTP backend against a real HTTP server on 127.0.0.1 that plays an OpenAI-compatible LLM server, and
misbehaves: errors, hangs, garbage, refusals, or is not there at all."""

from __future__ import annotations

import socket
import threading

import pytest
from fake_llm_server import chat_completions, completions, serve

from opencoder.errors import OpencoderError
from opencoder.generate import OpenAIBackend, generate


def echo(request, body, number):
    """A well-behaved server: answers with the prompt's last word and a stop string followed by more text."""
    if request.path.endswith("/chat/completions"):
        content = body["messages"][-1]["content"]
        return 200, chat_completions(f"chat:{content}")
    word = body["prompt"].split()[-1]
    return 200, completions(*[f"{word}-{i}\ndef more():" for i in range(body["n"])])


def fast_backend(url: str, **kwargs) -> OpenAIBackend:
    options = {"timeout": 2.0, "retries": 2, "backoff": 0.05, "concurrency": 2, "model": "tiny"}
    return OpenAIBackend(url, **{**options, **kwargs})


def test_completions_and_chat_requests():
    with serve(echo) as (url, seen):
        out = generate(fast_backend(url), ["say alpha", "say beta"], n=2, temperature=0.8, stop=["\ndef "])
        assert out == [["alpha-0", "alpha-1"], ["beta-0", "beta-1"]]
        assert {r["path"] for r in seen} == {"/v1/completions"}
        assert all(r["model"] == "tiny" and r["stop"] == ["\ndef "] and r["max_tokens"] == 512 for r in seen)
        chat = generate(fast_backend(url + "/v1", chat=True), ["hello"], stop=[])
        assert chat == [["chat:hello"]]
        assert seen[-1]["path"] == "/v1/chat/completions" and seen[-1]["temperature"] == 0.0


def test_a_server_returning_fewer_choices_is_asked_again():
    def one_at_a_time(request, body, number):
        return 200, completions(f"sample{number}")

    with serve(one_at_a_time) as (url, seen):
        out = generate(fast_backend(url, concurrency=1), ["p"], n=3, temperature=1.0)
    assert out == [["sample1", "sample2", "sample3"]]
    assert [r["n"] for r in seen] == [3, 2, 1]


def test_errors_then_success_are_retried():
    def flaky(request, body, number):
        return (503, b'{"error": "overloaded"}') if number <= 2 else (200, completions("ok"))

    with serve(flaky) as (url, seen):
        backend = fast_backend(url, concurrency=1)
        assert generate(backend, ["p"]) == [["ok"]]
        assert len(seen) == 3 and backend.failures == {}


def cut_short(request, body, number):
    """Promises a 100-byte body, sends 6 bytes of it and hangs up (a server that dies while answering)."""
    request.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"choi')


@pytest.mark.parametrize(
    "misbehave",
    [
        lambda request, body, number: (500, b"internal error"),
        lambda request, body, number: (200, b"<html>not json</html>"),
        lambda request, body, number: (200, b'{"choices": []}'),
        lambda request, body, number: None,  # hangs up without answering
        cut_short,
    ],
    ids=["http-500", "not-json", "no-choices", "hang-up", "cut-short"],
)
def test_a_prompt_that_keeps_failing_is_recorded_and_the_run_goes_on(misbehave):
    def handler(request, body, number):
        return misbehave(request, body, number) if "bad" in body["prompt"] else echo(request, body, number)

    with serve(handler) as (url, seen):
        backend = fast_backend(url, concurrency=1)
        out = generate(backend, ["a good", "a bad", "the good"], stop=["\ndef "])
    assert out == [["good-0"], [""], ["good-0"]]
    assert list(backend.failures) == [1] and "after 3 attempts" in backend.failures[1]
    assert sum("bad" in r["prompt"] for r in seen) == 3  # one try and two retries


def test_a_server_that_never_answers_in_time_times_out():
    gate = threading.Event()

    def slow(request, body, number):
        gate.wait(5)
        return 200, completions("late")

    with serve(slow) as (url, _):
        backend = fast_backend(url, timeout=0.3, retries=1, concurrency=1, max_consecutive_failures=2)
        try:
            with pytest.raises(OpencoderError, match="failed 2 prompts in a row") as err:
                generate(backend, ["one", "two", "three"])
        finally:
            gate.set()
    assert "timed out" in str(err.value)


def test_a_server_that_is_not_there_stops_the_run_with_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    backend = fast_backend(f"http://127.0.0.1:{port}", max_consecutive_failures=3)
    with pytest.raises(OpencoderError, match=rf"server http://127.0.0.1:{port}/v1 failed 3 prompts in a row"):
        generate(backend, [f"p{i}" for i in range(10)])


def test_a_refused_request_stops_at_once():
    def refuse(request, body, number):
        return 404, b'{"error": "model tiny not found"}'

    with serve(refuse) as (url, seen):
        with pytest.raises(OpencoderError, match=r"HTTP 404.*model tiny not found"):
            generate(fast_backend(url, concurrency=1), ["p"])
        assert len(seen) == 1


def test_bad_arguments():
    backend = fast_backend("http://127.0.0.1:9")
    with pytest.raises(ValueError, match="greedy"):
        generate(backend, ["p"], n=2, temperature=0.0)
    with pytest.raises(ValueError):
        generate(backend, ["p"], max_tokens=0)
