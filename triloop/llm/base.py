"""The model interface every agent depends on.

Agents take an :class:`LLM` (injected), never a concrete client, so tests can pass a scripted fake and
users can pass any OpenAI-compatible endpoint. Messages are plain OpenAI-style dicts, including the
assistant-with-``tool_calls`` and ``role: "tool"`` messages of native tool calling. ``tools`` (OpenAI
function-tool schemas) is a request, not a promise: an endpoint without native tool calls answers in text.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

Role = Literal["default", "solver", "reviewer", "refiner"]
Message = dict[str, Any]  # {"role": "system"|"user"|"assistant"|"tool", "content": "...", ...}
SchemaT = TypeVar("SchemaT", bound=BaseModel)


class NativeToolCall(BaseModel):
    """One tool call the model made through the endpoint's native tool calling.

    ``arguments`` is the parsed JSON object; when the model's arguments are not a JSON object,
    ``arguments`` is empty and ``arguments_error`` says why. ``raw_arguments`` is always the text as sent
    (what goes back into the conversation).
    """

    id: str
    name: str
    arguments: dict[str, Any] = {}
    raw_arguments: str = ""
    arguments_error: str | None = None


class Completion(BaseModel):
    """One model answer with its cost; ``tool_calls`` holds native tool calls (then ``text`` is often empty)."""

    text: str
    role: Role = "default"
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    finish_reason: str | None = None
    tool_calls: list[NativeToolCall] = []


@runtime_checkable
class LLM(Protocol):
    """What agents need from a model: free text and schema-validated structured output."""

    def complete(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> Completion: ...

    async def acomplete(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> Completion: ...

    def structured(
        self,
        messages: list[Message],
        schema: type[SchemaT],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> SchemaT: ...

    async def astructured(
        self,
        messages: list[Message],
        schema: type[SchemaT],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> SchemaT: ...
