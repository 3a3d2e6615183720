"""The tool loop with native tool calls: calls run, results go back as ``role: "tool"`` messages, and the
SMART rules (budget, repeated call, REPL print) hold as in the JSON action protocol.

Uses a FAKE native-tool LLM (scripted completions, deterministic unit test of the loop logic) and the
FAKE arithmetic tool of test_graph_tools.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from test_graph_tools import ASK, FakeArithmeticTool

from triloop.agents.base import AgentContext
from triloop.agents.prompts import NO_TOOLS_LEFT
from triloop.agents.toolloop import tool_loop
from triloop.llm.base import Completion, Message, NativeToolCall

FINAL = "1. computed with code\nFinal answer: 42"


def native(*calls: tuple[str, dict[str, Any]], prefix: str = "call") -> Completion:
    """A reply that makes native tool calls, ids ``<prefix>_0``, ``<prefix>_1``, ..."""
    return Completion(
        text="",
        tool_calls=[
            NativeToolCall(id=f"{prefix}_{i}", name=name, arguments=args, raw_arguments=json.dumps(args))
            for i, (name, args) in enumerate(calls)
        ],
    )


@dataclass
class FakeNativeToolLLM:
    """FAKE LLM that answers with scripted completions in order (native tool calls or text); it logs the
    messages and keyword arguments of every call."""

    replies: list[Completion]
    seen: list[tuple[list[Message], dict[str, Any]]] = field(default_factory=list)

    def complete(self, messages: list[Message], **kwargs: Any) -> Completion:
        self.seen.append(([dict(m) for m in messages], kwargs))
        return self.replies.pop(0)


def run(replies: list[Completion], max_tool_calls: int = 3):
    llm, tool, events = FakeNativeToolLLM(replies), FakeArithmeticTool(), []
    ctx = AgentContext(llm=llm, emit=events.append)
    messages = [{"role": "user", "content": "What is 6 * 7?"}]
    text, calls = tool_loop(
        ctx,
        messages,
        role="solver",
        tools={"run_python": tool},
        max_tool_calls=max_tool_calls,
        temperature=0.0,
        purpose="solve:c0",
    )
    return text, calls, llm, tool, events, ctx


def test_native_call_runs_and_its_result_goes_back_as_a_tool_message():
    text, calls, llm, tool, events, ctx = run(
        [native(("run_python", {"code": "6 * 7"})), Completion(text=FINAL)]
    )
    assert text == FINAL
    assert tool.calls == ["print(6 * 7)"]  # REPL print applies to native calls too
    assert [(c.tool, c.args, c.ok, c.output) for c in calls] == [
        ("run_python", {"code": "print(6 * 7)"}, True, "42\n")
    ]
    assert [e["type"] for e in events if e["type"] == "tool_call"] == ["tool_call"]
    offered = llm.seen[0][1]["tools"]
    assert [t["function"]["name"] for t in offered] == ["run_python"]
    assert offered[0]["function"]["parameters"]["required"] == ["code"]
    sent, _ = llm.seen[1]
    assert sent[-2] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_0",
                "type": "function",
                "function": {"name": "run_python", "arguments": json.dumps({"code": "6 * 7"})},
            }
        ],
    }
    assert sent[-1]["role"] == "tool" and sent[-1]["tool_call_id"] == "call_0"
    assert "Tool result (run_python, ok):\n42" in sent[-1]["content"]
    assert [c.purpose for c in ctx.calls] == ["solve:c0", "solve:c0"]


def test_every_call_of_a_reply_runs_in_order_and_counts_against_the_budget():
    three = native(*[("run_python", {"code": f"print({n} * 2)"}) for n in (1, 2, 3)])
    text, calls, llm, tool, _, ctx = run([three, Completion(text=FINAL)], max_tool_calls=2)
    assert text == FINAL
    assert tool.calls == ["print(1 * 2)", "print(2 * 2)"]
    assert len(calls) == 2
    sent, kwargs = llm.seen[1]
    replies = sent[-3:]
    assert [m["tool_call_id"] for m in replies] == ["call_0", "call_1", "call_2"]
    assert replies[2]["content"] == NO_TOOLS_LEFT
    assert [c.purpose for c in ctx.calls] == ["solve:c0", "solve:c0:final"]
    assert "tools" in kwargs  # the history holds tool calls: the final call still declares the tools


def test_a_repeated_native_call_is_answered_from_the_first():
    ask = ("run_python", {"code": "print(6 * 7)"})
    replies = [native(ask, prefix="a"), native(ask, prefix="b"), Completion(text=FINAL)]
    text, calls, llm, tool, _, _ = run(replies)
    assert text == FINAL and tool.calls == ["print(6 * 7)"]
    assert len(calls) == 2 and calls[1].output == calls[0].output and calls[1].latency_s == 0.0
    last = llm.seen[2][0][-1]
    assert last["tool_call_id"] == "b_0" and last["content"].startswith("You already made exactly this call")


def test_unreadable_native_arguments_are_a_failed_call_not_a_crash():
    broken = Completion(
        text="",
        tool_calls=[
            NativeToolCall(id="x", name="run_python", raw_arguments="{code", arguments_error="not JSON")
        ],
    )
    text, calls, llm, tool, _, _ = run([broken, Completion(text=FINAL)])
    assert text == FINAL and tool.calls == []
    assert calls[0].ok is False and "bad arguments for run_python: not JSON" in calls[0].output
    assert llm.seen[1][0][-2]["tool_calls"][0]["function"]["arguments"] == "{code"  # sent back as written


def test_a_text_json_action_still_works_when_tools_are_offered():
    text, calls, llm, tool, _, _ = run([Completion(text=ASK), Completion(text=FINAL)])
    assert text == FINAL and tool.calls == ["print(123456 * 654321)"]
    sent = llm.seen[1][0]
    assert sent[-2] == {"role": "assistant", "content": ASK}
    assert sent[-1]["role"] == "user" and "Tool result (run_python, ok)" in sent[-1]["content"]
    assert calls[0].output == "80779853376\n"


def test_without_a_budget_no_tools_are_offered():
    text, calls, llm, _, _, _ = run([native(("run_python", {"code": "1"}))], max_tool_calls=0)
    assert calls == [] and text == ""
    assert "tools" not in llm.seen[0][1]  # a fake LLM without the keyword keeps working


def test_native_calls_after_the_budget_is_spent_are_refused_and_the_model_asked_again():
    first = native(("run_python", {"code": "print(1 * 2)"}))
    stubborn = native(("run_python", {"code": "print(5 * 5)"}), prefix="late")  # the final call, no text
    text, _, llm, tool, _, ctx = run(
        [first, native(("run_python", {"code": "print(2)"}), prefix="b"), stubborn, Completion(text=FINAL)],
        max_tool_calls=1,
    )
    assert text == FINAL and tool.calls == ["print(1 * 2)"]  # nothing ran after the budget
    last_sent = llm.seen[-1][0]
    assert last_sent[-1]["tool_call_id"] == "late_0" and last_sent[-1]["content"] == NO_TOOLS_LEFT
    assert [c.purpose for c in ctx.calls][-2:] == ["solve:c0:final", "solve:c0:final"]
