"""Patience: a round that gains nothing ends the loop, unless the best candidate still fails a hard
check (a task example): then up to ``patience`` such rounds may follow, each trying a candidate not
tried yet or, failing that, a sampled refinement of one whose refinement was rejected.

A scripted FAKE LLM writes the code; the checks run in the REAL sandbox.
"""

from __future__ import annotations

import pytest
from fake_llm import Rule, ScriptedFakeLLM

from triloop.agents.models import Candidate
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.nodes import SolveNodes
from triloop.graphs.state import SolveConfig, plan_for
from triloop.graphs.triage import best_of, choose, decide, stalled_rounds
from triloop.kinds.registry import default_kinds

TASK = 'def inc(x: int) -> int:\n    """Add one.\n    >>> inc(1)\n    2\n    """\n'
# passes the generated test, fails the task's example: its answer is known to be wrong
PARTIAL = "```python\ndef inc(x: int) -> int:\n    return 6 if x == 5 else x\n```"
WORSE = "```python\ndef inc(x: int) -> int:\n    return x\n```"  # fails both: a rejected refinement
RIGHT = "```python\ndef inc(x: int) -> int:\n    return x + 1\n```"


def solve(
    refinements: list[str], tools, draft: str | list[str] = PARTIAL, **config
) -> tuple[dict, ScriptedFakeLLM]:
    llm = ScriptedFakeLLM(
        [
            Rule("reviewer", "Write 6 test cases", "```python\nassert inc(5) == 6\n```"),
            Rule("solver", "Complete the following Python function", draft),
            Rule("reviewer", "A solution:", "The return line is wrong: add one."),
            Rule("refiner", "", refinements),
        ]
    )
    cfg = SolveConfig(k=2, widen=0, review_top=2, **config)
    graph = build_solve_graph(llm, tools=list(tools.values()), config=cfg)
    state = {"run_id": "p", "task": TASK, "config": cfg.model_dump(mode="json")}
    return graph.invoke(state, {"configurable": {"thread_id": "p"}}), llm


def test_a_wrong_answer_gets_another_round_with_sampled_refinements(sandbox_tools):
    out, llm = solve([WORSE, WORSE, RIGHT], sandbox_tools, patience=1)
    result = out["result"]
    assert result["stopped_by"] == "verified" and "x + 1" in result["code"]
    assert result["rounds"] == 2
    refiner_temps = [c["temperature"] for c in llm.calls if c["role"] == "refiner"]
    assert refiner_temps[:2] == [0.2, 0.2]  # round 1: greedy-ish, as ever
    assert set(refiner_temps[2:]) == {0.7}  # round 2: the same parents again, sampled


def test_without_patience_the_first_round_without_gain_ends_the_loop(sandbox_tools):
    out, llm = solve([WORSE, WORSE, RIGHT], sandbox_tools)  # the default: no patience
    assert out["result"]["stopped_by"] == "no_improvement" and out["result"]["rounds"] == 1
    assert "6 if x == 5" in out["result"]["code"] and llm.count("refiner") == 2


def test_patience_runs_out(sandbox_tools):
    out, llm = solve([WORSE], sandbox_tools, patience=1)
    assert out["result"]["stopped_by"] == "no_improvement" and out["result"]["rounds"] == 2
    assert llm.count("refiner") == 4


def test_no_patience_when_the_best_passes_every_hard_check(sandbox_tools):
    # passes the task's example, fails only the generated test (which may itself be wrong): not
    # known to be wrong, so a round without gain ends the loop as before
    soft = "```python\ndef inc(x: int) -> int:\n    return x + 1 if x < 3 else x\n```"
    other = soft.replace("else x", "else x - 1")  # behaves differently: the drafts disagree, not easy
    out, llm = solve([WORSE], sandbox_tools, draft=[soft, other], patience=1)
    assert out["result"]["stopped_by"] == "no_improvement" and out["result"]["rounds"] == 1
    assert llm.count("refiner") == 2 and "x < 3" in out["result"]["code"]


@pytest.mark.parametrize(
    ("history", "rounds", "stalled"),
    [
        ([0.5], 0, 0),
        ([0.5, 0.5], 1, 1),
        ([0.5, 0.7], 1, 0),
        ([0.3, 0.5, 0.7, 0.7, 0.7], 2, 2),  # drafts, top-up and widening scored 3 times at round 0
        ([0.3, 0.5, 0.7, 0.7], 2, 1),
        ([0.5, 0.5, 0.9], 2, 0),
    ],
)
def test_stalled_rounds_count_the_last_rounds_without_gain(history, rounds, stalled):
    assert stalled_rounds(history, rounds, 0.01) == stalled


def cand(cid: str, score: float, parent: str | None = None, status: str = "active") -> dict:
    c = Candidate(id=cid, parent_id=parent, answer="a", score=score, status=status)
    return c.model_dump(mode="json")


def test_review_prefers_candidates_never_tried_and_marks_retries():
    config = SolveConfig(review_top=1)
    nodes = SolveNodes(ScriptedFakeLLM([]), {}, None, config, default_kinds({}))
    state = {
        "candidates": {
            "c0": cand("c0", 0.6),
            "c1": cand("c1", 0.4),
            "c0.r1": cand("c0.r1", 0.2, parent="c0", status="rejected"),
        },
        "feedback": {"c1": {"candidate_id": "c1"}},  # reviewed, but its refinement never ran (budget)
        "round": 1,
        "config": config.model_dump(mode="json"),
    }
    (send,) = nodes.review_sends(state)
    assert send.arg["target"]["id"] == "c1" and send.arg["retry"] is False and send.arg["round"] == 2
    state["candidates"]["c1.r2"] = cand("c1.r2", 0.1, parent="c1", status="rejected")
    (send,) = nodes.review_sends(state)  # both tried: the best again, sampled
    assert send.arg["target"]["id"] == "c0" and send.arg["retry"] is True


def test_triage_judges_the_candidate_finalize_returns():
    # equal scores: the greedy draft is the answer, so its failing check decides whether to go on
    greedy = Candidate(id="c0", temperature=0.0, answer="a", score=0.5, failing_evidence=True)
    sampled = Candidate(id="c1", temperature=0.8, answer="b", score=0.5)
    config = SolveConfig(patience=1)
    assert best_of(config, [sampled, greedy]).id == "c0"
    history = [0.5, 0.5]  # one round without gain
    decision = decide(config, plan_for(config), [sampled, greedy], history, rounds=1, over_budget="")
    assert decision.decision == "review"
    decision = decide(
        config.model_copy(update={"patience": 0}), plan_for(config), [sampled, greedy], history, 1, ""
    )
    assert decision.stopped_by == "no_improvement"


def test_easy_is_judged_on_the_majoritys_pick_not_on_the_best_candidate():
    # HumanEval/33 (v6): three drafts agree on code that fails a task example; a fourth passes the
    # examples and every generated test. Easy was judged on that fourth one, then settled on the
    # majority's wrong pick. The majority's pick fails a hard check: not easy; the verified one wins.
    wrong = [
        Candidate(id=f"c{i}", temperature=0.8 if i else 0.0, answer="see code", behaviour="cluster-0",
                  score=0.35, failing_evidence=True)
        for i in range(3)
    ]  # fmt: skip
    right = Candidate(id="c3", temperature=0.8, answer="see code", behaviour="cluster-2", score=0.77,
                      verified_by_code=True, components={"execution": 1.0, "agreement": 0.5})  # fmt: skip
    config = SolveConfig()
    plan = plan_for(config)
    decision = decide(config, plan, [*wrong, right], [0.77], rounds=0, over_budget="")
    assert decision.stopped_by == "verified"
    assert choose(config, plan, [*wrong, right], decision.stopped_by).id == "c3"
    # a clean majority still settles easy, on its own pick
    clean = [c.model_copy(update={"failing_evidence": False, "score": 0.8}) for c in wrong]
    decision = decide(config, plan, [*clean, right], [0.8], rounds=0, over_budget="")
    assert decision.stopped_by == "easy"
    assert choose(config, plan, [*clean, right], "easy").id == "c0"


# the same behaviour as PARTIAL in other words: inc(1) still returns 1
SAME_BEHAVIOUR = "```python\ndef inc(x: int) -> int:\n    if x != 5:\n        return x\n    return 6\n```"


def test_recheck_gives_a_refinement_that_repeats_the_wrong_value_one_more_turn(sandbox_tools):
    out, llm = solve([SAME_BEHAVIOUR, SAME_BEHAVIOUR, RIGHT, RIGHT], sandbox_tools, recheck=True)
    assert out["result"]["stopped_by"] == "verified" and "x + 1" in out["result"]["code"]
    retries = [c for c in llm.calls if c["role"] == "refiner" and "still fails the same way" in c["last"]]
    assert retries and "inc(1) returns 1, expected 2." in retries[0]["last"]
    assert all(c["temperature"] == 0.8 for c in retries)


def test_without_recheck_a_refinement_in_other_words_is_not_asked_again(sandbox_tools):
    out, llm = solve([SAME_BEHAVIOUR], sandbox_tools)
    assert out["result"]["stopped_by"] == "no_improvement" and llm.count("refiner") == 2
    assert not llm.count("refiner", "still fails the same way")


def test_an_unsure_value_is_the_weighted_vote_and_unsure_code_the_best_candidate():
    # two drafts agree on 41; a refinement that read a review says 45 and scores a little higher
    agreeing = [
        Candidate(id=f"c{i}", temperature=0.7, answer="41", score=0.6, method="program") for i in range(2)
    ]
    refined = Candidate(id="c2.r1", temperature=0.7, answer="45", score=0.7, round=1, method="reasoning")
    config = SolveConfig()
    plan = plan_for(config)
    pool = [*agreeing, refined]
    assert choose(config, plan, pool, "no_improvement", unsure_pick="vote").answer == "41"
    assert choose(config, plan, pool, "no_improvement", unsure_pick="best").answer == "45"
    assert choose(config, plan, pool, "budget", unsure_pick="vote").answer == "41"
    # verified by evidence: the verified candidate, whatever the vote
    verified = refined.model_copy(update={"verified_by_code": True, "components": {"execution": 1.0}})
    assert choose(config, plan, [*agreeing, verified], "verified", unsure_pick="vote").answer == "45"


def test_a_candidate_with_no_answer_never_wins_a_tie_of_votes():
    # three drafts, three different keys: the greedy one printed nothing and must not win the tie
    pool = [
        Candidate(id="c0", temperature=0.0, answer="", score=0.0),
        Candidate(id="c1", temperature=0.0, answer="Yes", score=0.0),
        Candidate(id="c2", temperature=0.7, answer="", score=0.0),
    ]
    config = SolveConfig(strategy="sc")
    assert choose(config, plan_for(config), pool, "done").answer == "Yes"
