"""Code from a model's reply: one completion, the code taken with ``ast``, one fix request naming the
defect. Shared by drafts and refinements, so both accept and reject code by the same rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triloop.agents.base import AgentContext
from triloop.agents.meter import BudgetExhausted
from triloop.kinds.coding import prompts
from triloop.kinds.coding.extract import extract_code
from triloop.llm.base import Completion, Message, Role

#: A reply ends with its code block: the explanation small models add after it costs time, not quality.
CODE_STOP = ["\n```\n"]
CODE_TOKENS = 768


def code_reply(
    ctx: AgentContext,
    messages: list[Message],
    run: Mapping[str, Any],
    *,
    role: Role,
    purpose: str,
    temperature: float,
) -> tuple[str | None, str]:
    """Code from one reply, with one fix request naming the defect; (code, all reply text)."""
    entry, task = run.get("entry_point"), run["task"]
    reply = ctx.complete(
        messages, role=role, purpose=purpose, temperature=temperature, stop=CODE_STOP, max_tokens=CODE_TOKENS
    )
    found = extract_code(reply.text, entry, task, truncated=reply.finish_reason == "length")
    if found.code is not None or not entry:
        return found.code, reply.text
    fix = prompts.FIX.format(defect=found.defect, entry=entry)
    try:
        again = follow_up(
            ctx, messages, reply.text, fix, role=role, purpose=purpose + ":fix", temperature=temperature
        )
    except BudgetExhausted:
        return None, reply.text
    second = extract_code(again.text, entry, task, truncated=again.finish_reason == "length")
    return second.code, reply.text + "\n\n" + again.text


def follow_up(
    ctx: AgentContext,
    messages: list[Message],
    answer: str,
    request: str,
    *,
    role: Role,
    purpose: str,
    temperature: float,
) -> Completion:
    """One more turn of the same conversation: the model's ``answer``, then the user's ``request``."""
    turn: list[Message] = [
        *messages,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": request},
    ]
    return ctx.complete(
        turn, role=role, purpose=purpose, temperature=temperature, stop=CODE_STOP, max_tokens=CODE_TOKENS
    )
