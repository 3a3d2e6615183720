"""Adaptive drafting (coding): two drafts first, the rest of k only if they do not settle it easily;
then widening: a problem the first k drafts do not settle gets more drafts before any review.

A scripted FAKE LLM writes the code; the checks run in the REAL sandbox.
"""

from __future__ import annotations

from fake_llm import Rule, ScriptedFakeLLM
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.node_base import missing_drafts
from triloop.graphs.state import Budgets, SolveConfig

TASK = 'def inc(x: int) -> int:\n    """Add one.\n    >>> inc(1)\n    2\n    """\n'
WRONG = "```python\ndef inc(x: int) -> int:\n    return x\n```"
WRONG_TOO = "```python\ndef inc(x: int) -> int:\n    return x + 2\n```"
RIGHT = "```python\ndef inc(x: int) -> int:\n    return x + 1\n```"


def solve(llm: ScriptedFakeLLM, tools, **config) -> dict:
    cfg = SolveConfig(k=3, **config)
    graph = build_solve_graph(llm, tools=list(tools.values()), config=cfg)
    state = {"run_id": "w", "task": TASK, "config": cfg.model_dump(mode="json")}
    return graph.invoke(state, {"configurable": {"thread_id": "w"}})


def fake(drafts: list[str]) -> ScriptedFakeLLM:
    return ScriptedFakeLLM(
        [
            Rule("reviewer", "Write 6 test cases", "```python\nassert inc(5) == 6\n```"),
            Rule("solver", "Complete the following Python function", drafts),
            Rule("reviewer", "A solution:", "The return line is wrong: add one."),
            Rule("refiner", "", RIGHT),
        ]
    )


def test_a_hard_problem_gets_more_drafts_before_any_review(sandbox_tools):
    # three wrong drafts that disagree (not easy, not verified); the two extra drafts are right
    llm = fake([WRONG, WRONG_TOO, WRONG, RIGHT, RIGHT])
    out = solve(llm, sandbox_tools)
    result = out["result"]
    assert set(out["candidates"]) == {"c0", "c1", "c2", "c3", "c4"}
    assert result["candidate_id"] in {"c3", "c4"} and "x + 1" in result["code"]
    assert result["stopped_by"] in {"easy", "verified"} and result["rounds"] == 0
    assert llm.count("refiner") == 0 and not out.get("feedback")
    assert out["widened"] is True


def test_widening_happens_once_then_review_refines(sandbox_tools):
    llm = fake([WRONG, WRONG_TOO, WRONG, WRONG_TOO, WRONG])
    out = solve(llm, sandbox_tools)
    assert len([c for c in out["candidates"].values() if not c["parent_id"]]) == 5  # 3 + 2, never more
    assert llm.count("refiner") >= 1 and out["result"]["rounds"] >= 1
    assert "x + 1" in out["result"]["code"]


def test_widen_zero_goes_straight_to_review(sandbox_tools):
    llm = fake([WRONG, WRONG_TOO, WRONG])
    out = solve(llm, sandbox_tools, widen=0)
    assert len([c for c in out["candidates"].values() if not c["parent_id"]]) == 3
    assert llm.count("refiner") >= 1


def drafted(out: dict) -> set[str]:
    return {cid for cid, c in out["candidates"].items() if not c["parent_id"]}


def test_two_agreeing_drafts_that_pass_settle_without_the_third(sandbox_tools):
    llm = fake([RIGHT, RIGHT, WRONG])
    out = solve(llm, sandbox_tools)
    assert drafted(out) == {"c0", "c1"} and llm.count("solver") == 2
    assert out["result"]["stopped_by"] == "easy" and "x + 1" in out["result"]["code"]


def test_first_drafts_that_disagree_get_the_rest_of_k_before_anything_else(sandbox_tools):
    llm = fake([RIGHT, WRONG, RIGHT])  # whichever of the first two lands first, they disagree
    out = solve(llm, sandbox_tools)
    assert drafted(out) == {"c0", "c1", "c2"} and out["widened"] is False  # a top-up is not the widening
    assert out["result"]["stopped_by"] == "easy" and "x + 1" in out["result"]["code"]


def test_first_drafts_zero_sends_all_k_at_once(sandbox_tools):
    out = solve(fake([RIGHT, RIGHT, RIGHT]), sandbox_tools, first_drafts=0)
    assert drafted(out) == {"c0", "c1", "c2"}


def test_sampling_baselines_always_draw_all_k(sandbox_tools):
    out = solve(fake([RIGHT, RIGHT, RIGHT]), sandbox_tools, strategy="sc")
    assert drafted(out) == {"c0", "c1", "c2"}


def test_missing_drafts_are_the_indices_with_no_candidate_yet():
    assert missing_drafts({"candidates": {"c1": {}, "c1.r1": {"parent_id": "c1"}}}, 3) == [0, 2]
    assert missing_drafts({"candidates": {}}, 2) == [0, 1]


def test_continuing_past_a_budget_hit_at_round_0_sends_the_rest_of_k_before_any_review(sandbox_tools):
    cfg = SolveConfig(k=3, interactive=True, budgets=Budgets(max_llm_calls=3))  # tester + two drafts
    llm = fake([WRONG, WRONG_TOO, RIGHT])
    graph = build_solve_graph(
        llm, tools=list(sandbox_tools.values()), config=cfg, checkpointer=InMemorySaver()
    )
    thread = {"configurable": {"thread_id": "b"}}
    first = graph.invoke({"run_id": "b", "task": TASK, "config": cfg.model_dump(mode="json")}, thread)
    assert "__interrupt__" in first and drafted(first) == {"c0", "c1"}
    out = graph.invoke(Command(resume="yes"), thread)
    assert drafted(out) == {"c0", "c1", "c2"} and llm.count("refiner") == 0
    assert out["result"]["stopped_by"] == "verified" and "x + 1" in out["result"]["code"]
