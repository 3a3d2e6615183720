"""A FAKE OpenAI-compatible endpoint for cluster tests, the fault soak and the throughput benchmark.

Not a model: every reply is a fixed function of the request (same request, same reply, whichever
process or worker sends it), so a batch gives the same results with and without Ray. Plain requests get
a program and a stated answer; ``json_schema`` requests get the smallest object that fits the schema.
It simulates what binds a real endpoint: ``slots`` requests decode at once (the rest queue) and each
reply costs ``latency_per_token_s`` per completion token. With ``faults`` it injects, at the given
rates, 429 with Retry-After, 500, a hang past the client's timeout, a dropped connection and a
truncated body, counting each.

Run it alone: ``python -m tests.sim_endpoint --port 8401 --slots 8 --latency-per-token-ms 5``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel, Field

PROGRAM_REPLY = "```python\nprint(6 * 7)\n```\nThe answer is 42."
FAULTS = ("429", "500", "hang", "drop", "truncate")


class FaultRates(BaseModel):
    """Chance of each fault per request (their sum at most 1)."""

    r429: float = Field(0.0, ge=0, le=1)
    r500: float = Field(0.0, ge=0, le=1)
    hang: float = Field(0.0, ge=0, le=1)
    drop: float = Field(0.0, ge=0, le=1)
    truncate: float = Field(0.0, ge=0, le=1)
    hang_s: float = 5.0
    retry_after_s: int = 1

    def pick(self, rng: random.Random) -> str | None:
        roll = rng.random()
        for name, rate in zip(
            FAULTS, (self.r429, self.r500, self.hang, self.drop, self.truncate), strict=True
        ):
            if roll < rate:
                return name
            roll -= rate
        return None


def fill(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """The smallest value that fits a JSON schema (pydantic's: objects, $ref, anyOf, enums, arrays)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return fill(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fill(options[0], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: fill(sub, defs) for name, sub in props.items()}
    if kind == "array":
        return [fill(schema["items"], defs)] * schema.get("minItems", 0) if "items" in schema else []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1.0, schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    return "42"


def reply_to(body: dict[str, Any]) -> str:
    """The reply text for a chat-completions request body."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return json.dumps(fill(response_format["json_schema"]["schema"]))
    if response_format.get("type") == "json_object":
        return "{}"
    return PROGRAM_REPLY


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class SimEndpoint:
    """The fake endpoint on 127.0.0.1 (a context manager); ``url`` ends in ``/v1``."""

    def __init__(
        self,
        *,
        slots: int = 4,
        latency_per_token_s: float = 0.0,
        faults: FaultRates | None = None,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        self.latency_per_token_s = latency_per_token_s
        self.faults = faults or FaultRates()
        self.counts: Counter[str] = Counter()
        self.decode_s = 0.0  # simulated decoding time of all replies (what the endpoint was busy with)
        self._rng = random.Random(seed)
        self._slots = threading.Semaphore(slots)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                ok = self.path in ("/health", "/v1/models")
                self._send(200 if ok else 404, json.dumps({"data": [{"id": "sim"}]}).encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with owner._lock:
                    fault = owner.faults.pick(owner._rng)
                    owner.counts["requests"] += 1
                    owner.counts[fault or "ok"] += 1
                owner.answer(self, body, fault)

            def _send(
                self, code: int, data: bytes, headers: dict[str, str] | None = None, length: int | None = None
            ) -> None:
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data) if length is None else length))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, handler: Any, body: dict[str, Any], fault: str | None) -> None:
        if fault == "429":
            error = {"error": {"message": "slow down", "type": "rate_limit"}}
            return handler._send(
                429, json.dumps(error).encode(), {"retry-after": str(self.faults.retry_after_s)}
            )
        if fault == "500":
            return handler._send(500, b'{"error": {"message": "internal error"}}')
        if fault == "drop":
            handler.close_connection = True
            handler.connection.close()
            return None
        if fault == "hang":
            time.sleep(self.faults.hang_s)
        text = reply_to(body)
        completion = _tokens(text)
        with self._slots:
            time.sleep(self.latency_per_token_s * completion)
        with self._lock:
            self.decode_s += self.latency_per_token_s * completion
        prompt = sum(_tokens(str(m.get("content") or "")) for m in body.get("messages", []))
        data = json.dumps(
            {
                "id": "sim-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12],
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "sim"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        ).encode()
        if fault == "truncate":
            handler.close_connection = True
            return handler._send(200, data[: len(data) // 2], length=len(data))  # a body cut short
        return handler._send(200, data)

    def __enter__(self) -> SimEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8401)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--latency-per-token-ms", type=float, default=0.0)
    args = parser.parse_args()
    with SimEndpoint(
        slots=args.slots, latency_per_token_s=args.latency_per_token_ms / 1000, port=args.port
    ) as sim:
        print(sim.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
