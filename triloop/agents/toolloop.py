"""The tool loop: a model asks for tools, we run them and feed results back.

Each call offers the tools natively (OpenAI ``tools`` schemas); an answer with native ``tool_calls`` is
answered with ``role: "tool"`` messages. Otherwise the answer is read with the JSON action protocol
(a fenced ``{"tool": ..., "args": ...}`` block, results as user messages), which works on models
without native tool calling. Both paths run and record calls the same way and guard against tool
overuse (SMART): a per-candidate tool-call budget (once spent, the model is told to answer without
tools) and a repeated identical call answered from the first one.
"""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from triloop import syntax
from triloop.agents.base import AgentContext
from triloop.agents.models import ToolCall
from triloop.agents.parsing import parse_action
from triloop.agents.prompts import EXAMPLE_CALL, NO_TOOLS_LEFT, NOTHING_PRINTED, REPEATED_CALL, TOOL_RESULT
from triloop.llm.base import Completion, Message, Role
from triloop.tools.base import Tool, ToolResult

MAX_TOOL_OUTPUT = 2000


def repl_print(code: str) -> str:
    """Print the value of a trailing bare expression, as a REPL would (small models forget print)."""
    try:
        tree = syntax.parse(code)
    except SyntaxError:
        return code
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return code
    last = tree.body[-1]
    if isinstance(last.value, ast.Call) and getattr(last.value.func, "id", None) == "print":
        return code
    lines = code.splitlines()
    start, end = last.lineno - 1, (last.end_lineno or last.lineno)
    expr = "\n".join(lines[start:end])
    if last.col_offset or "\n" in expr:
        return code
    return "\n".join([*lines[:start], f"print({expr.strip()})", *lines[end:]])


def run_tool(tools: Mapping[str, Tool], name: str, args: dict) -> tuple[ToolResult, float]:
    """Call one tool; an unknown tool or a raising tool becomes a failed result, never a crash."""
    start = time.perf_counter()
    tool = tools.get(name)
    if tool is None:
        result = ToolResult(ok=False, output=f"unknown tool {name!r}; available: {', '.join(sorted(tools))}")
    else:
        try:
            result = tool(**args)
        except TypeError as exc:
            result = ToolResult(ok=False, output=f"bad arguments for {name}: {exc}")
        except Exception as exc:  # a tool failure is evidence for the scorer, not a crash of the run
            result = ToolResult(ok=False, output=f"{type(exc).__name__}: {exc}")
    return result, time.perf_counter() - start


@dataclass
class _Request:
    """One tool call the model asked for: natively (``call_id`` set) or as a JSON action in its text."""

    tool: str
    args: dict[str, Any]
    call_id: str | None = None
    error: str | None = None  # why the native arguments could not be read


def _requests(completion: Completion, names: set[str]) -> tuple[list[_Request], Message | None]:
    """The calls a reply asks for and the assistant message that records it (``[]``: a final answer)."""
    if not names:  # no budget: code blocks are answers, not calls
        return [], None
    if completion.tool_calls:
        native = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.raw_arguments or json.dumps(call.arguments),
                },
            }
            for call in completion.tool_calls
        ]
        requests = [_Request(c.name, c.arguments, c.id, c.arguments_error) for c in completion.tool_calls]
        return requests, {"role": "assistant", "content": completion.text, "tool_calls": native}
    action = parse_action(completion.text, names)
    if action is None:
        return [], None
    return [_Request(action.tool, action.args)], {"role": "assistant", "content": completion.text}


def _reply(request: _Request, content: str) -> Message:
    """Feedback on one call: a tool message for a native call, else a user message."""
    if request.call_id is None:
        return {"role": "user", "content": content}
    return {"role": "tool", "tool_call_id": request.call_id, "content": content}


def _run_call(
    ctx: AgentContext, tools: Mapping[str, Tool], calls: list[ToolCall], request: _Request, role: Role
) -> str:
    """Run one call (a repeat is answered from the first), record it in ``calls``; the feedback text."""
    args = request.args
    if request.tool == "run_python" and isinstance(args.get("code"), str):
        args["code"] = repl_print(args["code"])
    previous = next((c for c in calls if c.tool == request.tool and c.args == args), None)
    if previous is not None:  # SMART: a repeated identical call is answered from the first one
        calls.append(previous.model_copy(update={"latency_s": 0.0}))
        return REPEATED_CALL.format(output=previous.output)
    if request.error is not None:
        result, latency = (
            ToolResult(ok=False, output=f"bad arguments for {request.tool}: {request.error}"),
            0.0,
        )
    else:
        result, latency = run_tool(tools, request.tool, args)
    output = result.output[:MAX_TOOL_OUTPUT]
    if result.ok and "stdout" in result.data and not str(result.data["stdout"]).strip():
        output += NOTHING_PRINTED
    record = ToolCall(
        tool=request.tool, args=args, ok=result.ok, output=output, data=result.data, latency_s=latency
    )
    calls.append(record)
    ctx.emit({"type": "tool_call", "role": role, **record.model_dump(exclude={"data"})})
    status = "ok" if result.ok else "failed"
    return TOOL_RESULT.format(tool=request.tool, status=status, output=output)


def example_calls(messages: list[Message], names: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls shown in the conversation before the loop starts (few-shot examples)."""
    shown = []
    for message in messages:
        if message.get("role") == "assistant" and isinstance(message.get("content"), str):
            action = parse_action(message["content"], names)
            if action is not None:
                shown.append((action.tool, action.args))
    return shown


def tool_loop(
    ctx: AgentContext,
    messages: list[Message],
    *,
    role: Role,
    tools: Mapping[str, Tool],
    max_tool_calls: int,
    temperature: float | None,
    purpose: str,
) -> tuple[str, list[ToolCall]]:
    """Run the model until it answers; returns the final text and the tool calls made."""
    messages = list(messages)
    calls: list[ToolCall] = []
    names = set(tools) if max_tool_calls > 0 else set()
    schemas = [tools[name].spec.openai_schema() for name in sorted(names)] or None
    examples = example_calls(messages, names)
    copied = 0  # calls that only repeated an example: not run, but they spend the budget
    while True:
        completion = ctx.complete(
            messages, role=role, purpose=purpose, temperature=temperature, tools=schemas
        )
        requests, asked = _requests(completion, names)
        if asked is None:
            return completion.text, calls
        messages.append(asked)
        spent = False
        for request in requests:  # in order; each counts against the budget
            spent = spent or len(calls) + copied >= max_tool_calls
            if spent:
                feedback = NO_TOOLS_LEFT
            elif (request.tool, request.args) in examples:  # small models copy the few-shot call verbatim
                copied += 1
                feedback = EXAMPLE_CALL
            else:
                feedback = _run_call(ctx, tools, calls, request, role)
            messages.append(_reply(request, feedback))
        if spent:
            return _final_answer(ctx, messages, role, purpose, temperature, schemas), calls


def _final_answer(
    ctx: AgentContext,
    messages: list[Message],
    role: Role,
    purpose: str,
    temperature: float | None,
    schemas: list[dict] | None,
) -> str:
    """The answer after the tool budget is spent. The tools stay declared (the history holds tool calls,
    which some endpoints reject otherwise), so a model may still reply with only native calls: those
    are refused once more and the model asked again, once."""
    final = ctx.complete(
        messages, role=role, purpose=purpose + ":final", temperature=temperature, tools=schemas
    )
    if not final.tool_calls or final.text.strip():
        return final.text
    requests, asked = _requests(final, {c.name for c in final.tool_calls})
    messages = [*messages, asked, *(_reply(r, NO_TOOLS_LEFT) for r in requests)]
    again = ctx.complete(
        messages, role=role, purpose=purpose + ":final", temperature=temperature, tools=schemas
    )
    return again.text
