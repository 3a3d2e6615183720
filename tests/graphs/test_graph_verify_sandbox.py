"""Verification of open answers (the general kind's tool-loop path, ``kinds/general/open_verify.py``) with
the REAL sandbox (docker or bwrap): tests, code runs and recomputation by code."""

from __future__ import annotations

from triloop.agents.models import Candidate
from triloop.graphs.state import StrategyPlan
from triloop.kinds.general.open_verify import verify_candidate

NO_SCORING = StrategyPlan(k=1, step_scoring=False, refine=False, settle="best")
TESTS = "from solution import double\nassert double(4) == 8\n"


def verify(candidate: Candidate, tools, tests: str | None = None) -> Candidate:
    return verify_candidate(None, candidate, task="t", tests=tests, tools=tools, plan=NO_SCORING)  # type: ignore[arg-type]


def test_numeric_answer_is_recomputed_by_running_the_candidates_code(sandbox_tools):
    code = "a, b = 482917, 736251\nprint(a * b)\n"
    right = verify(Candidate(id="r", code=code, answer=str(482917 * 736251)), sandbox_tools)
    wrong = verify(Candidate(id="w", code=code, answer="355548124000"), sandbox_tools)
    broken = verify(Candidate(id="b", code="print(1/0)", answer="3"), sandbox_tools)
    assert right.verified_by_code and not right.failing_evidence
    assert wrong.failing_evidence and "printed" in wrong.evidence[-1].detail
    assert broken.failing_evidence and "ZeroDivisionError" in broken.evidence[-1].detail


def test_code_answer_is_run_against_the_tests(sandbox_tools):
    good = verify(
        Candidate(id="g", code="def double(x):\n    return 2 * x\n", answer="see code"),
        sandbox_tools,
        TESTS,
    )
    bad = verify(
        Candidate(id="b", code="def double(x):\n    return x + 2\n", answer="see code"),
        sandbox_tools,
        TESTS,
    )
    assert good.verified_by_code and [e.kind for e in good.evidence] == ["tests"]
    assert bad.failing_evidence and not bad.verified_by_code
    assert good.components["execution"] == 1.0 and bad.components["execution"] == 0.0


def test_verification_runs_are_reported_to_the_trace(sandbox_tools):
    from triloop.agents.base import AgentContext

    events: list[dict] = []
    ctx = AgentContext(llm=None, emit=events.append)
    cand = Candidate(id="g", code="def double(x):\n    return 2 * x\n", answer="see code")
    verify_candidate(ctx, cand, task="t", tests=TESTS, tools=sandbox_tools, plan=NO_SCORING)
    runs = [e for e in events if e["type"] == "tool_call"]
    assert runs and runs[0]["role"] == "verifier" and runs[0]["tool"] == "run_tests" and runs[0]["ok"]
    assert any(e["type"] == "evidence" and e["candidate"] == "g" for e in events)
