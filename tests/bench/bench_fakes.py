"""Scripted stand-ins for the model and the graph (for logic tests only; code is always scored in the
real sandbox, answers by the real scorers)."""

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


class OracleLLM:
    """Answers each question from a table in the general kind's format (``Final answer: ...``), or with
    ``fallback`` for questions it does not know; records the messages it was sent."""

    def __init__(self, answers: dict[str, str], fallback: str = "Final answer: 0") -> None:
        self.answers = answers
        self.fallback = fallback
        self.calls: list[dict[str, Any]] = []

    def complete(self, messages: list[dict[str, Any]], **kwargs: Any) -> Completion:
        self.calls.append({"messages": messages, **kwargs})
        question = messages[-1]["content"]
        known = self.answers.get(question)
        text = f"1. Work it out.\nFinal answer: {known}" if known is not None else self.fallback
        return Completion(text=text, prompt_tokens=40, completion_tokens=12)
