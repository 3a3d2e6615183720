"""A scripted FAKE LLM for deterministic refine_doc unit tests (never used for end-to-end tests).

It answers ``structured`` calls from a fixed list of replies (dicts, or exceptions to raise), in order,
and records the prompts it saw.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from triloop.llm.base import Completion


class ScriptedFakeLLM:
    def __init__(self, replies: list[dict[str, Any] | Exception]) -> None:
        self.replies = list(replies)
        self.prompts: list[list[dict[str, str]]] = []

    def _next(self, messages: list[dict[str, str]]) -> dict[str, Any] | Exception:
        self.prompts.append(messages)
        if not self.replies:
            raise AssertionError("ScriptedFakeLLM ran out of replies: refine_doc called the model too often")
        return self.replies.pop(0)

    def complete(self, messages, **kwargs: Any) -> Completion:
        return Completion(text=str(self._next(messages)))

    async def acomplete(self, messages, **kwargs: Any) -> Completion:
        return self.complete(messages, **kwargs)

    def structured(self, messages, schema: type[BaseModel], **kwargs: Any) -> BaseModel:
        reply = self._next(messages)
        if isinstance(reply, Exception):
            raise reply
        return schema.model_validate(reply)

    async def astructured(self, messages, schema: type[BaseModel], **kwargs: Any) -> BaseModel:
        return self.structured(messages, schema, **kwargs)
