"""A fault-injecting OpenAI-compatible HTTP stub on 127.0.0.1, for testing retries and errors.

Each request pops the next scripted behaviour: ``("status", code, headers, body)``, ``("hang", seconds)``
(answer late, so the client times out), ``("ok", text)``, ``("raw", body)`` (a 200 with any body) or
``("tool_calls", [(name, args), ...])`` (a native tool-call answer; ``args`` a dict, or a str sent as is)
or ``("stream", [piece, ...])`` (a streamed answer, one chunk per piece). Every request is logged with its
arrival time so tests can check backoff and bounds. ``GET /health`` answers 200, like llama.cpp's server.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def ok_body(text: str) -> dict:
    return {
        "id": "stub",
        "object": "chat.completion",
        "created": 0,
        "model": "stub",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }


def tool_calls_body(calls: list[tuple[str, dict | str]]) -> dict:
    body = ok_body("")
    body["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for i, (name, args) in enumerate(calls)
        ],
    }
    body["choices"][0]["finish_reason"] = "tool_calls"
    return body


def stream_body(pieces: list[str]) -> bytes:
    """Server-sent events for a streamed answer: one chunk per piece, then the usage, then ``[DONE]``."""
    chunk = {"id": "stub", "object": "chat.completion.chunk", "created": 0, "model": "stub"}
    events = [
        {**chunk, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        for piece in pieces
    ]
    events.append({**chunk, "choices": [], "usage": ok_body("")["usage"]})
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


class FaultServer:
    def __init__(self, script: list[tuple]) -> None:
        self.script = list(script)
        self.requests: list[tuple[float, dict]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._send(200 if self.path == "/health" else 404, {}, b"{}")

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with owner._lock:
                    owner.requests.append((time.monotonic(), body))
                    step = owner.script.pop(0) if owner.script else ("status", 500, {}, {})
                    owner.in_flight += 1
                    owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
                try:
                    self._answer(step)
                finally:
                    with owner._lock:
                        owner.in_flight -= 1

            def _answer(self, step: tuple) -> None:
                kind = step[0]
                if kind == "hang":
                    time.sleep(step[1])
                    step = ("ok", "late")
                    kind = "ok"
                if kind == "ok":
                    self._send(200, {}, json.dumps(ok_body(step[1])).encode())
                elif kind == "tool_calls":
                    self._send(200, {}, json.dumps(tool_calls_body(step[1])).encode())
                elif kind == "stream":
                    self._send(200, {}, stream_body(step[1]), "text/event-stream")
                elif kind == "raw":
                    self._send(200, {}, step[1].encode())
                else:
                    _, code, headers, payload = step
                    self._send(code, headers, json.dumps(payload).encode())

            def _send(self, code: int, headers: dict, data: bytes, ctype: str = "application/json") -> None:
                try:
                    self.send_response(code)
                    self.send_header("content-type", ctype)
                    self.send_header("content-length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
