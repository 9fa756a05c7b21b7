"""The answer cache in front of the HTTP backend: an answer is asked for once, kept the moment it arrives,
and a failed prompt is asked again later."""

from __future__ import annotations

from fake_llm_server import chat_completions, serve

from opencoder.generate import OpenAIBackend, generate
from opencoder.generate.cache import AnswerCache, CachedBackend


def backend(url: str, cache_path, **kwargs) -> CachedBackend:
    inner = OpenAIBackend(url, "tiny", chat=True, timeout=2.0, retries=1, backoff=0.01, concurrency=4, **kwargs)
    return CachedBackend(inner, AnswerCache(cache_path), "tiny")


def echo(request, body, number):
    return 200, chat_completions(*[f"{body['messages'][-1]['content']}#{number}"] * body["n"])


def test_each_answer_is_paid_once_and_survives_a_new_process(tmp_path):
    with serve(echo) as (url, seen):
        first = backend(url, tmp_path / "cache.jsonl")
        out = generate(first, ["a", "b", "c"], max_tokens=16)
        assert sorted(len(r["messages"]) for r in seen) == [1, 1, 1]
        first.cache.close()
        again = backend(url, tmp_path / "cache.jsonl")  # a new run reads the file
        assert generate(again, ["c", "a", "b", "d"], max_tokens=16)[:3] == [out[2], out[0], out[1]]
        assert len(seen) == 4 and seen[-1]["messages"][0]["content"] == "d"
        assert (again.hits, again.misses) == (3, 1)
        # any change to the request is another request: parameters, sample count, chat flag
        generate(again, ["a"], max_tokens=17)
        generate(again, ["a"], n=2, temperature=0.5, max_tokens=16)
        assert len(seen) == 6


def test_failed_prompts_are_not_cached_and_a_torn_line_is_skipped(tmp_path):
    def down_for_b(request, body, number):
        return (503, b"{}") if body["messages"][0]["content"] == "b" else echo(request, body, number)

    path = tmp_path / "cache.jsonl"
    with serve(down_for_b) as (url, seen):
        first = backend(url, path)
        out = generate(first, ["a", "b"], max_tokens=16)
        assert out[1] == [""] and 1 in first.failures
        first.cache.close()
    with path.open("ab") as fh:
        fh.write(b'{"key": "torn')  # a run killed while writing
    with serve(echo) as (url, seen):
        again = backend(url, path)
        assert generate(again, ["a", "b"], max_tokens=16) == [out[0], ["b#1"]]
        assert [r["messages"][0]["content"] for r in seen] == ["b"]
        again.cache.close()
    assert len(AnswerCache(path)) == 2
