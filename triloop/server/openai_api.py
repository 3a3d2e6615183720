"""The OpenAI-compatible surface: ``POST /v1/chat/completions`` (streamed or not) and ``GET /v1/models``.

Any OpenAI client or chat UI can use triloop as a model. ``model="triloop"`` routes each message (a
plain answer, or the agent team); ``triloop:direct`` always answers in one call; ``triloop:<strategy>``
always runs the solve graph with that strategy. The answer is the message content; intermediate steps
stream as ``delta.reasoning_content`` (Open WebUI folds it into a collapsible thought), or inside the
content when the request says ``"triloop": {"steps_in_content": true}``. Usage comes in the last chunk,
then ``data: [DONE]``; the run id and its evidence travel in the extra field ``triloop``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from triloop.chat.service import Mode
from triloop.graphs.state import StrategyName

STRATEGIES: tuple[str, ...] = StrategyName.__args__  # type: ignore[attr-defined]
MODELS = ("triloop", "triloop:direct", *(f"triloop:{s}" for s in STRATEGIES))


class APIError(Exception):
    """An error in the OpenAI error shape: ``{"error": {"message", "type", "code"}}``."""

    def __init__(
        self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": None, "code": self.code}}


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # the parts format: keep the text parts
            return "\n".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class TriloopOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps_in_content: bool = False
    thread_id: str | None = None
    kind: Literal["coding", "general"] | None = None  # code delivered, or an answer; default: decided


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # temperature, top_p, ...: the agents choose their own

    model: str
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    triloop: TriloopOptions = TriloopOptions()


def mode_of(model: str) -> tuple[Mode, dict[str, Any]]:
    """The chat mode and solve config a model name asks for."""
    if model not in MODELS:
        raise APIError(
            404, f"unknown model {model!r}; available: {', '.join(MODELS)}", code="model_not_found"
        )
    if model == "triloop":
        return "auto", {}
    variant = model.split(":", 1)[1]
    return ("direct", {}) if variant == "direct" else ("work", {"strategy": variant})


def models_body() -> dict[str, Any]:
    now = int(time.time())
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": now, "owned_by": "triloop"} for m in MODELS],
    }


def step_text(event: dict[str, Any]) -> str | None:
    """One line a person can follow for an agent event, or None for events not worth a line."""
    kind = event.get("type")
    if kind == "route":
        return "Working with the agent team.\n" if event.get("route") == "work" else None
    if kind == "llm_call":
        return f"[{event.get('role', 'agent')}] {event.get('purpose', '')}\n"
    if kind == "tool_call":
        mark = "ok" if event.get("ok") else "failed"
        return f"[tool {event.get('tool')}: {mark}] {str(event.get('output', ''))[:160]}\n"
    if kind == "tests":
        return f"[tester] {len(event.get('tests') or [])} generated tests\n"
    if kind == "score" and event.get("score") is not None:
        return f"[score] {event.get('candidate')}: {event['score']:.2f} ({event.get('status')})\n"
    if kind == "decision":
        return f"[triage] {event.get('decision')} {event.get('stopped_by') or ''} {event.get('reason', '')}\n"
    if kind == "feedback":
        return f"[reviewer] {str(event.get('why', ''))[:200]}\n"
    return None


class CompletionStream:
    """Turns a chat turn's events into OpenAI ``chat.completion.chunk`` SSE lines."""

    def __init__(self, model: str, steps_in_content: bool) -> None:
        self.id = "chatcmpl-" + uuid.uuid4().hex[:16]
        self.model = model
        self.created = int(time.time())
        self.steps_in_content = steps_in_content

    def _chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body, default=str)}\n\n"

    def lines(self, events: Iterator[dict[str, Any]]) -> Iterator[str]:
        yield self._chunk({"role": "assistant", "content": ""})
        streamed_answer = False
        for event in events:
            kind = event.get("type")
            if kind == "token":  # a direct answer, token by token
                streamed_answer = True
                yield self._chunk({"content": event["text"]})
            elif kind in ("answer", "pause", "stopped", "error"):
                message = final_message(event)
                content = "" if streamed_answer and kind == "answer" else message["content"]
                if content:
                    yield self._chunk({"content": content})
                yield self._chunk({}, finish="stop")
                yield self._chunk({}, usage=message["usage"], triloop=message["triloop"])
                break
            elif (line := step_text(event)) is not None:
                key = "content" if self.steps_in_content else "reasoning_content"
                yield self._chunk({key: line})
        yield "data: [DONE]\n\n"


def final_message(event: dict[str, Any]) -> dict[str, Any]:
    """The content, usage and triloop extra field of a turn's last event."""
    kind = event.get("type")
    result = event.get("result") or {}
    used = result.get("usage") or event.get("usage") or {}
    prompt, completion = used.get("prompt_tokens", 0), used.get("completion_tokens", 0)
    if kind == "pause":
        content = f"(paused: {event.get('reason') or 'budget reached'}; answer to continue)"
    elif kind == "stopped":
        content = "(stopped)"
    elif kind == "error":
        content = f"(error: {event.get('message', '')})"
    else:
        content = event.get("content", "")
    return {
        "content": content,
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
        "triloop": {
            "status": kind,
            "run_id": event.get("run_id"),
            "thread_id": event.get("thread_id"),
            "result": result or None,
        },
    }


def completion_body(model: str, event: dict[str, Any]) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` from a turn's last event."""
    message = final_message(event)
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:16],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": message["content"]},
                "finish_reason": "stop",
            }
        ],
        "usage": message["usage"],
        "triloop": message["triloop"],
    }
