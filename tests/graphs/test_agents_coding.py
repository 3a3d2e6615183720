"""Coding candidates: a missing code block gets one follow-up turn; the Refiner sees the parent's code.

Driven by the scripted FAKE LLM (deterministic agent logic; the real model is exercised in
test_graph_e2e.py).
"""

from __future__ import annotations

from fake_llm import Rule, ScriptedFakeLLM

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate, Feedback
from triloop.agents.refiner import refine
from triloop.agents.solver import solve

CODE_REPLY = "```python\ndef double(x):\n    return 2 * x\n```\nFinal answer: see code"
NO_CODE = "1. Multiply the input by two.\nFinal answer: see code"


def draft(llm: ScriptedFakeLLM, kind: str = "coding") -> Candidate:
    ctx = AgentContext(llm=llm)
    return solve(
        ctx,
        task="Write double(x).",
        kind=kind,
        plan="",
        context="",
        cid="c0",
        index=0,
        temperature=0.2,
        tools={},
        max_tool_calls=0,
    )


def test_a_coding_answer_without_code_is_asked_once_for_the_code():
    llm = ScriptedFakeLLM([Rule("solver", "has no code block", CODE_REPLY), Rule("solver", "Task:", NO_CODE)])
    cand = draft(llm)
    assert cand.code is not None and "def double" in cand.code
    assert cand.steps == ["Multiply the input by two."]  # the first reply's steps are kept
    assert len(llm.calls) == 2 and "has no code block" in llm.calls[1]["last"]


def test_no_follow_up_when_the_code_is_there_or_the_task_is_not_coding():
    with_code = ScriptedFakeLLM([Rule("solver", "Task:", CODE_REPLY)])
    assert "def double" in (draft(with_code).code or "")
    math = ScriptedFakeLLM([Rule("solver", "Task:", NO_CODE)])
    assert draft(math, kind="math").code is None
    assert len(with_code.calls) == 1 and len(math.calls) == 1


def test_a_follow_up_that_still_has_no_code_leaves_the_candidate_codeless():
    llm = ScriptedFakeLLM([Rule("solver", "Task:", NO_CODE)])
    cand = draft(llm)
    assert cand.code is None and len(llm.calls) == 2  # asked once, not in a loop


def test_the_refiner_of_a_coding_task_sees_the_code_and_is_asked_for_code():
    parent = Candidate(
        id="c0", steps=["Return x + x."], answer="see code", code="def double(x):\n    return x + 1\n"
    )
    llm = ScriptedFakeLLM([Rule("refiner", "You are the Refiner", CODE_REPLY)])
    refined = refine(
        AgentContext(llm=llm),
        task="Write double(x).",
        candidate=parent,
        feedback=Feedback(wrong_step=1, why="tests failed: double(2) == 3", change="return 2 * x"),
        cid="c0.r1",
        round_=1,
        tools={},
        max_tool_calls=0,
        temperature=0.2,
        kind="coding",
    )
    assert "return x + 1" in llm.calls[0]["last"]  # the parent's code is shown, not only its steps
    assert "return 2 * x" in (refined.code or "") and refined.parent_id == "c0"


def test_a_one_off_computation_is_not_taken_as_the_code_of_a_coding_task():
    from triloop.agents.models import ToolCall
    from triloop.agents.solver import candidate_from_text, with_code

    ran = [ToolCall(tool="run_python", args={"code": "print(1234 * 5678)"}, ok=True, output="7006652")]
    cand = candidate_from_text(NO_CODE, cid="c0", tool_calls=ran, temperature=0.2, round_=0, parent=None)
    assert cand.code == "print(1234 * 5678)"  # the fallback: the last code that ran
    llm = ScriptedFakeLLM([Rule("solver", "has no code block", CODE_REPLY)])
    fixed = with_code(AgentContext(llm=llm), [], cand, role="solver", purpose="solve:c0", temperature=0.2)
    assert fixed.code is not None and "def double" in fixed.code and len(llm.calls) == 1
