"""Scripted stand-ins for the model (for logic tests only; scoring always uses the real sandbox)."""

from __future__ import annotations

from typing import Any

from triloop.llm.base import Completion


class AnswerLLM:
    """Answers every completion with the same text and records the messages it was sent."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[dict[str, Any]] = []

    def complete(self, messages: list[dict[str, Any]], **kwargs: Any) -> Completion:
        self.calls.append({"messages": messages, **kwargs})
        return Completion(text=self.text, prompt_tokens=20, completion_tokens=10)


class ScriptedGraph:
    """Stands in for a compiled solve graph: returns ``result`` and records the inputs."""

    def __init__(self, result: dict[str, Any] | Exception, candidates: dict[str, Any] | None = None) -> None:
        self.result = result
        self.candidates = candidates or {}
        self.inputs: list[dict[str, Any]] = []

    def invoke(self, graph_input: dict[str, Any], config: dict[str, Any] | None = None) -> dict[str, Any]:
        self.inputs.append({"input": graph_input, "config": config})
        if isinstance(self.result, Exception):
            raise self.result
        return {"result": self.result, "candidates": self.candidates}
