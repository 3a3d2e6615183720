"""Graph logic with a scripted FAKE LLM: triage, review/refine/re-verify, no over-correction, stops."""

from __future__ import annotations

import pytest
from fake_llm import Rule, ScriptedFakeLLM, scores_rule
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from scenarios import FEEDBACK, WRONG, hard_llm

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import Budgets, SolveConfig


def run(llm, config: SolveConfig, task: str = "What is 3*4?", checkpointer=None, thread: str = "t"):
    graph = build_solve_graph(llm, config=config, checkpointer=checkpointer)
    state = {"run_id": thread, "task": task, "config": config.model_dump(mode="json")}
    return graph.invoke(state, {"configurable": {"thread_id": thread}})


def test_easy_path_settles_without_review():
    llm = ScriptedFakeLLM(
        [
            scores_rule("Judge each numbered step", [0.9, 0.95]),
            Rule("solver", "Task:", "1. 3 * 4 = 12\n2. check: 12 / 4 = 3\nFinal answer: 12"),
        ]
    )
    out = run(llm, SolveConfig(k=3))
    assert out["result"]["stopped_by"] == "easy" and out["result"]["outcome"] == "easy"
    assert out["result"]["answer"] == "12" and out["result"]["kind"] == "general"
    assert llm.count("refiner") == 0
    assert not any("targeted feedback" in c["last"] or c["role"] == "refiner" for c in llm.calls)
    # the first two drafts agree and check out: the third of k is never drafted (adaptive consistency)
    assert len(out["candidates"]) == 2
    # every candidate keeps its per-step scores
    assert all(c["step_scores"] == [0.9, 0.95] for c in out["candidates"].values())
    assert out["usage"]["llm_calls"] == 2 + 2  # 2 drafts + 2 step scorings; the wording decided the kind


def test_hard_path_reviews_refines_and_reverifies():
    llm = hard_llm()
    out = run(llm, SolveConfig(k=3, review_top=2))
    result = out["result"]
    assert result["stopped_by"] == "verified", result
    assert result["answer"] == "12"
    assert result["verified"] is True and result["outcome"] == "verified"
    assert result["rounds"] == 1
    children = [c for c in out["candidates"].values() if c["parent_id"]]
    assert len(children) == 2 and all(c["status"] == "active" for c in children)
    parents = {c["parent_id"] for c in children}
    assert all(out["candidates"][p]["status"] == "replaced" for p in parents)
    assert set(out["feedback"]) == parents
    assert llm.count("refiner") == 2
    # the refined candidates were re-verified: recomputation by code and new step scores
    assert all(any(e["kind"] == "recompute" and e["passed"] for e in c["evidence"]) for c in children)
    assert all(c["step_scores"] == [0.95] for c in children)


def test_worse_refinement_never_replaces_its_parent():
    worse = "1. 3 * 4 = 13\nFinal answer: 13"  # recomputation fails -> capped below the parent
    llm = ScriptedFakeLLM(
        [
            scores_rule(("Judge each numbered step", "= 13"), [0.2]),
            scores_rule("Judge each numbered step", [0.6]),
            Rule("reviewer", "targeted feedback", FEEDBACK),
            Rule("refiner", "You are the Refiner", worse),
            Rule("solver", "Task:", ["1. 3 * 4 = 12\nFinal answer: 12", "1. think\nFinal answer: 10"]),
        ]
    )
    out = run(llm, SolveConfig(k=2, review_top=2, verify_score=0.95, budgets=Budgets(max_rounds=1)))
    children = [c for c in out["candidates"].values() if c["parent_id"]]
    assert children and all(c["status"] == "rejected" for c in children)
    for child in children:
        parent = out["candidates"][child["parent_id"]]
        assert parent["status"] == "active"
        assert child["score"] < parent["score"]
    assert out["result"]["answer"] == "12"


@pytest.mark.parametrize("patience", [0, 1])
def test_adaptive_stop_when_score_stops_improving(patience):
    same = WRONG[0]  # the refiner returns an equally weak answer: no gain
    llm = hard_llm(refined=same)
    out = run(llm, SolveConfig(k=1, patience=patience, budgets=Budgets(max_rounds=5)))
    assert out["result"]["stopped_by"] == "no_improvement"
    # the answer fails its recomputation (known wrong): `patience` more rounds may gain nothing
    assert out["round"] == 1 + patience
    assert out["best_history"][-1] - out["best_history"][-2] < 0.01


@pytest.mark.parametrize(
    ("budgets", "reason"),
    [
        (Budgets(max_llm_calls=4), "LLM calls"),
        (Budgets(max_tokens=300), "tokens"),
        (Budgets(max_rounds=0), "refinement rounds"),
    ],
)
def test_batch_budget_stops_with_best_candidate(budgets, reason):
    llm = hard_llm()
    out = run(llm, SolveConfig(k=3, budgets=budgets))
    result = out["result"]
    assert result["stopped_by"] == "budget" and result["outcome"] == "unsure"
    assert reason in result["reason"]
    assert result["answer"] in {"11", "13", "14"}
    assert llm.count("refiner") == 0


@pytest.mark.parametrize("max_calls", [2, 3, 5])
def test_parallel_drafts_never_exceed_the_call_budget(max_calls):
    llm = hard_llm()
    out = run(llm, SolveConfig(k=3, budgets=Budgets(max_llm_calls=max_calls)))
    assert len(llm.calls) == max_calls  # booked before each call, so k parallel drafts cannot overshoot
    assert out["usage"]["llm_calls"] == max_calls
    assert out["result"]["stopped_by"] == "budget"
    assert "LLM calls" in out["result"]["reason"]


def test_budget_spent_before_any_draft_gives_an_empty_answer():
    llm = hard_llm()
    # the wording (it mentions Python) leaves the kind open: intake asks the model, and that call alone
    # costs more than the budget
    task = "How does Python evaluate `3*4`?"
    out = run(llm, SolveConfig(k=3, budgets=Budgets(max_tokens=50)), task=task)
    assert llm.count("solver", task) == 1  # the kind call, made at intake
    assert llm.count("solver", "Task:") == 0 and not out.get("candidates")
    result = out["result"]
    assert (result["answer"], result["verified"], result["stopped_by"]) == ("", False, "budget")
    assert "tokens" in result["reason"]


def test_calls_ask_for_no_more_tokens_than_the_budget_has_left():
    roomy = hard_llm()
    run(roomy, SolveConfig(k=2))  # far from the budget: calls keep the endpoint's own limit
    assert {c["max_tokens"] for c in roomy.calls} == {None}
    per_call = hard_llm()
    run(per_call, SolveConfig(k=2, max_tokens_per_call=100))
    assert {c["max_tokens"] for c in per_call.calls} == {100}
    tight = hard_llm()
    run(tight, SolveConfig(k=1, max_tokens_per_call=10_000, budgets=Budgets(max_tokens=400)))
    asked = [c["max_tokens"] for c in tight.calls]
    assert asked[0] == 400  # nothing spent yet, and less than the per-call limit
    assert all(a < 400 for a in asked[1:]), asked  # later calls are capped at what is left


def test_wall_time_budget_stops_new_calls():
    llm = hard_llm(delay_s=0.2)
    out = run(llm, SolveConfig(k=3, budgets=Budgets(max_wall_s=0.3)))
    assert out["result"]["stopped_by"] == "budget"
    # the first two drafts and their step scorings started before the deadline; nothing after it (no
    # third draft, no review)
    assert len(llm.calls) <= 2 + 2 and llm.count("solver", "Task:") <= 2 and llm.count("refiner") == 0


def test_interactive_budget_interrupts_and_resumes():
    saver = InMemorySaver()
    config = SolveConfig(k=3, interactive=True, budgets=Budgets(max_rounds=0))
    llm = hard_llm()
    graph = build_solve_graph(llm, config=config, checkpointer=saver)
    thread = {"configurable": {"thread_id": "i1"}}
    first = graph.invoke({"run_id": "i1", "task": "What is 3*4?", "config": config.model_dump()}, thread)
    assert "__interrupt__" in first and "result" not in first
    question = first["__interrupt__"][0].value
    assert "refinement rounds" in question["reason"]
    drafted = {c for c in first["candidates"] if "." not in c}
    assert llm.count("solver", "Task:") == len(drafted)
    resumed = graph.invoke(Command(resume="yes"), thread)
    assert resumed["result"]["stopped_by"] == "verified"
    assert resumed["budget_extensions"] == 1
    # finished drafting was not redone: each of the k drafts was drafted once (the pause came after the
    # kind's first drafts; the rest of k follow the resume)
    assert llm.count("solver", "Task:") == 3
    assert {c for c in resumed["candidates"] if "." not in c} == {"c0", "c1", "c2"} >= drafted


def test_interactive_budget_declined_stops():
    saver = InMemorySaver()
    config = SolveConfig(k=2, interactive=True, budgets=Budgets(max_rounds=0))
    graph = build_solve_graph(hard_llm(), config=config, checkpointer=saver)
    thread = {"configurable": {"thread_id": "i2"}}
    graph.invoke({"run_id": "i2", "task": "What is 3*4?", "config": config.model_dump()}, thread)
    out = graph.invoke(Command(resume="no"), thread)
    assert out["result"]["stopped_by"] == "budget"


def test_unreadable_reviewer_replies_degrade_to_evidence_based_feedback():
    llm = hard_llm()
    llm.rules = [r for r in llm.rules if "targeted feedback" not in str(r.when)]
    llm.rules.insert(0, Rule("reviewer", "targeted feedback", "I think it is mostly fine."))
    out = run(llm, SolveConfig(k=3, review_top=1))
    feedback = next(iter(out["feedback"].values()))
    assert feedback["why"]  # built from the failing recomputation or the lowest step score
    assert out["result"]["answer"] == "12"
