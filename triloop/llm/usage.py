"""Token, call and latency accounting per role, so every result can say what it cost."""

from __future__ import annotations

import threading

from pydantic import BaseModel

from triloop.llm.base import Completion


class RoleUsage(BaseModel):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class UsageLedger:
    """Thread-safe running totals; :meth:`snapshot` gives an immutable copy for results."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_role: dict[str, RoleUsage] = {}

    def record(self, completion: Completion) -> None:
        with self._lock:
            usage = self._by_role.setdefault(completion.role, RoleUsage())
            usage.calls += 1
            usage.prompt_tokens += completion.prompt_tokens
            usage.completion_tokens += completion.completion_tokens
            usage.latency_s += completion.latency_s

    def snapshot(self) -> dict[str, RoleUsage]:
        with self._lock:
            return {role: u.model_copy() for role, u in self._by_role.items()}

    def total(self) -> RoleUsage:
        total = RoleUsage()
        for u in self.snapshot().values():
            total.calls += u.calls
            total.prompt_tokens += u.prompt_tokens
            total.completion_tokens += u.completion_tokens
            total.latency_s += u.latency_s
        return total
