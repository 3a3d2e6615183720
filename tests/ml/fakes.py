"""A scripted FAKE LLM for the ML loop's decision tests (never a stand-in for the real model)."""

from __future__ import annotations

from types import SimpleNamespace


class FakeScriptLLM:
    """A FAKE LLM: replies in order, one per call (the review's JSON, then scripts)."""

    def __init__(self, replies: list[str]) -> None:
        self.replies, self.prompts = list(replies), []

    def complete(self, messages, **_):
        self.prompts.append(messages[-1]["content"])
        return SimpleNamespace(text=self.replies.pop(0), prompt_tokens=10, completion_tokens=5)


def variant(script: str) -> str:
    """Another program that behaves like ``script`` (an unchanged script would be asked for again)."""
    return script + '\nprint("a variant")\n'


def fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}```\n"
