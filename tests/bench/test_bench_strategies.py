"""Strategies map their source (one completion, or a solve-graph run) to an Attempt (no model, no sandbox)."""

from __future__ import annotations

import pytest
from bench_fakes import AnswerLLM, ScriptedGraph

from triloop.bench.errors import BenchInputError
from triloop.bench.harness import attempt_of
from triloop.bench.problems import BenchProblem
from triloop.bench.strategies import GraphStrategy, PlainStrategy, build_strategies, parse_strategies
from triloop.graphs.state import SolveConfig
from triloop.kinds.coding.prompts import DRAFT_STUB

PROBLEM = BenchProblem(
    task_id="mine/0",
    prompt='import math\n\n\ndef root(x: float) -> float:\n    """Square root of x."""\n',
    entry_point="root",
    test="def check(candidate):\n    assert candidate(4.0) == 2.0\n",
)


def test_plain_is_one_completion_at_temperature_0_and_takes_the_code_from_the_reply():
    pytest.importorskip("triloop.kinds.coding.extract", reason="the coding kind's extractor is not there yet")
    llm = AnswerLLM("Here:\n```python\ndef root(x: float) -> float:\n    return math.sqrt(x)\n```\n")
    attempt = PlainStrategy(llm).run(PROBLEM)
    (call,) = llm.calls
    expected = DRAFT_STUB.format(task=PROBLEM.prompt.rstrip() + "\n")
    assert call["messages"] == [{"role": "user", "content": expected}]
    assert call["messages"][0]["content"].endswith('"""Square root of x."""\n```')
    assert call["temperature"] == 0.0 and call["max_tokens"] == 768
    assert attempt.code is not None and "import math" in attempt.code and "math.sqrt(x)" in attempt.code
    assert (attempt.calls, attempt.prompt_tokens, attempt.completion_tokens) == (1, 20, 10)
    assert attempt.error is None


def test_plain_without_code_in_the_reply_is_no_code_with_the_reason():
    pytest.importorskip("triloop.kinds.coding.extract", reason="the coding kind's extractor is not there yet")
    attempt = PlainStrategy(AnswerLLM("I cannot help with that.")).run(PROBLEM)
    assert attempt.code is None and attempt.note


RESULT = {
    "run_id": "r",
    "strategy": "sc",
    "answer": "see code",
    "code": "def root(x):\n    return x ** 0.5\n",
    "stopped_by": "verified",
    "rounds": 2,
    "usage": {"llm_calls": 7, "prompt_tokens": 900, "completion_tokens": 300, "tool_calls": 2},
}


def test_graph_strategy_runs_the_graph_without_tests_and_reads_the_result():
    graph = ScriptedGraph(RESULT)
    config = SolveConfig(strategy="sc", k=5, interactive=False)
    attempt = GraphStrategy(graph, config).run(PROBLEM)
    (sent,) = graph.inputs
    given = sent["input"]
    assert given["task"] == PROBLEM.prompt and given["entry_point"] == "root"
    assert "tests" not in given  # the hidden tests never reach the strategy
    assert given["config"]["strategy"] == "sc" and given["config"]["k"] == 5
    assert given["config"]["interactive"] is False
    assert sent["config"]["configurable"]["thread_id"] == given["run_id"]
    assert attempt.code == RESULT["code"]
    assert (attempt.calls, attempt.prompt_tokens, attempt.completion_tokens) == (7, 900, 300)
    assert (attempt.rounds, attempt.stopped_by) == (2, "verified")


def test_a_graph_that_raises_becomes_a_failed_attempt():
    strategy = GraphStrategy(
        ScriptedGraph(RuntimeError("budget table on fire")), SolveConfig(strategy="single")
    )
    attempt = attempt_of(strategy, PROBLEM)
    assert attempt.code is None and attempt.error == "RuntimeError: budget table on fire"
    assert attempt.wall_s >= 0


def test_build_strategies_shares_one_graph_and_never_asks():
    base = SolveConfig(interactive=True, k=4)
    built = build_strategies(["plain", "single", "triloop"], AnswerLLM(""), tools=[], config=base)
    assert [s.name for s in built] == ["plain", "single", "triloop"]
    graphs = [s for s in built if isinstance(s, GraphStrategy)]
    assert graphs[0].graph is graphs[1].graph
    assert all(not g.config.interactive and g.config.k == 4 for g in graphs)
    assert [g.config.strategy for g in graphs] == ["single", "triloop"]


def test_a_strategy_can_carry_its_own_k_to_compare_with_twice_the_drafts_in_one_run():
    base = SolveConfig(k=3)
    built = build_strategies(["sc", "sc:6", "triloop"], AnswerLLM(""), tools=[], config=base)
    assert [s.name for s in built] == ["sc", "sc:6", "triloop"]
    assert [(s.config.strategy, s.config.k) for s in built] == [("sc", 3), ("sc", 6), ("triloop", 3)]
    for bad in ("sc:0", "sc:x", "plain:2", "magic:3"):
        with pytest.raises(BenchInputError):
            build_strategies([bad], AnswerLLM(""), tools=[], config=base)


def test_a_strategy_variant_carries_solve_settings_to_compare_configurations_in_one_run():
    base = SolveConfig(k=3, widen=2)
    built = build_strategies(
        ["triloop", "triloop+widen=4", "triloop:5+widen=0+patience=1"], AnswerLLM(""), tools=[], config=base
    )
    assert [s.name for s in built] == ["triloop", "triloop+widen=4", "triloop:5+widen=0+patience=1"]
    assert [(s.config.k, s.config.widen, s.config.patience) for s in built] == [
        (3, 2, 0),
        (3, 4, 0),
        (5, 0, 1),
    ]
    assert all(s.config.strategy == "triloop" and not s.config.interactive for s in built)
    cases = {
        "triloop+magic=1": "no solve setting named magic",
        "triloop+widen=-1": "widen",
        "triloop+widen": "NAME\\+FIELD=VALUE",
        "plain+widen=4": "only graph strategies",
    }
    for bad, message in cases.items():
        with pytest.raises(BenchInputError, match=message):
            parse_strategies([bad])


def test_a_graph_strategy_keeps_its_pool_with_each_candidates_checks():
    report = {
        "loaded": True,
        "outcomes": [
            {"call": "root(4.0)", "expected": "2.0", "source": "doctest", "passed": True, "got": "2.0"},
            {"call": "root(9.0)", "expected": "3.0", "source": "generated", "passed": False, "got": "4.0"},
            {"call": "root(1.0)", "expected": "1.0", "source": "generated", "passed": True, "got": "1.0"},
            {
                "call": "root('x')",
                "expected": "0",
                "source": "generated",
                "passed": False,
                "got": "raised T: no",
            },
        ],
    }
    candidates = {
        "c0": {"id": "c0", "temperature": 0.0, "code": RESULT["code"], "report": report, "score": 0.9},
        "c0r1": {"id": "c0r1", "parent_id": "c0", "round": 1, "status": "rejected", "code": None},
    }
    graph = ScriptedGraph({**RESULT, "candidate_id": "c0"}, candidates=candidates)
    attempt = GraphStrategy(graph, SolveConfig(strategy="triloop", interactive=False)).run(PROBLEM)
    first, second = attempt.pool
    assert (first.id, first.chosen, first.score, first.code) == ("c0", True, 0.9, RESULT["code"])
    assert first.checks == {"doctest": "1/1", "generated": "1/3"} and first.errors == {"generated": 1}
    assert (second.parent_id, second.round, second.status, second.chosen) == ("c0", 1, "rejected", False)
    assert second.checks == {} and second.hidden is None  # the hidden tests are the harness's, after the run
    # each check and what it returned travel with the member, for replaying rules on the same run
    assert [o["got"] for o in first.report["outcomes"]] == ["2.0", "4.0", "1.0", "raised T: no"]
    assert "printed" not in first.report and second.report is None
