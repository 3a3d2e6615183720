"""The JSON action loop: a model asks for tools in text, we run them and feed results back.

Works on models without native tool calling. Guards against tool overuse (SMART): a per-candidate
tool-call budget; once spent, the model is told to answer without tools.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Mapping

from triloop.agents.base import AgentContext
from triloop.agents.models import ToolCall
from triloop.agents.parsing import parse_action
from triloop.agents.prompts import NO_TOOLS_LEFT, NOTHING_PRINTED, REPEATED_CALL, TOOL_RESULT
from triloop.llm.base import Message, Role
from triloop.tools.base import Tool, ToolResult

MAX_TOOL_OUTPUT = 2000


def repl_print(code: str) -> str:
    """Print the value of a trailing bare expression, as a REPL would (small models forget print)."""
    try:
        tree = ast.parse(code)
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
    names = set(tools) if max_tool_calls > 0 else set()  # no budget: code blocks are answers, not calls
    while True:
        completion = ctx.complete(messages, role=role, purpose=purpose, temperature=temperature)
        action = parse_action(completion.text, names) if names else None
        if action is None:
            return completion.text, calls
        messages.append({"role": "assistant", "content": completion.text})
        if len(calls) >= max_tool_calls:
            messages.append({"role": "user", "content": NO_TOOLS_LEFT})
            final = ctx.complete(messages, role=role, purpose=purpose + ":final", temperature=temperature)
            return final.text, calls
        previous = next((c for c in calls if c.tool == action.tool and c.args == action.args), None)
        if previous is not None:  # SMART: a repeated identical call is answered from the first one
            calls.append(previous.model_copy(update={"latency_s": 0.0}))
            messages.append({"role": "user", "content": REPEATED_CALL.format(output=previous.output)})
            continue
        if action.tool == "run_python" and isinstance(action.args.get("code"), str):
            action.args["code"] = repl_print(action.args["code"])
        result, latency = run_tool(tools, action.tool, action.args)
        output = result.output[:MAX_TOOL_OUTPUT]
        if result.ok and "stdout" in result.data and not str(result.data["stdout"]).strip():
            output += NOTHING_PRINTED
        record = ToolCall(
            tool=action.tool,
            args=action.args,
            ok=result.ok,
            output=output,
            data=result.data,
            latency_s=latency,
        )
        calls.append(record)
        ctx.emit({"type": "tool_call", "role": role, **record.model_dump(exclude={"data"})})
        status = "ok" if result.ok else "failed"
        messages.append(
            {"role": "user", "content": TOOL_RESULT.format(tool=action.tool, status=status, output=output)}
        )
