"""The synthesis client is never the bottleneck: against a local OpenAI-compatible server that answers every
request after a fixed delay, requests/s should reach >= 90% of concurrency / delay (the ideal). The requests go
through the answer cache (every answer appended to a JSONL file as it arrives), as in `opencoder synth`. Then the
sandbox's validation rate: solution + asserts programs per second, the step that follows generation.

    python benchmarks/synth_client_throughput.py [--concurrency 64] [--delay 1.0] [--requests 1280]

The server runs in its own process so that its threads do not share the client's interpreter lock.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from opencoder.generate import OpenAIBackend, generate
from opencoder.generate.cache import AnswerCache, CachedBackend
from opencoder.sandbox import Sandbox, run_many

SERVER = r"""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
delay = float(sys.argv[1])
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(delay)
        text = "```python\ndef f():\n    return 1\n```\n" + body["messages"][-1]["content"][-20:]
        payload = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
    def log_message(self, *args):
        pass
class Server(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True
server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def client_rate(concurrency: int, delay: float, requests: int) -> tuple[float, float]:
    """Requests per second, and the client's CPU milliseconds per request (what bounds it on a busy machine)."""
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(delay)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            inner = OpenAIBackend(f"http://127.0.0.1:{port}", "bench", chat=True, concurrency=concurrency)
            backend = CachedBackend(inner, AnswerCache(Path(tmp) / "cache.jsonl"), "bench")
            prompts = [f"write function number {i}" for i in range(requests)]
            start, cpu = time.perf_counter(), _cpu_seconds()
            out = generate(backend, prompts, max_tokens=64)
            seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            assert not backend.failures and all(texts[0] for texts in out), backend.failures
            assert len(backend.cache) == requests
            return requests / seconds, 1000 * cpu / requests
    finally:
        server.kill()
        server.wait()


def sandbox_rate(programs: int) -> float:
    source = "def add(a, b):\n    return a + b\n\n" + "\n".join(f"assert add({i}, 1) == {i + 1}" for i in range(10))
    sandbox = Sandbox()
    start = time.perf_counter()
    results = run_many(sandbox, [source] * programs)
    seconds = time.perf_counter() - start
    assert all(r.passed for r in results)
    return programs / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per request (LLMs: seconds)")
    parser.add_argument("--requests", type=int, default=1280)
    parser.add_argument("--programs", type=int, default=40)
    args = parser.parse_args()
    ideal = args.concurrency / args.delay
    rate, cpu_ms = client_rate(args.concurrency, args.delay, args.requests)
    verdict = "meets" if rate >= 0.9 * ideal else "MISSES"
    print(f"client: {rate:.1f} requests/s, ideal concurrency/delay = {ideal:.1f}: ratio {rate / ideal:.3f} "
          f"({verdict} the 0.9 target); client CPU {cpu_ms:.2f} ms/request")  # fmt: skip
    print(f"sandbox: {sandbox_rate(args.programs):.1f} validation programs/s on {os.cpu_count()} cores "
          f"(solution + 10 asserts, one fresh interpreter each)")  # fmt: skip


if __name__ == "__main__":
    main()
