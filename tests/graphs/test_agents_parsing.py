"""Parsing model text and evidence scoring (pure functions, no LLM)."""

from __future__ import annotations

import pytest

from triloop.agents.errors import AgentParseError
from triloop.agents.models import Candidate, Evidence, StepScores, ToolCall
from triloop.agents.parsing import final_answer, parse_action, parse_model, steps_of
from triloop.graphs import scoring


def test_parse_action_from_fenced_json_with_raw_newlines():
    text = 'I will compute.\n```json\n{"tool": "run_python", "args": {"code": "print(1)\nprint(2)"}}\n```'
    action = parse_action(text, {"run_python"})
    assert action is not None and action.tool == "run_python"
    assert action.args["code"] == "print(1)\nprint(2)"


def test_parse_action_reads_the_openai_name_arguments_shape_for_known_tools():
    # what Qwen2.5-Coder-1.5B writes when the embedded server is offered native tools (seen in a real run)
    text = '```json\n{\n  "name": "run_python",\n  "arguments": {\n    "code": "print(482917 * 736251)"\n  }\n}\n```'
    action = parse_action(text, {"run_python"})
    assert action is not None and action.tool == "run_python"
    assert action.args == {"code": "print(482917 * 736251)"}
    assert parse_action('{"name": "Alice", "arguments": {"x": 1}}', {"run_python"}) is None  # not a tool
    as_string = '{"name": "run_python", "arguments": "{\\"code\\": \\"print(2)\\"}"}'  # JSON-encoded args
    assert parse_action(as_string, {"run_python"}).args == {"code": "print(2)"}


def test_bare_python_block_is_a_run_python_action_but_a_final_answer_wins():
    assert parse_action("```python\nprint(6*7)\n```", {"run_python"}).args["code"] == "print(6*7)\n"
    assert parse_action("```python\nprint(6*7)\n```\nFinal answer: 42", {"run_python"}) is None
    assert parse_action("```python\nprint(6*7)\n```", set()) is None


def test_final_answer_and_steps():
    text = "1. Multiply 3 by 4.\n2. Check it.\n   still step two\n**Final answer:** 12"
    assert final_answer(text) == "12"
    assert steps_of(text) == ["Multiply 3 by 4.", "Check it.\nstill step two"]
    assert final_answer("so \\boxed{7}") == "7"
    assert final_answer("no answer here") is None


def test_parse_model_errors_are_named():
    assert parse_model('{"scores": [0.5, 1]}', StepScores).scores == [0.5, 1.0]
    with pytest.raises(AgentParseError, match="StepScores"):
        parse_model("no json at all", StepScores)


def test_recompute_catches_wrong_arithmetic():
    cand = Candidate(id="c0", steps=["123456 × 654321 = 80779853376", "so 2 + 2 = 5"], answer="x")
    results = [(e.step, e.passed) for e in scoring.recompute(cand)]
    assert results == [(1, True), (2, False)]
    assert scoring.safe_eval("__import__('os')") is None
    assert scoring.safe_eval("2 ** 100000") is None


def test_answer_is_checked_against_what_the_code_printed():
    call = ToolCall(tool="run_python", args={"code": "print(3*4)"}, ok=True, output="12\n")
    good = Candidate(id="a", answer="12", tool_calls=[call])
    bad = Candidate(id="b", answer="13", tool_calls=[call])
    assert scoring.answer_vs_tool_output(good).passed is True
    assert scoring.answer_vs_tool_output(bad).passed is False


def test_agreement_counts_one_vote_per_lineage():
    pool = [
        Candidate(id="c0", answer="12"),
        Candidate(id="c0.r1", answer="13", round=1, parent_id="c0"),
        Candidate(id="c1", answer="13"),
    ]
    agree = scoring.agreement(pool)
    assert agree["c0.r1"] == 1.0  # agrees with c1, its own parent does not count
    assert agree["c1"] == 1.0  # c0's lineage is represented by its latest member (13)


def test_failing_evidence_caps_the_score():
    cand = Candidate(id="c", components={"execution": 0.5, "steps": 1.0}, failing_evidence=True)
    assert scoring.combine(cand) <= scoring.FAILING_CAP


def test_failing_tests_score_by_the_share_of_checks_that_passed():
    def failing(share: float | None) -> Candidate:
        evidence = [Evidence(kind="tests", passed=False, share=share)]
        return Candidate(
            id="c",
            evidence=evidence,
            failing_evidence=True,
            components={"execution": scoring.execution_component(evidence), "steps": 0.6},
        )

    assert scoring.execution_component([Evidence(kind="tests", passed=False, share=0.75)]) == 0.75
    assert scoring.execution_component([Evidence(kind="tests", passed=False)]) == 0.0  # not counted
    none, some, most = failing(None), failing(0.25), failing(0.75)
    # still below any clean candidate, but ordered: fixing some asserts is visible progress
    assert scoring.combine(none) < scoring.combine(some) < scoring.combine(most) <= scoring.FAILING_CAP


def test_repl_print_prints_a_trailing_expression_only():
    from triloop.agents.toolloop import repl_print

    assert repl_print("482917 * 736251") == "print(482917 * 736251)"
    assert repl_print("x = 2\nx * 3") == "x = 2\nprint(x * 3)"
    assert repl_print("print(1)") == "print(1)"
    assert repl_print("x = 1") == "x = 1"
    assert repl_print("def f(:") == "def f(:"


def test_final_answer_variants_small_models_write():
    assert final_answer("3. The final answer is: 355548124167") == "355548124167"
    assert final_answer("**Final Answer**: 42") == "42"
    assert final_answer("Final answer = 7") == "7"


def test_truncated_json_reply_is_closed_and_read():
    from triloop.agents.models import Feedback

    cut = '{"wrong_step": null, "why": "the product is wrong", "change": "multiply 482917 by 736251 and'
    assert parse_model(cut, Feedback).why == "the product is wrong"


def test_passing_tests_verify_even_when_the_reviewer_is_doubtful():
    from triloop.agents.models import Evidence

    tested = Candidate(
        id="t",
        evidence=[Evidence(kind="tests", passed=True)],
        verified_by_code=True,
        components={"execution": 1.0, "steps": 0.2},
    )
    recomputed = tested.model_copy(update={"evidence": [Evidence(kind="recompute", passed=True)]})
    assert scoring.is_verified(tested, 0.8)
    assert not scoring.is_verified(recomputed, 0.8)  # arithmetic checks alone need the step scores too


def test_code_block_cut_off_by_max_tokens_is_still_the_code():
    from triloop.agents.parsing import last_code

    assert last_code("Here:\n```python\ndef f(x):\n    return x\n") == "def f(x):\n    return x\n"


def test_answers_that_only_point_at_code_never_agree():
    def coder(cid: str, answer: str = "see code") -> Candidate:
        return Candidate(id=cid, answer=answer, code="def f():\n    return 1\n")

    pool = [coder("c0"), coder("c1", "See the code above."), coder("c2", "42")]
    assert scoring.agreement(pool) == {"c0": 0.0, "c1": 0.0, "c2": 0.0}
    shares = scoring.vote_shares(pool, weighted=False)
    assert max(shares.values()) == pytest.approx(1 / 3)  # three separate votes: nothing looks "easy"
    # a refinement and its parent still form one lineage; a real answer is compared as before
    assert scoring.answer_key(coder("c0.r1")) == scoring.answer_key(coder("c0"))
    assert scoring.answer_key(Candidate(id="c3", answer="See code")) == "see code"  # no code: plain text
