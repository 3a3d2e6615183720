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
    feedback = Feedback(wrong_step=1, why="tests failed: double(2) == 3", change="return 2 * x")
    refined = refine_coding(llm, parent, feedback)
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


FAILED_RUN = (
    "exit_code=1\nstdout:\nFAIL line 3: assert double(2) == 4\n  AssertionError\n  double(2) returned 3\n"
    "FAILED: 1 of 2 checks failing"
)


def failing_parent() -> Candidate:
    from triloop.agents.models import Evidence

    return Candidate(
        id="c0",
        steps=["Return x + 1."],
        answer="see code",
        code="def double(x):\n    return x + 1\n",
        evidence=[Evidence(kind="tests", passed=False, detail=FAILED_RUN, share=0.5)],
        failing_evidence=True,
    )


def test_review_feedback_always_cites_the_failing_check():
    from triloop.agents.reviewer import review

    vague = '{"wrong_step": 1, "why": "The list is not sorted.", "change": "sort it"}'
    llm = ScriptedFakeLLM([Rule("reviewer", "targeted feedback", vague)])
    feedback = review(AgentContext(llm=llm), task="Write double(x).", candidate=failing_parent(), others=[])
    assert feedback.why.startswith("The list is not sorted.")
    assert "FAIL line 3: assert double(2) == 4; AssertionError; double(2) returned 3" in feedback.why


def refine_failing_parent(llm: ScriptedFakeLLM) -> Candidate:
    return refine_coding(llm, failing_parent(), Feedback(why="tests fail"))


def refine_coding(llm: ScriptedFakeLLM, parent: Candidate, feedback: Feedback) -> Candidate:
    return refine(
        AgentContext(llm=llm),
        task="Write double(x).",
        candidate=parent,
        feedback=feedback,
        cid="c0.r1",
        round_=1,
        tools={},
        max_tool_calls=0,
        temperature=0.2,
        kind="coding",
    )


def test_a_refinement_that_copies_the_failed_code_is_told_what_still_fails():
    same = "```python\ndef double(x):\n    return x + 1\n```\nFinal answer: see code"
    llm = ScriptedFakeLLM(
        [Rule("refiner", "same as the code that failed", CODE_REPLY), Rule("refiner", "", same)]
    )
    refined = refine_failing_parent(llm)
    assert "return 2 * x" in (refined.code or "") and len(llm.calls) == 2
    assert "double(2) returned 3" in llm.calls[1]["last"]  # the follow-up names the failing check
    changed = ScriptedFakeLLM([Rule("refiner", "", CODE_REPLY)])
    refine_failing_parent(changed)
    assert len(changed.calls) == 1  # new code: no follow-up
