"""The JSON action protocol inside the graph: tool results flow back, the per-candidate tool budget holds.

Uses a FAKE scripted LLM and a FAKE arithmetic tool (deterministic unit test of the loop logic; the real
sandbox is exercised in test_graph_e2e.py).

With a ``run_python`` tool, a question with something to compute (digits, quantity words) is drafted by
the general kind as a program and as reasoning (test_graph_general_kind.py); the tool loop serves
the questions with nothing to compute, so the tasks here are worded that way.
"""

from __future__ import annotations

import json

from fake_llm import Rule, ScriptedFakeLLM

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import Budgets, SolveConfig
from triloop.tools.base import ToolResult, ToolSpec

TASK = "What does the tool print for the hidden pair?"  # nothing to compute in its wording: the tool loop
ASK = '```json\n{"tool": "run_python", "args": {"code": "print(123456 * 654321)"}}\n```'


class FakeArithmeticTool:
    """FAKE run_python: evaluates one ``print(<int> * <int>)`` line; records its calls."""

    spec = ToolSpec(name="run_python", signature="run_python(code: str) -> str", purpose="run Python code")

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, code: str) -> ToolResult:
        self.calls.append(code)
        left, right = code.removeprefix("print(").removesuffix(")").split("*")
        return ToolResult(ok=True, output=f"{int(left) * int(right)}\n")


def test_tool_result_flows_back_and_the_answer_is_checked_against_it():
    tool = FakeArithmeticTool()
    llm = ScriptedFakeLLM(
        [
            Rule(
                "solver",
                "Tool result (run_python, ok):\n80779853376",
                "1. computed with code\nFinal answer: 80779853376",
            ),
            Rule("solver", "Task:", ASK),
        ]
    )
    cfg = SolveConfig(strategy="single")
    out = build_solve_graph(llm, tools=[tool], config=cfg).invoke({"task": TASK, "config": cfg.model_dump()})
    result = out["result"]
    assert result["answer"] == "80779853376"
    assert tool.calls == ["print(123456 * 654321)"]
    assert out["usage"]["tool_calls"] == 1
    assert any(e["kind"] == "recompute" and e["passed"] for e in result["evidence"])


def test_per_candidate_tool_budget_is_enforced():
    tool = FakeArithmeticTool()
    llm = ScriptedFakeLLM(
        [
            Rule("solver", "Tools are no longer available", "1. done\nFinal answer: 80779853376"),
            Rule("solver", "Task:", ASK),  # keeps asking for the tool
        ]
    )
    cfg = SolveConfig(strategy="single", max_tool_calls=2)
    out = build_solve_graph(llm, tools=[tool], config=cfg).invoke({"task": "t", "config": cfg.model_dump()})
    assert len(tool.calls) == 1  # the identical second call is answered from the first, not re-run
    assert llm.count("solver", "You already made exactly this call") == 1
    assert len(out["candidates"]["c0"]["tool_calls"]) == 2  # but it still counts against the budget
    assert out["result"]["answer"] == "80779853376"
    assert llm.count("solver", "Tools are no longer available") == 1


def test_unknown_tool_is_failing_evidence_not_a_crash():
    llm = ScriptedFakeLLM(
        [
            Rule("solver", "unknown tool", "1. gave up\nFinal answer: 1"),
            Rule("solver", "Task:", json.dumps({"tool": "rm_rf", "args": {}})),
        ]
    )
    cfg = SolveConfig(strategy="single")
    out = build_solve_graph(llm, tools=[FakeArithmeticTool()], config=cfg).invoke(
        {"task": "t", "config": cfg.model_dump()}
    )
    cand = out["candidates"]["c0"]
    assert cand["tool_calls"][0]["ok"] is False and cand["failing_evidence"] is True


def test_a_copy_of_the_few_shot_call_is_not_run_and_spends_the_budget():
    tool = FakeArithmeticTool()
    copy = (
        '```json\n{"tool": "run_python", "args": {"code": "print(1234 * 5678)"}}\n```'  # the example's call
    )
    llm = ScriptedFakeLLM(
        [
            Rule(
                "solver",
                "Tool result (run_python, ok):\n80779853376",
                "1. computed\nFinal answer: 80779853376",
            ),
            Rule("solver", "worked example", ASK),  # after being told, the model asks for this task's call
            Rule("solver", "Task:\nWhat does the tool print", copy),
        ]
    )
    cfg = SolveConfig(strategy="single", max_tool_calls=2)
    out = build_solve_graph(llm, tools=[tool], config=cfg).invoke({"task": TASK, "config": cfg.model_dump()})
    assert tool.calls == ["print(123456 * 654321)"]  # the copied example call never ran
    assert out["result"]["answer"] == "80779853376"
    assert any("worked example" in c["last"] for c in llm.calls)

    stubborn = ScriptedFakeLLM(
        [
            Rule("solver", "no longer available", "1. gave up\nFinal answer: 0"),
            Rule("solver", "Task:", copy),
        ]
    )
    tool = FakeArithmeticTool()
    build_solve_graph(stubborn, tools=[tool], config=cfg).invoke({"task": TASK, "config": cfg.model_dump()})
    # three copies (the third finds the budget of two spent), then the answer without tools; no intake
    # call (the wording decided the kind)
    assert tool.calls == [] and stubborn.count("solver") == 3 + 1


def test_a_copy_of_the_examples_answer_is_failing_evidence_and_never_easy():
    copied = "1. Computed with run_python: 7006652.\nFinal answer: 7006652"  # the worked example's answer
    llm = ScriptedFakeLLM(
        [
            Rule("reviewer", "Judge each numbered step", '{"scores": [1.0]}'),  # a judge fooled by it
            Rule("solver", "Task:", copied),
        ]
    )
    cfg = SolveConfig(k=2, max_tool_calls=0, budgets=Budgets(max_rounds=0))
    out = build_solve_graph(llm, config=cfg).invoke(
        {"task": "What is 123456 * 654321?", "config": cfg.model_dump()}
    )
    result = out["result"]
    assert result["stopped_by"] != "easy" and result["verified"] is False
    assert any(
        e["kind"] == "answer" and e["passed"] is False and "worked example" in e["detail"]
        for e in result["evidence"]
    )
    legit = build_solve_graph(ScriptedFakeLLM(llm.rules), config=cfg).invoke(
        {"task": "What is 1234 * 5678?", "config": cfg.model_dump()}
    )
    assert not any("worked example" in e["detail"] for e in legit["result"]["evidence"])
