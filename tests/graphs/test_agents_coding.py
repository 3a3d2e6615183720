"""Code in the generic Solver and Refiner (the general kind's tool-loop path): a code block in a reply is
the candidate's code, the Refiner sees the parent's code, the Reviewer cites the failing check.

Code requests themselves are drafted and refined by the coding kind (kinds/coding, tests/kinds); the
Solver's and Refiner's old coding branches (a follow-up turn for a missing code block or for code copied
unchanged) were removed with it. Driven by the scripted FAKE LLM (deterministic agent logic; the real
model is exercised in test_graph_e2e.py).
"""

from __future__ import annotations

from fake_llm import Rule, ScriptedFakeLLM

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate, Feedback
from triloop.agents.refiner import refine
from triloop.agents.solver import solve

CODE_REPLY = "```python\ndef double(x):\n    return 2 * x\n```\nFinal answer: see code"
NO_CODE = "1. Multiply the input by two.\nFinal answer: see code"


def draft(llm: ScriptedFakeLLM) -> Candidate:
    ctx = AgentContext(llm=llm)
    return solve(
        ctx,
        task="Write double(x).",
        plan="",
        context="",
        cid="c0",
        index=0,
        temperature=0.2,
        tools={},
        max_tool_calls=0,
    )


def test_the_solver_keeps_the_code_it_wrote_in_one_call_and_asks_no_follow_up():
    with_code = ScriptedFakeLLM([Rule("solver", "Task:", CODE_REPLY)])
    assert "def double" in (draft(with_code).code or "")
    without = ScriptedFakeLLM([Rule("solver", "Task:", NO_CODE)])
    cand = draft(without)
    assert cand.code is None and cand.steps == ["Multiply the input by two."]
    assert len(with_code.calls) == 1 and len(without.calls) == 1


def test_the_refiner_sees_the_parents_code_and_its_reply_brings_new_code():
    parent = Candidate(
        id="c0", steps=["Return x + x."], answer="see code", code="def double(x):\n    return x + 1\n"
    )
    llm = ScriptedFakeLLM([Rule("refiner", "You are the Refiner", CODE_REPLY)])
    feedback = Feedback(wrong_step=1, why="tests failed: double(2) == 3", change="return 2 * x")
    refined = refine_with(llm, parent, feedback)
    assert "return x + 1" in llm.calls[0]["last"]  # the parent's code is shown, not only its steps
    assert "return 2 * x" in (refined.code or "") and refined.parent_id == "c0"
    assert len(llm.calls) == 1


def test_a_refinement_pointing_at_code_it_did_not_write_keeps_the_parents_code():
    parent = Candidate(
        id="c0", steps=["Return 2x."], answer="see code", code="def double(x):\n    return 2 * x\n"
    )
    llm = ScriptedFakeLLM([Rule("refiner", "You are the Refiner", "1. It is right.\nFinal answer: see code")])
    refined = refine_with(llm, parent, Feedback(why="check it"))
    assert refined.code == parent.code and refined.parent_id == "c0"


def test_the_last_code_that_ran_stands_in_for_a_missing_code_block():
    from triloop.agents.models import ToolCall
    from triloop.agents.solver import candidate_from_text

    ran = [ToolCall(tool="run_python", args={"code": "print(1234 * 5678)"}, ok=True, output="7006652")]
    cand = candidate_from_text(NO_CODE, cid="c0", tool_calls=ran, temperature=0.2, round_=0, parent=None)
    assert cand.code == "print(1234 * 5678)"  # the fallback: the last code that ran


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


def refine_with(llm: ScriptedFakeLLM, parent: Candidate, feedback: Feedback) -> Candidate:
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
    )
