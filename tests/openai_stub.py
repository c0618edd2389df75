"""A real OpenAI-compatible HTTP server for tests: deterministic embeddings and scripted titles.

It listens on 127.0.0.1 and a free port in a daemon thread and answers
``POST /v1/embeddings`` (hashed bag of words, as ``app_helpers.fake_embed``) and
``POST /v1/chat/completions`` (``llm_fakes.ScriptedLLM`` JSON). ``fail_next`` makes the next
requests answer HTTP 503 (to test retries); ``status`` forces one HTTP status for all of them.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app_helpers import fake_embed
from llm_fakes import ScriptedLLM


class StubServer:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.fail_next = 0
        self.status: int | None = None
        self.llm = ScriptedLLM()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append((self.path, body, dict(self.headers)))
                if stub.status is not None or stub.fail_next > 0:
                    code = stub.status or 503
                    stub.fail_next = max(0, stub.fail_next - 1)
                    self._send(code, {"error": {"message": f"stub says {code}"}})
                elif self.path == "/v1/embeddings":
                    vectors = fake_embed([str(t) for t in body["input"]])
                    rows = [{"index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
                    self._send(200, {"object": "list", "data": rows[::-1], "model": body["model"]})
                elif self.path == "/v1/chat/completions":
                    text = stub.llm.answer(body["messages"][-1]["content"])
                    message = {"role": "assistant", "content": text}
                    self._send(200, {"choices": [{"message": message, "finish_reason": "stop"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.requests]

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
