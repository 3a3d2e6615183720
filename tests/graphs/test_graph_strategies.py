"""The five strategies share one code path and one accounting (FAKE scripted LLM)."""

from __future__ import annotations

import json

from fake_llm import Rule, ScriptedFakeLLM, scores_rule
from scenarios import FEEDBACK, RIGHT, WRONG, hard_llm

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import STRATEGIES, SolveConfig


def run(llm, **config):
    cfg = SolveConfig(**config)
    graph = build_solve_graph(llm, config=cfg)
    return graph.invoke({"run_id": "s", "task": "What is 3*4?", "config": cfg.model_dump()})


def roles(llm: ScriptedFakeLLM) -> list[str]:
    return [c["role"] for c in llm.calls]


def test_single_is_one_sample_without_review():
    llm = hard_llm()
    out = run(llm, strategy="single", k=5)
    assert len(out["candidates"]) == 1
    assert "reviewer" not in roles(llm) and "refiner" not in roles(llm)
    assert out["result"]["stopped_by"] == "done"
    assert out["result"]["answer"] == "11"


def test_sc_takes_the_majority_answer():
    llm = ScriptedFakeLLM(
        [
            Rule(
                "solver",
                "Task:",
                ["1. a\nFinal answer: 12", "1. b\nFinal answer: 13", "1. c\nFinal answer: 12"],
            ),
        ]
    )
    out = run(llm, strategy="sc", k=3)
    assert out["result"]["answer"] == "12"
    assert "reviewer" not in roles(llm)
    assert out["usage"]["llm_calls"] == 3  # the k drafts; the wording decided the kind (no intake call)


def test_bok_picks_the_best_scored_candidate():
    llm = ScriptedFakeLLM(
        [
            scores_rule(("Judge each numbered step", "Final answer: 12"), [0.9]),
            scores_rule("Judge each numbered step", [0.2]),
            Rule("solver", "Task:", ["1. guess\nFinal answer: 13", RIGHT, "1. guess\nFinal answer: 13"]),
        ]
    )
    out = run(llm, strategy="bok", k=3)
    assert out["result"]["answer"] == "12"  # the minority answer wins on evidence and step scores
    assert roles(llm).count("reviewer") == 3 and "refiner" not in roles(llm)


def test_self_refine_uses_only_the_solver():
    llm = ScriptedFakeLLM(
        [
            scores_rule(("Judge each numbered step", "Final answer: 12"), [0.95]),
            scores_rule("Judge each numbered step", [0.3]),
            Rule("solver", "Critique your own solution", FEEDBACK),
            Rule("solver", "You are the Refiner", RIGHT),
            Rule("solver", "Task:", WRONG[0]),
        ]
    )
    # the fake's step-score rules are registered for the reviewer; self-refine asks the solver itself
    for rule in llm.rules:
        if rule.role == "reviewer":
            rule.role = "solver"
    out = run(llm, strategy="self-refine", k=3)
    assert set(roles(llm)) == {"solver"}
    assert len([c for c in out["candidates"].values() if c["parent_id"] is None]) == 1
    assert out["result"]["answer"] == "12"
    assert out["result"]["stopped_by"] == "verified"


def test_all_strategies_report_the_same_accounting():
    for name in STRATEGIES:
        llm = hard_llm()
        if name == "self-refine":
            for rule in llm.rules:
                rule.role = "solver" if rule.role in ("reviewer", "refiner") else rule.role
            llm.rules.insert(1, Rule("solver", "Critique your own solution", FEEDBACK))
        out = run(llm, strategy=name, k=2)
        usage = out["result"]["usage"]
        assert usage["llm_calls"] == len(llm.calls), name
        words = sum(len(c["reply"].split()) for c in llm.calls)
        assert usage["completion_tokens"] == words, name
        assert json.dumps(out["result"])  # JSON-able result for side-by-side comparison
