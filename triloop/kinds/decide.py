"""Which kind a task is: does the person want code delivered, or an answer?

The order is fixed and cheap first:

1. ``explicit``: a kind the caller named (``triloop solve --kind``, ``triloop code``, the API) wins.
2. ``claim``: a registered kind claims the task by its shape (a ``def`` stub, ``--signature``, tests).
3. ``wording``: a clear request for code ("write a function ...", "fix this code: ```...```"), or a
   message that says nothing about programming at all (a word problem, a date, a fact) - no model call.
4. ``model``: what is left (a question that mentions Python or code) goes to the model, asked the one
   question that matters: code delivered, or an answer? "Use Python to compute X" wants X.
5. ``default``: when the model cannot say, an answer: a person who wanted code can ask for it, while a
   person who wanted a number and got a function is stuck.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import BaseModel

from triloop.agents.base import AgentContext
from triloop.agents.errors import AgentParseError
from triloop.agents.meter import BudgetExhausted
from triloop.kinds import wording
from triloop.kinds.names import TaskKind

DecidedBy = Literal["explicit", "claim", "wording", "model", "default"]


class KindDecision(NamedTuple):
    kind: TaskKind
    by: DecidedBy
    reason: str


class DeliverReply(BaseModel):
    deliver: Literal["code", "answer"]


DELIVER = """Decide what the person wants delivered.
"code": they want source code as the result: a function, script, program, class, query, regex, tests, \
or their code fixed or changed.
"answer": they want a result: a number, a date, a yes/no, a word, an explanation, advice, or a text \
(a poem, story, letter, post, summary, translation), even when its topic is programming. A request to \
compute, count, find or check something wants the result, even when it says to use Python or a program.
Reply with only JSON: {"deliver": "code"} or {"deliver": "answer"}"""


def by_wording(text: str) -> KindDecision | None:
    """The kind the wording alone makes clear (:mod:`.wording`), or None (then the model decides)."""
    found = wording.read(text)
    return None if found is None else KindDecision(found.kind, "wording", found.reason)


def ask_model(ctx: AgentContext, text: str) -> KindDecision:
    """The model alone: code delivered, or an answer? An unreadable reply or a spent budget: an answer."""
    messages = [{"role": "system", "content": DELIVER}, {"role": "user", "content": text[:2000]}]
    try:
        reply = ctx.complete_json(messages, DeliverReply, role="solver", purpose="kind", temperature=0.0)
    except (AgentParseError, BudgetExhausted) as exc:
        return KindDecision("general", "default", f"the model gave no decision ({exc}): an answer")
    if reply.deliver == "code":
        return KindDecision("coding", "model", "the model read it as a request for code")
    return KindDecision("general", "model", "the model read it as a question")


def decide_kind(ctx: AgentContext | None, text: str, *, claimed: str | None = None) -> KindDecision:
    """The kind of ``text``: a kind claimed by the task's shape first, then wording, then the model."""
    if claimed is not None:
        return KindDecision(claimed, "claim", f"the {claimed} kind claims the task")  # type: ignore[arg-type]
    found = by_wording(text)
    if found is not None:
        return found
    if ctx is None:
        return KindDecision("general", "default", "no model to ask: an answer")
    return ask_model(ctx, text)
