"""A live budget meter shared by one run's parallel agent calls.

The graph also checks budgets between stages (triage), but k candidates drafting in parallel would each
see the same stale totals there and overshoot together. The meter is consulted *before* every model
call instead: a call is reserved under a lock, so the LLM-call budget is never exceeded, a call's
``max_tokens`` is capped at the tokens left, and no call starts after the wall-time deadline. Tokens can
still overshoot by the prompts of calls already in flight (a prompt's size is known only afterwards).
"""

from __future__ import annotations

import threading
import time

from triloop.agents.errors import AgentError


class BudgetExhausted(AgentError):
    """The run's LLM-call, token or wall-time budget is spent: the model call was not made."""


class CallMeter:
    """Counts one run's model calls and tokens across threads; refuses calls once a limit is reached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.tokens = 0
        self.max_calls: int | None = None
        self.max_tokens: int | None = None
        self.deadline: float | None = None  # time.time() after which no call starts

    def sync(
        self,
        *,
        calls: int,
        tokens: int,
        max_calls: int | None,
        max_tokens: int | None,
        deadline: float | None,
    ) -> CallMeter:
        """Adopt the run's current limits and at least the totals its state records (e.g. after resume)."""
        with self._lock:
            self.calls = max(self.calls, calls)
            self.tokens = max(self.tokens, tokens)
            self.max_calls, self.max_tokens, self.deadline = max_calls, max_tokens, deadline
        return self

    def exhausted(self) -> str:
        """Why no further call may start ('' while the budget lasts)."""
        with self._lock:
            return self._why()

    def _why(self) -> str:
        if self.max_calls is not None and self.calls >= self.max_calls:
            return f"LLM calls {self.calls} >= {self.max_calls}"
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return f"tokens {self.tokens} >= {self.max_tokens}"
        if self.deadline is not None and time.time() >= self.deadline:
            return "wall-time budget spent"
        return ""

    def reserve(self) -> int | None:
        """Book one call; returns the tokens left (a cap for ``max_tokens``), or None when unlimited."""
        with self._lock:
            why = self._why()
            if why:
                raise BudgetExhausted(why)
            self.calls += 1
            return None if self.max_tokens is None else self.max_tokens - self.tokens

    def release(self) -> None:
        """Give back a reservation whose call failed (it cost nothing the run's usage counts)."""
        with self._lock:
            self.calls -= 1

    def settle(self, tokens: int) -> None:
        """Add what a finished call cost."""
        with self._lock:
            self.tokens += tokens
