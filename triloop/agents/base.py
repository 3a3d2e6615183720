"""What every agent shares: a model call that records its cost, and JSON replies with one repair round.

Agents call ``LLM.complete`` (not ``structured``) for JSON replies too, because budgets are counted from
:class:`~triloop.llm.base.Completion` token counts and ``structured`` does not return them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from triloop.agents.errors import AgentParseError
from triloop.agents.meter import CallMeter
from triloop.agents.models import LLMCall
from triloop.agents.parsing import parse_model
from triloop.agents.prompts import REPAIR
from triloop.llm.base import LLM, Completion, Message, Role

ModelT = TypeVar("ModelT", bound=BaseModel)
EventSink = Callable[[dict[str, Any]], None]


def _no_events(event: dict[str, Any]) -> None:
    """Default sink: drop events (used outside a streaming run)."""


class AgentContext(BaseModel):
    """The injected dependencies of one agent invocation, and the ledger of its model calls."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llm: Any  # an LLM (Protocol; pydantic cannot validate it)
    emit: Any = _no_events
    max_tokens: int | None = None
    meter: CallMeter | None = None  # the run's live budget, shared by its parallel calls
    calls: list[LLMCall] = []

    def complete(
        self,
        messages: list[Message],
        *,
        role: Role,
        purpose: str,
        temperature: float | None = None,
        tools: list[dict] | None = None,
        stop: list[str] | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """One model call; its cost goes to :attr:`calls`, the meter and the event sink.

        With a meter, the call is booked first (:class:`BudgetExhausted` when the budget is spent) and
        asks for no more completion tokens than the budget has left. ``max_tokens`` lowers the per-call
        limit for this call; ``stop`` ends the reply early (e.g. after the code block).
        """
        llm: LLM = self.llm
        meter = self.meter
        limit = min(max_tokens, self.max_tokens or max_tokens) if max_tokens else self.max_tokens
        grant = meter.reserve(limit) if meter is not None else None
        max_tokens = grant.tokens if grant is not None and grant.capped else limit
        try:
            extra: dict = (
                {"tools": tools} if tools is not None else {}
            )  # fakes without the kwarg keep working
            if stop is not None:
                extra["stop"] = stop
            completion = llm.complete(
                messages, role=role, temperature=temperature, max_tokens=max_tokens, **extra
            )
        except BaseException:
            if meter is not None and grant is not None:
                meter.release(grant)
            raise
        if meter is not None and grant is not None:
            meter.settle(grant, completion.prompt_tokens + completion.completion_tokens)
        call = LLMCall.of(completion, purpose)
        if not call.role or call.role == "default":
            call.role = role
        self.calls.append(call)
        self.emit({"type": "llm_call", **call.model_dump(), "text": completion.text[:2000]})
        return completion

    def complete_json(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        role: Role,
        purpose: str,
        temperature: float | None = None,
    ) -> ModelT:
        """A reply validated as ``schema``; one repair round, then :class:`AgentParseError`."""
        completion = self.complete(messages, role=role, purpose=purpose, temperature=temperature)
        try:
            return parse_model(completion.text, schema)
        except AgentParseError as exc:
            retry = [
                *messages,
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": REPAIR.format(error=exc)},
            ]
            second = self.complete(retry, role=role, purpose=purpose + ":repair", temperature=0.0)
            return parse_model(second.text, schema)
