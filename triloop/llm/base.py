"""The model interface every agent depends on.

Agents take an :class:`LLM` (injected), never a concrete client, so tests can pass a scripted fake and
users can pass any OpenAI-compatible endpoint. Messages are plain OpenAI-style dicts.
"""

from __future__ import annotations

from typing import Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

Role = Literal["default", "solver", "reviewer", "refiner"]
Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}
SchemaT = TypeVar("SchemaT", bound=BaseModel)


class Completion(BaseModel):
    """One model answer with its cost."""

    text: str
    role: Role = "default"
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    finish_reason: str | None = None


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
    ) -> Completion: ...

    async def acomplete(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
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
