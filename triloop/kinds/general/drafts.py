"""Drafting answers two independent ways, and refining them.

A *program* draft is a short Python program that prints the answer (program-aided reasoning); it runs in
the sandbox and what it prints is the candidate's answer. A *reasoning* draft reasons in numbered steps
and states its answer; arithmetic it writes out (``a * b = c``) is recomputed. The two fail in
different ways (a misread question vs a slipped digit), so when they agree the answer is well supported.
Code travels in fenced blocks, never inside JSON: small models break JSON escaping.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate, Feedback, ToolCall
from triloop.agents.parsing import last_code, steps_of
from triloop.agents.toolloop import repl_print, run_tool
from triloop.kinds.general import prompts
from triloop.kinds.general.answers import display, reply_answer
from triloop.kinds.general.written import WrittenArithmetic, exact_program
from triloop.llm.base import Message, Role
from triloop.tools.base import Tool

#: Program output beyond this many characters is not an answer (a program that dumps a table).
MAX_ANSWER_CHARS = 200
PROGRAM_TIMEOUT_S = 20


def _with_context(messages: list[Message], context: str) -> list[Message]:
    if context:  # what memory holds on similar tasks (off in benchmarks)
        messages[-1] = {
            **messages[-1],
            "content": messages[-1]["content"] + "\n\nFrom memory (may help):\n" + context,
        }
    return messages


def printed_answer(stdout: str) -> str:
    """The answer a program printed: its last non-empty line (earlier lines are working); a float's
    binary noise is rounded away (``100 - 48.15`` prints ``51.849999999999994``: the answer is 51.85)."""
    lines = [line.strip() for line in stdout.strip().splitlines() if line.strip()]
    last = _unwrapped(lines[-1][:MAX_ANSWER_CHARS]) if lines else ""
    if re.fullmatch(r"-?\d+\.\d{10,}", last):
        last = f"{float(last):.12g}"
    return last


_NOT_A_LITERAL = object()


def _literal(text: str) -> Any:
    """The Python literal ``text`` writes (a program's printed list, dict, ...), else ``_NOT_A_LITERAL``."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return _NOT_A_LITERAL


def _unwrapped(line: str) -> str:
    """A value a program wrapped: ``{'answer': 42}``, ``[42]`` or ``(42,)`` is 42 (a list of several
    values stays as printed)."""
    if not line.startswith(("{", "[", "(")):
        return line
    value = _literal(line)
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    elif isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    else:
        return line
    return line if isinstance(value, dict | list | tuple | set) else str(value)


_SEPARATED = re.compile(
    r"separated by (?:an? |the )?(×|x|\*|commas?|spaces?|semicolons?)(?!\w)", re.IGNORECASE
)
_SEPARATORS = {"×": " × ", "x": " x ", "*": " * ", "comma": ", ", "space": " ", "semicolon": "; "}


def as_asked(answer: str, question: str) -> str:
    """A list a program printed, written the way the question asks ("Write the factors separated by ×":
    ``[2, 2, 3]`` is ``2 × 2 × 3``); any other answer as it is."""
    match = _SEPARATED.search(question)
    if match is None or not answer.startswith(("[", "(")):
        return answer
    value = _literal(answer)
    if not isinstance(value, list | tuple) or not all(isinstance(v, int | float | str) for v in value):
        return answer
    return _SEPARATORS[match[1].lower().rstrip("s")].join(str(v) for v in value)


def run_program(tools: Mapping[str, Tool], code: str, ctx: AgentContext | None = None) -> ToolCall:
    """Run ``code`` in the sandbox (a trailing bare expression is printed, as a REPL would); the call
    goes to the run's trace like an agent's tool call."""
    result, latency = run_tool(tools, "run_python", {"code": repl_print(code), "timeout": PROGRAM_TIMEOUT_S})
    data = {"stdout": str(result.data.get("stdout", ""))} if result.data else {}
    call = ToolCall(
        tool="run_python",
        args={"code": code},
        ok=result.ok,
        output=result.output[:1500],
        data=data,
        latency_s=latency,
    )
    if ctx is not None:
        ctx.emit({"type": "tool_call", "role": "solver", **call.model_dump(exclude={"data"})})
    return call


class Origin(BaseModel):
    """Where a candidate comes from: its id, the call that makes it, and the candidate it refines."""

    cid: str
    temperature: float
    purpose: str
    parent: str | None = None
    round: int = 0
    role: Role = "solver"

    def candidate(self, **fields: Any) -> Candidate:
        return Candidate(
            id=self.cid, parent_id=self.parent, round=self.round, temperature=self.temperature, **fields
        )


def program_candidate(
    ctx: AgentContext, tools: Mapping[str, Tool], messages: list[Message], origin: Origin
) -> Candidate:
    """Ask for a program, run it; one fix turn when it fails or prints nothing. A reply in words ("Only
    reply with the final value", the question said) is asked once for the program; a second reply in
    words makes the first a reasoning draft."""
    role, purpose, temperature = origin.role, origin.purpose, origin.temperature
    reply = ctx.complete(messages, role=role, purpose=purpose, temperature=temperature)
    code, raw = last_code(reply.text), reply.text
    if code is None and reply.text.strip():
        messages = _follow_up(messages, reply.text, prompts.PROGRAM_MISSING)
        second = ctx.complete(messages, role=role, purpose=purpose + ":program", temperature=temperature)
        code = last_code(second.text)
        if code is None:
            return _reasoning_of(reply.text, origin)
        reply, raw = second, raw + "\n\n" + second.text
    calls: list[ToolCall] = []
    if code is not None:
        calls.append(run_program(tools, code, ctx))
        answer = printed_answer(calls[-1].data.get("stdout", "")) if calls[-1].ok else ""
        if not answer:
            problem = (
                prompts.PROGRAM_FAILED.format(error=calls[-1].output[-600:])
                if not calls[-1].ok
                else prompts.PROGRAM_SILENT
            )
            retry = _follow_up(messages, reply.text, problem)
            second = ctx.complete(retry, role=role, purpose=purpose + ":fix", temperature=temperature)
            fixed = last_code(second.text)
            if fixed is not None:
                code, raw = fixed, raw + "\n\n" + second.text
                calls.append(run_program(tools, code, ctx))
    return _program_of(code, calls, raw, origin)


def _follow_up(messages: list[Message], reply: str, ask: str) -> list[Message]:
    """The conversation so far, the model's reply, and what it is asked next."""
    return [*messages, {"role": "assistant", "content": reply}, {"role": "user", "content": ask}]


def written_program_candidate(
    ctx: AgentContext, tools: Mapping[str, Tool], written: WrittenArithmetic, origin: Origin
) -> Candidate:
    """The question's own arithmetic as the program (no model call): a model copying a long expression
    drops operands, and one told the exact value in a review still rewrote it (-12.000 for -12.58250784
    in a bench trace), so the expression is copied by code and run in the sandbox like any program."""
    code = exact_program(written.expr)
    calls = [run_program(tools, code, ctx)]
    return _program_of(code, calls, "", origin)


def _program_of(code: str | None, calls: list[ToolCall], raw: str, origin: Origin) -> Candidate:
    last = calls[-1] if calls else None
    answer = printed_answer(last.data.get("stdout", "")) if last is not None and last.ok else ""
    return origin.candidate(
        method="program",
        steps=[f"Computed by a program:\n```python\n{(code or '').strip()}\n```"] if code else [],
        answer=answer,
        stated_answer=bool(answer),
        code=code,
        raw=raw,
        tool_calls=calls,
    )


def reasoning_candidate(ctx: AgentContext, messages: list[Message], origin: Origin) -> Candidate:
    """Ask for numbered steps and a final answer."""
    reply = ctx.complete(messages, role=origin.role, purpose=origin.purpose, temperature=origin.temperature)
    return _reasoning_of(reply.text, origin)


def _reasoning_of(text: str, origin: Origin) -> Candidate:
    answer, stated = reply_answer(text)
    return origin.candidate(
        method="reasoning", steps=steps_of(text), answer=answer, stated_answer=stated, raw=text
    )


def draft(
    ctx: AgentContext,
    tools: Mapping[str, Tool],
    run: Mapping[str, Any],
    *,
    method: str,
    cid: str,
    temperature: float,
) -> Candidate:
    question, context = run["task"], run.get("context", "")
    origin = Origin(cid=cid, temperature=temperature, purpose=f"solve:{cid}")
    if method == "program":
        return program_candidate(
            ctx, tools, _with_context(prompts.program_messages(question), context), origin
        )
    return reasoning_candidate(ctx, _with_context(prompts.reason_messages(question), context), origin)


def render(candidate: Candidate) -> str:
    """A candidate as the Reviewer reads it."""
    if candidate.method == "program":
        return (
            f"```python\n{(candidate.code or '').strip()}\n```\nIt printed: {candidate.answer or '(nothing)'}"
        )
    steps = "\n".join(f"{i}. {s}" for i, s in enumerate(candidate.steps, 1))
    return f"{steps}\nFinal answer: {display(candidate.answer)}"


def refine(
    ctx: AgentContext,
    tools: Mapping[str, Tool],
    target: Candidate,
    feedback: Feedback,
    run: Mapping[str, Any],
    *,
    cid: str,
    round_: int,
    temperature: float,
    role: Role = "refiner",
) -> Candidate:
    """The same method again, told what the review found (asked of ``role``: the strategy's refiner)."""
    advice = " ".join(part for part in (feedback.why, feedback.change) if part) or "check every step"
    origin = Origin(
        cid=cid, temperature=temperature, purpose=f"refine:{cid}", parent=target.id, round=round_, role=role
    )
    if target.method == "program":
        text = prompts.REFINE_PROGRAM.format(
            question=run["task"],
            code=target.code or "",
            printed=target.answer or "(nothing)",
            feedback=advice,
        )
        messages: list[Message] = [{"role": "user", "content": text}]
        return program_candidate(ctx, tools, messages, origin)
    text = prompts.REFINE_REASON.format(question=run["task"], solution=render(target), feedback=advice)
    return reasoning_candidate(ctx, [{"role": "user", "content": text}], origin)
