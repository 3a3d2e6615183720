"""The general kind answering with values: a program (run in the REAL sandbox) and reasoning, drafted
independently. Two that agree settle the question in two model calls; drafts that disagree get the
third draft, then a review and a refinement.

The model is the scripted FAKE LLM (fake_llm.py); the programs it "writes" run in the REAL sandbox
(docker, else bwrap; the ``sandbox_tools`` fixture).
"""

from __future__ import annotations

import json

import pytest
from fake_llm import Rule, ScriptedFakeLLM, program_rule, reason_rule

from triloop.agents.base import AgentContext
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import Budgets, SolveConfig
from triloop.kinds.general import drafts, prompts
from triloop.kinds.general.kind import methods_for

QUESTION = "Pencils cost 2 dollars for 3. How much do 12 pencils cost, in dollars?"
PROGRAM_8 = "pencils = 12\nprint(pencils // 3 * 2)"
REASON_8 = "1. 12 pencils are 12 / 3 = 4 groups of three.\n2. 4 * 2 = 8\nFinal answer: $8"
# holds its arithmetic, misreads the question
REASON_6 = "1. 12 / 3 = 4 groups.\n2. 4 + 2 = 6\nFinal answer: 6"


def solve(llm: ScriptedFakeLLM, tools, task: str = QUESTION, **config) -> dict:
    cfg = SolveConfig(**config)
    graph = build_solve_graph(llm, tools=list(tools.values()), config=cfg)
    state = {"run_id": "g", "task": task, "kind": "general", "config": cfg.model_dump(mode="json")}
    return graph.invoke(state)


def test_a_program_and_reasoning_that_agree_settle_easily_in_two_calls(sandbox_tools):
    llm = ScriptedFakeLLM([program_rule(PROGRAM_8), reason_rule(REASON_8)])
    out = solve(llm, sandbox_tools, k=3)
    result = out["result"]
    assert (result["answer"], result["stopped_by"], result["outcome"], result["kind"]) == (
        "8",
        "easy",
        "easy",
        "general",
    )
    assert len(llm.calls) == 2 and result["usage"]["llm_calls"] == 2  # no third draft, no review
    assert set(out["candidates"]) == {"c0", "c1"}
    program, reasoning = out["candidates"]["c0"], out["candidates"]["c1"]
    assert (program["method"], reasoning["method"]) == ("program", "reasoning")
    assert program["answer"] == "8" and program["tool_calls"][0]["ok"]  # what the sandbox printed
    assert reasoning["answer"] == "$8"  # the same value, written differently
    # the same value by two methods that fail differently: verified by code, both of them
    assert program["verified_by_code"] and reasoning["verified_by_code"]
    assert [c["temperature"] for c in llm.calls] == [0.0, 0.0]


def test_disagreeing_drafts_get_the_third_draft_two_more_then_one_review_and_refinement(sandbox_tools):
    review = {"wrong_step": 1, "why": "12 pencils are 4 groups of 3", "change": "multiply by 2"}
    llm = ScriptedFakeLLM(
        [
            Rule("reviewer", "Find the mistake", json.dumps(review)),
            Rule("refiner", "This program may compute the wrong answer", f"```python\n{PROGRAM_8}\n```"),
            Rule("refiner", "This solution may be wrong", REASON_8),
            program_rule([PROGRAM_8, "print(12 // 3 * 2 + 1)"]),  # c0 prints 8, later programs 9
            reason_rule(REASON_6),
        ]
    )
    out = solve(llm, sandbox_tools, k=3, budgets=Budgets(max_rounds=1))
    calls = llm.calls
    drafts_first = calls[:2]
    assert sorted(c["reply"][:3] for c in drafts_first) == ["1. ", "```"]  # a program and reasoning
    # no two agree: the third draft (a program again, sampled) comes before any review
    assert calls[2]["role"] == "solver" and calls[2]["reply"].startswith("```")
    assert calls[2]["temperature"] == 0.7
    # three do not settle it: two more drafts (the kind's widen), reasoning then a program, sampled
    assert [c["role"] for c in calls[3:5]] == ["solver", "solver"]
    assert sorted(c["temperature"] for c in calls[3:5]) == [0.7, 1.0]
    assert {c for c in out["candidates"] if "." not in c} == {"c0", "c1", "c2", "c3", "c4"}
    assert [out["candidates"][c]["method"] for c in ("c3", "c4")] == ["reasoning", "program"]
    assert [c["role"] for c in calls[5:]] == ["reviewer", "refiner"]  # review_top 1: one per round
    assert "other drafts answered" in calls[5]["last"]  # the reviewer sees the disagreement
    refined = [c for c in out["candidates"].values() if c["parent_id"]]
    assert len(refined) == 1 and set(out["feedback"]) == {refined[0]["parent_id"]}
    assert out["result"]["outcome"] != "easy" and out["result"]["rounds"] == 1


def test_arithmetic_written_out_is_its_own_program_and_gets_a_second_program(sandbox_tools):
    assert methods_for("What is 123 * 456?") == ("program", "program")
    assert methods_for(QUESTION) == ("program", "reasoning")
    llm = ScriptedFakeLLM([program_rule("print(123 * 456)")])
    out = solve(llm, sandbox_tools, task="What is 123 * 456?", k=3)
    result = out["result"]
    # the first program is the question's own arithmetic (no model call), the second the model's
    assert (result["answer"], result["stopped_by"]) == ("56088", "easy") and len(llm.calls) == 1
    first, second = out["candidates"]["c0"], out["candidates"]["c1"]
    assert 'F("123") * F("456")' in first["code"] and first["tool_calls"][0]["ok"]
    assert (first["method"], second["method"]) == ("program", "program")
    assert [c["temperature"] for c in llm.calls] == [0.7]  # the model's program is sampled


def test_a_failing_program_gets_one_fix_turn(sandbox_tools):
    llm = ScriptedFakeLLM(
        [
            Rule("solver", "The program failed", "```python\nprint(12 // 3 * 2)\n```"),
            program_rule("print(12 / 0)"),
        ]
    )
    cand = drafts.program_candidate(
        AgentContext(llm=llm),
        sandbox_tools,
        prompts.program_messages(QUESTION),
        drafts.Origin(cid="c0", temperature=0.0, purpose="solve:c0"),
    )
    assert len(llm.calls) == 2 and "ZeroDivisionError" in llm.calls[1]["last"]
    assert [c.ok for c in cand.tool_calls] == [False, True]
    assert (cand.answer, cand.method, (cand.code or "").strip()) == ("8", "program", "print(12 // 3 * 2)")


@pytest.mark.parametrize(
    ("task", "with_python"),
    [
        ("Who wrote the play Hamlet?", True),  # nothing to compute: no program to write
        ("How many sides does a hexagon have?", False),  # quantitative, but no sandbox to run one
    ],
)
def test_without_something_to_compute_or_a_sandbox_the_tool_loop_answers(sandbox_tools, task, with_python):
    llm = ScriptedFakeLLM([Rule("solver", "Task:", "1. I know it.\nFinal answer: it")])
    tools = sandbox_tools if with_python else {}
    out = solve(llm, tools, task=task, strategy="single")
    assert len(llm.calls) == 1 and "Task:" in llm.calls[0]["last"]
    assert out["candidates"]["c0"]["method"] is None and out["result"]["answer"] == "it"


@pytest.mark.parametrize(
    ("printed", "answer"),
    [
        ("working...\n42\n", "42"),  # the last line is the answer
        ("{'answer': 80780754611}", "80780754611"),  # a value the program wrapped
        ("[42]", "42"),
        ("[2, 433]", "[2, 433]"),  # several values stay as printed
        ("51.849999999999994", "51.85"),  # float noise
        ("", ""),
    ],
)
def test_what_a_program_printed_is_read_as_its_answer(printed, answer):
    assert drafts.printed_answer(printed) == answer


def test_model_programs_that_mistype_the_expression_lose_to_the_questions_own_arithmetic(sandbox_tools):
    """The model's programs copy the question's arithmetic wrongly and agree with each other; the
    question's own arithmetic, run exactly, is verified, and they fail the check against it."""
    task = "Calculate (0.664*6.635)*(5.867-4.618-4.105)."
    wrong = "print((0.664*0.664)*(5.867-4.618-4.105))"
    llm = ScriptedFakeLLM([program_rule(wrong)])
    out = solve(llm, sandbox_tools, task=task, k=3)
    result = out["result"]
    assert (result["answer"], result["stopped_by"], result["outcome"]) == (
        "-12.58250784",
        "verified",
        "verified",
    )
    assert out["candidates"]["c0"]["verified_by_code"]
    model = out["candidates"]["c1"]
    assert model["answer"] != "-12.58250784"
    failed = [e for e in model["evidence"] if e["kind"] == "written_arithmetic"]
    assert failed and failed[0]["passed"] is False and "is -12.58250784" in failed[0]["detail"]
    assert len(llm.calls) == 2  # the model's two programs (the second after no easy settle); no review


@pytest.mark.parametrize(
    ("answer", "question", "shown"),
    [
        ("[2, 433]", "Find the prime factorization of 866. Write the factors separated by ×", "2 × 433"),
        ("(3, 5, 7)", "List the odd primes below 8, separated by commas.", "3, 5, 7"),
        ("[2, 433]", "Find the prime factors of 866.", "[2, 433]"),  # no form asked: as printed
        ("42", "Write the factors separated by ×", "42"),
    ],
)
def test_a_printed_list_is_written_the_way_the_question_asks(answer, question, shown):
    assert drafts.as_asked(answer, question) == shown


def test_a_program_draft_answered_in_words_is_asked_once_for_the_program(sandbox_tools):
    words = "2020 is divisible by 4.\nFinal answer: Yes"
    program = "```python\ny = 2020\nprint('Yes' if y % 4 == 0 and (y % 100 or y % 400 == 0) else 'No')\n```"
    for second, method, answer in ((words, "reasoning", "Yes"), (program, "program", "Yes")):
        llm = ScriptedFakeLLM([Rule("solver", prompts.PROGRAM_MISSING, second), Rule("solver", "", words)])
        cand = drafts.program_candidate(
            AgentContext(llm=llm),
            sandbox_tools,
            prompts.program_messages("Is 2020 a leap year? Answer with Yes or No."),
            drafts.Origin(cid="c0", temperature=0.0, purpose="solve:c0"),
        )
        assert len(llm.calls) == 2 and llm.calls[1]["last"] == prompts.PROGRAM_MISSING
        # still words: the first reply is a reasoning draft; a program: it ran and printed the answer
        assert (cand.method, cand.answer) == (method, answer)
        assert bool(cand.tool_calls) == (method == "program")
