"""A live budget meter shared by one run's parallel agent calls.

The graph also checks budgets between stages (triage), but k candidates drafting in parallel would each
see the same stale totals there and overshoot together. The meter is consulted *before* every model
call instead, under a lock:

* a call is booked, so the LLM-call budget is never exceeded;
* its completion tokens are reserved (the per-call limit, or what is left if less) until it finishes,
  so parallel calls cannot together generate past the token budget, and a call near the end is asked
  for no more than what is left;
* no call starts after the wall-time deadline.

Prompt tokens are known only after a call, so the token budget can still overshoot by the prompts of
calls already in flight.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

from triloop.agents.errors import AgentError

#: Completion tokens reserved for a call with no per-call limit (the default ``llm.max_tokens``).
DEFAULT_CALL_TOKENS = 1024
#: Fewer tokens than this left: the budget is spent (a call that small only produces a cut-off reply).
MIN_CALL_TOKENS = 16


class BudgetExhausted(AgentError):
    """The run's LLM-call, token or wall-time budget is spent: the model call was not made."""


class Grant(NamedTuple):
    """One booked call: the completion tokens reserved for it, and whether the budget cut them."""

    tokens: int
    capped: bool


class CallMeter:
    """Counts one run's model calls and tokens across threads; refuses calls once a limit is reached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.tokens = 0
        self.reserved = 0  # completion tokens granted to calls in flight
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

    def _left(self) -> int | None:
        return None if self.max_tokens is None else self.max_tokens - self.tokens - self.reserved

    def _why(self) -> str:
        if self.max_calls is not None and self.calls >= self.max_calls:
            return f"LLM calls {self.calls} >= {self.max_calls}"
        left = self._left()
        if left is not None and left < MIN_CALL_TOKENS:
            return f"tokens {self.tokens} (+{self.reserved} in flight) of {self.max_tokens} spent"
        if self.deadline is not None and time.time() >= self.deadline:
            return "wall-time budget spent"
        return ""

    def exhausted(self) -> str:
        """Why no further call may start ('' while the budget lasts)."""
        with self._lock:
            return self._why()

    def reserve(self, wanted: int | None) -> Grant:
        """Book one call wanting up to ``wanted`` completion tokens (None: the default); raise when spent."""
        want = wanted or DEFAULT_CALL_TOKENS
        with self._lock:
            why = self._why()
            if why:
                raise BudgetExhausted(why)
            left = self._left()
            grant = want if left is None else min(want, left)
            self.calls += 1
            self.reserved += grant
            return Grant(grant, grant < want)

    def release(self, grant: Grant) -> None:
        """Give back a booking whose call failed (it cost nothing the run's usage counts)."""
        with self._lock:
            self.calls -= 1
            self.reserved -= grant.tokens

    def settle(self, grant: Grant, tokens: int) -> None:
        """A booked call finished: free its reservation and add what it really cost."""
        with self._lock:
            self.reserved -= grant.tokens
            self.tokens += tokens
