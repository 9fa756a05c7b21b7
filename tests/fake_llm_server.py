"""A real HTTP server on 127.0.0.1 that plays an OpenAI-compatible LLM server in tests, answering (or not) as
a test's handler says. An LLM server itself cannot run within the test budget."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler, dict, int], tuple[int, bytes] | None]


@contextmanager
def serve(handle: Handler) -> Iterator[tuple[str, list[dict]]]:
    """Run `handle(request, body, call_number) -> (status, payload)` behind a threaded server; yields its URL
    and the request bodies it received. Returning None makes the server hang up without an answer."""
    seen: list[dict] = []
    lock = threading.Lock()

    class Server(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                seen.append({"path": self.path, **body})
                number = len(seen)
            answer = handle(self, body, number)
            if answer is None:
                self.close_connection = True
                return
            status, payload = answer
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def completions(*texts: str) -> bytes:
    """A /v1/completions answer with one choice per text."""
    return json.dumps({"choices": [{"index": i, "text": t} for i, t in enumerate(texts)]}).encode()


def chat_completions(*contents: str) -> bytes:
    """A /v1/chat/completions answer with one assistant message per content."""
    choices = [{"index": i, "message": {"role": "assistant", "content": c}} for i, c in enumerate(contents)]
    return json.dumps({"choices": choices}).encode()
