"""A local HTTP stand-in of the OpenAI and Azure OpenAI chat completions API (a real server on port 0).

It speaks the API's shapes: POST /v1/chat/completions and POST /openai/deployments/{deployment}/chat/completions
?api-version=…, answering chat.completion JSON (id, model, choices[0].message.content, finish_reason, usage) or the
API's error bodies (429 with retry-after-ms), slowly when asked; it records every request it was sent.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_KEY = "sk-test-narrative-0123456789"


def completion(content: str, model: str = "gpt-4o-2024-08-06", azure: bool = False) -> dict:
    answer = {"id": "chatcmpl-AbC123", "object": "chat.completion", "created": 1767225600, "model": model,
              "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                           "logprobs": None, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 1210, "completion_tokens": 96, "total_tokens": 1306},
              "system_fingerprint": "fp_5c1bdf9d3d"}
    if azure:
        answer["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": {}}]
    return answer


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        # (status, body or body-from-request, delay), one per request; the last one repeats
        self.answers: list[tuple[int, dict | Callable[[dict], dict], float]] = []
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: StandIn

    def do_POST(self) -> None:  # noqa: N802 - the http.server spelling
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.requests.append({"path": url.path, "query": parse_qs(url.query), "headers": headers,
                                     "raw": raw.decode(), "body": json.loads(raw)})
        status, body, delay = self.server.answers[min(len(self.server.requests), len(self.server.answers)) - 1]
        time.sleep(delay)
        payload = json.dumps(body(self.server.requests[-1]["body"]) if callable(body) else body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-request-id", "req_standin")
            if status == 429:
                self.send_header("retry-after-ms", "10")
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client gave up waiting (the timeout test)

    def log_message(self, *args) -> None:
        pass


def error(status: int, code: str) -> dict:
    return {"error": {"message": f"stand-in {code}", "type": code, "param": None, "code": code}}


@contextmanager
def serving() -> Iterator[StandIn]:
    server = StandIn()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def faithful_answer(request: dict) -> dict:
    """What a model that keeps to its facts answers: readiness and the AWP headline, read from the prompt sent."""
    user = request["messages"][-1]["content"]
    facts = json.loads(user.split("Facts (JSON):\n", 1)[1].split("\n\nPlain version:", 1)[0])
    awp = next(f for f in facts["formulas"] if f["id"] == "awp_discount_guarantee")
    headline = f" The AWP discount guarantee is {awp['status']}, with a shortfall of {awp['figures']['shortfall']}." \
        if awp["figures"] else ""
    return completion(f"Readiness: {facts['readiness']}.{headline}")


