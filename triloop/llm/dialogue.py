"""A model call as data: a request, and a dialogue (a generator of requests) that sync and async
drivers both feed, so one implementation serves both (see :class:`triloop.llm.client.LLMClient`)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from triloop.errors import LLMBadRequestError
from triloop.llm.base import Completion, Message, Role


@dataclass
class Request:
    """One chat-completions call, as data, so sync and async drivers can both send it."""

    messages: list[Message]
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    response_format: dict | None = None
    tools: list[dict] | None = None


#: A call as a generator: it yields requests, is sent each answer (or the 400 error), returns the result.
Dialogue = Generator[Request, Completion | Exception | None, Any]


@dataclass
class Done:
    value: Any  # what the dialogue returned


def advance(dialogue: Dialogue, answer: Completion | Exception | None) -> Request | Done:
    """Feed ``answer`` to the dialogue (``None`` starts it): its next request, or its result."""
    try:
        return dialogue.send(answer)
    except StopIteration as done:
        return Done(done.value)


def bad_request_as_answer(
    send: Callable[[Request, Role], Completion], request: Request, role: Role
) -> Completion | Exception:
    """``send(request, role)``, with a 400 returned instead of raised (the dialogue decides what it means)."""
    try:
        return send(request, role)
    except LLMBadRequestError as exc:
        return exc
