"""A scripted FAKE LLM for deterministic graph-logic tests (never used for end-to-end tests).

It implements the ``LLM`` protocol. Replies come from rules: the first rule whose role matches and
whose ``when`` text occurs in the conversation gives the reply (a string, or a list consumed in order).
Token counts are word counts, so budget accounting is exercised with real numbers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from triloop.agents.parsing import parse_model
from triloop.kinds.coding.prompts import SIGNATURE
from triloop.kinds.decide import DELIVER
from triloop.kinds.general.prompts import PROGRAM, REASON
from triloop.llm.base import Completion, Message


@dataclass
class Rule:
    role: str | None  # None: any role
    when: str | tuple[str, ...]  # substring(s) that must all occur in the conversation ('' matches all)
    reply: str | list[str]
    used: int = 0

    def next_reply(self) -> str:
        if isinstance(self.reply, str):
            return self.reply
        reply = self.reply[min(self.used, len(self.reply) - 1)]
        self.used += 1
        return reply


@dataclass
class ScriptedFakeLLM:
    """Fake LLM driven by :class:`Rule` s; logs every call (optionally to a JSONL file)."""

    rules: list[Rule]
    delay_s: float = 0.0
    log_path: Path | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def complete(
        self,
        messages: list[Message],
        *,
        role: str = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        tools: list[dict] | None = None,  # ignored: this fake answers in text (the JSON action protocol)
        **_: Any,
    ) -> Completion:
        conversation = "\n".join(m["content"] for m in messages)
        for rule in self.rules:
            needles = (rule.when,) if isinstance(rule.when, str) else rule.when
            if (rule.role is None or rule.role == role) and all(n in conversation for n in needles):
                text = rule.next_reply()
                break
        else:
            raise AssertionError(f"FakeLLM has no rule for role={role}: {conversation[-300:]!r}")
        if self.delay_s:
            time.sleep(self.delay_s)
        record = {
            "role": role,
            "last": messages[-1]["content"][:20000],
            "reply": text[:2000],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        self.calls.append(record)
        if self.log_path is not None:
            with self.log_path.open("a") as fh:
                fh.write(json.dumps(record) + "\n")
        return Completion(
            text=text,
            role=role,  # type: ignore[arg-type]
            model="fake",
            prompt_tokens=len(conversation.split()),
            completion_tokens=len(text.split()),
        )

    async def acomplete(self, messages: list[Message], **kwargs: Any) -> Completion:
        return self.complete(messages, **kwargs)

    def structured(self, messages: list[Message], schema: type[BaseModel], **kwargs: Any) -> BaseModel:
        return parse_model(self.complete(messages, **kwargs).text, schema)

    async def astructured(self, messages: list[Message], schema: type[BaseModel], **kwargs: Any) -> BaseModel:
        return self.structured(messages, schema, **kwargs)

    def count(self, role: str, contains: str = "") -> int:
        return sum(1 for c in self.calls if c["role"] == role and contains in c["last"])


def kind_rule(deliver: str = "answer") -> Rule:
    """Intake's one model call on the kind (only when the wording leaves it open): code or an answer."""
    return Rule("solver", DELIVER.splitlines()[0], json.dumps({"deliver": deliver}))


def signature_rule(signature: str) -> Rule:
    """The coding kind's call at intake for the function to write (a code request without a stub)."""
    return Rule("solver", SIGNATURE[:40], json.dumps({"signature": signature}))


def program_rule(code: str | list[str], when: str | tuple[str, ...] = ()) -> Rule:
    """The general kind's program draft (its ```python block runs in the sandbox); a list: one per call."""
    needles = (when,) if isinstance(when, str) else when

    def fenced(text: str) -> str:
        return f"```python\n{text.rstrip()}\n```"

    reply = [fenced(c) for c in code] if isinstance(code, list) else fenced(code)
    return Rule("solver", (PROGRAM[:50], *needles), reply)


def reason_rule(reply: str | list[str], when: str | tuple[str, ...] = ()) -> Rule:
    """The general kind's reasoning draft (numbered steps and a "Final answer:" line)."""
    needles = (when,) if isinstance(when, str) else when
    return Rule("solver", (REASON[:50], *needles), reply)


def scores_rule(when: str, scores: list[float]) -> Rule:
    """Step scores for a solution whose text contains ``when``."""
    return Rule("reviewer", when, json.dumps({"scores": scores}))
