"""The live budget meter: exact call budgets, token reservations across threads, one meter per run.

Graph-level parts use the scripted FAKE LLM (deterministic logic tests, no model).
"""

from __future__ import annotations

import threading
import time

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from scenarios import hard_llm

from triloop.agents.meter import DEFAULT_CALL_TOKENS, BudgetExhausted, CallMeter
from triloop.agents.models import Candidate
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import Budgets, SolveConfig, plan_for
from triloop.graphs.triage import choose


def limited(calls: int | None = None, tokens: int | None = None, deadline: float | None = None) -> CallMeter:
    return CallMeter().sync(calls=0, tokens=0, max_calls=calls, max_tokens=tokens, deadline=deadline)


def test_grants_never_add_up_past_the_token_budget_even_in_parallel():
    meter = limited(tokens=3000)
    grants, refused = [], []
    lock = threading.Lock()

    def ask() -> None:
        try:
            grant = meter.reserve(None)
        except BudgetExhausted:
            with lock:
                refused.append(1)
            return
        with lock:
            grants.append(grant)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(g.tokens for g in grants) <= 3000 and len(refused) == 8 - len(grants)
    assert sorted(g.tokens for g in grants) == [3000 - 2 * DEFAULT_CALL_TOKENS, 1024, 1024]
    assert [g.capped for g in grants].count(True) == 1
    for grant in grants:  # calls finish: reservations become real costs
        meter.settle(grant, 10)
    assert meter.reserved == 0 and meter.tokens == 30 and meter.calls == 3


def test_a_failed_call_gives_its_booking_back_and_limits_are_exact():
    meter = limited(calls=2)
    first = meter.reserve(50)
    meter.release(first)  # the endpoint failed: nothing was spent
    meter.reserve(50)
    meter.reserve(50)
    with pytest.raises(BudgetExhausted, match="LLM calls 2 >= 2"):
        meter.reserve(50)
    with pytest.raises(BudgetExhausted, match="wall-time"):
        limited(deadline=time.time() - 1).reserve(50)
    nearly = limited(tokens=100)
    nearly.settle(nearly.reserve(None), 90)  # 10 left: too few for a useful reply
    assert "tokens" in nearly.exhausted()


def test_a_run_never_inherits_the_meter_of_a_crashed_run_with_the_same_id():
    llm = hard_llm()
    graph = build_solve_graph(llm, config=SolveConfig(k=3, budgets=Budgets(max_llm_calls=9)))
    real_complete = llm.complete
    calls = {"n": 0}

    def dies_once_at_the_eighth_call(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 8:
            raise RuntimeError("endpoint died")
        return real_complete(*args, **kwargs)

    llm.complete = dies_once_at_the_eighth_call  # type: ignore[method-assign]
    start = {"run_id": "same", "task": "What is 3*4?", "config": SolveConfig(k=3).model_dump()}
    start["config"]["budgets"]["max_llm_calls"] = 9
    with pytest.raises(RuntimeError, match="endpoint died"):
        graph.invoke(start)
    again = graph.invoke(start)
    # a fresh meter: the second run has its own 9 calls and drafts all three candidates
    assert again["usage"]["llm_calls"] == 9
    assert {"c0", "c1", "c2"} <= {c for c in again["candidates"] if "." not in c}


def test_an_empty_pool_asks_in_interactive_runs_and_continue_drafts_again():
    saver = InMemorySaver()
    config = SolveConfig(k=2, interactive=True, budgets=Budgets(max_llm_calls=1))  # intake only
    llm = hard_llm()
    graph = build_solve_graph(llm, config=config, checkpointer=saver)
    thread = {"configurable": {"thread_id": "empty"}}
    task = "How does Python evaluate `3*4`?"  # open by its wording: intake asks the model
    first = graph.invoke({"run_id": "empty", "task": task, "config": config.model_dump()}, thread)
    assert llm.count("solver", task) == 1  # the kind call spent the one call
    assert "__interrupt__" in first and not first.get("candidates")
    assert "LLM calls" in first["__interrupt__"][0].value["reason"]
    resumed = graph.invoke(Command(resume="yes"), thread)
    assert llm.count("solver", "Task:") >= 1 and resumed["candidates"]  # drafting started again
    assert "__interrupt__" in resumed  # the extension (one more call) is spent again: asked again
    done = graph.invoke(Command(resume="no"), thread)
    assert done["result"]["stopped_by"] == "budget" and done["result"]["answer"] in {"11", "13", "14"}


def test_majority_of_code_pointing_answers_goes_to_the_best_scored_candidate():
    config = SolveConfig(strategy="sc", k=3)
    pool = [
        Candidate(id=f"c{i}", answer="see code", code=f"def f():\n    return {i}\n", score=s)
        for i, s in enumerate([0.1, 0.9, 0.5])
    ]
    assert choose(config, plan_for(config), pool, "done").id == "c1"
