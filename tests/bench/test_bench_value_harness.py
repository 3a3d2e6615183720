"""The harness on questions: answers scored by the questions' real scorers, no sandbox; strategies here are
scripted stand-ins (no model), including one that never returns."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from bench_fakes import AnswerLLM, ScriptedGraph
from rich.console import Console

from triloop.bench.errors import BenchInputError
from triloop.bench.harness import (
    RESULTS_FILE,
    BenchRecord,
    attempt_of,
    outcome_label,
    read_records,
    run_bench,
)
from triloop.bench.problems import BenchProblem
from triloop.bench.questions import SameAnswer, ValueProblem
from triloop.bench.report import report
from triloop.bench.strategies import Attempt, GraphStrategy, PlainStrategy, answer_of_reply
from triloop.graphs.state import SolveConfig
from triloop.kinds.general.prompts import reason_messages


def question(task_id: str, text: str, answer: str) -> ValueProblem:
    return ValueProblem(task_id=task_id, question=text, answer=answer, scorer=SameAnswer(answer))


QUESTIONS = [question("q/0", "What is 6 x 7?", "42"), question("q/1", "What is 2 + 2?", "4")]


class FakeAnswers:
    """A fake strategy whose answer is ``write(problem)``; counts its runs."""

    def __init__(self, name: str, write: Callable[[ValueProblem], str | None], outcome: str = "") -> None:
        self.name = name
        self.write = write
        self.outcome = outcome
        self.runs: list[str] = []

    def run(self, problem: ValueProblem) -> Attempt:
        self.runs.append(problem.task_id)
        return Attempt(
            code=None,
            answer=self.write(problem),
            outcome=self.outcome,
            calls=1,
            prompt_tokens=30,
            completion_tokens=10,
            wall_s=0.01,
        )


class FakeHanging:
    """A fake strategy that does not return until released (a stuck graph run)."""

    name = "stuck"

    def __init__(self) -> None:
        self.release = threading.Event()

    def run(self, problem: ValueProblem) -> Attempt:
        self.release.wait(60)
        return Attempt(
            code=None, answer=problem.answer, calls=1, prompt_tokens=1, completion_tokens=1, wall_s=60
        )


@pytest.fixture
def hanging() -> Iterator[FakeHanging]:
    stuck = FakeHanging()
    yield stuck
    stuck.release.set()  # let the abandoned threads end with the test


def quiet() -> Console:
    return Console(file=io.StringIO(), width=120)


def test_right_and_wrong_answers_are_scored_without_a_sandbox(tmp_path):
    right = FakeAnswers("right", lambda p: f"**{p.answer}**", outcome="verified")
    wrong = FakeAnswers("wrong", lambda p: "7")
    records = run_bench(QUESTIONS, [right, wrong], None, tmp_path, model="fake", console=quiet())
    assert [(r.task_id, r.strategy, r.passed) for r in records] == [
        ("q/0", "right", True),
        ("q/0", "wrong", False),
        ("q/1", "right", True),
        ("q/1", "wrong", False),
    ]
    first = records[0]
    assert (first.answer, first.expected, first.outcome, first.code) == ("**42**", "42", "verified", None)
    assert records[1].detail == "wrong answer '7', expected '42'" and records[1].outcome is None
    saved = [json.loads(line) for line in (tmp_path / RESULTS_FILE).read_text().splitlines()]
    assert saved[0]["answer"] == "**42**" and saved[0]["expected"] == "42"


def test_a_strategy_that_never_returns_is_an_error_row_and_the_run_goes_on(tmp_path, hanging):
    right = FakeAnswers("right", lambda p: p.answer)
    started = time.monotonic()
    records = run_bench(QUESTIONS, [hanging, right], None, tmp_path, pair_timeout=0.3, console=quiet())
    assert time.monotonic() - started < 10
    assert [(r.strategy, r.passed) for r in records] == [("stuck", False), ("right", True)] * 2
    stuck = records[0]
    assert stuck.error == "timed out after 0.3 s" and stuck.detail == "no answer: timed out after 0.3 s"
    assert 0.3 <= stuck.wall_s < 5
    assert right.runs == ["q/0", "q/1"]
    summary = report(tmp_path, quiet())
    assert [(s.strategy, s.errors) for s in summary.strategies] == [("stuck", 2), ("right", 0)]


def test_a_quick_strategy_under_a_pair_timeout_returns_its_own_attempt():
    right = FakeAnswers("right", lambda p: p.answer)
    assert attempt_of(right, QUESTIONS[0], timeout=30).answer == "42"


def test_resume_skips_done_pairs_and_another_seed_is_refused(tmp_path):
    run_bench(QUESTIONS[:1], [FakeAnswers("right", lambda p: p.answer)], None, tmp_path, console=quiet())
    again = FakeAnswers("right", lambda p: p.answer)
    records = run_bench(QUESTIONS, [again], None, tmp_path, console=quiet())
    assert again.runs == ["q/1"] and [r.passed for r in records] == [True, True]
    assert len(read_records(tmp_path / RESULTS_FILE)) == 2
    reseeded = [question("q/0", "What is 5 x 5?", "25")]
    with pytest.raises(BenchInputError, match="another question q/0"):
        run_bench(reseeded, [FakeAnswers("right", lambda p: p.answer)], None, tmp_path, console=quiet())


def test_plain_asks_the_reasoning_prompt_once_and_reads_the_final_answer_line():
    llm = AnswerLLM("1. 6 x 7 = 42\nFinal answer: 42")
    attempt = PlainStrategy(llm).run(QUESTIONS[0])
    (call,) = llm.calls
    assert call["messages"] == reason_messages("What is 6 x 7?")
    assert call["temperature"] == 0.0 and call["max_tokens"] == 1024
    assert (attempt.answer, attempt.code, attempt.calls, attempt.prompt_tokens) == ("42", None, 1, 20)


def test_a_reply_without_an_answer_line_answers_with_its_last_line():
    assert answer_of_reply("Let me think.\n\nIt is 42\n\n") == "It is 42"
    assert answer_of_reply("   \n") is None
    attempt = PlainStrategy(AnswerLLM("")).run(QUESTIONS[0])
    assert attempt.answer is None and attempt.note == "empty reply"


RESULT = {
    "run_id": "r",
    "strategy": "triloop",
    "answer": " 42 ",
    "stopped_by": "easy",
    "outcome": "easy",
    "rounds": 1,
    "usage": {"llm_calls": 4, "prompt_tokens": 400, "completion_tokens": 100},
}


def test_a_graph_strategy_sends_a_question_as_the_general_kind_and_reads_answer_and_outcome():
    graph = ScriptedGraph(RESULT)
    attempt = GraphStrategy(graph, SolveConfig(strategy="triloop", interactive=False)).run(QUESTIONS[0])
    (sent,) = graph.inputs
    given = sent["input"]
    assert set(given) == {"run_id", "task", "kind", "config"}
    assert (given["task"], given["kind"], given["config"]["strategy"]) == (
        "What is 6 x 7?",
        "general",
        "triloop",
    )
    assert (attempt.answer, attempt.outcome, attempt.stopped_by, attempt.calls) == ("42", "easy", "easy", 4)
    assert attempt.pool == []  # no candidates in the state


def test_with_pools_each_candidate_answer_of_a_question_is_scored_by_its_scorer(tmp_path):
    candidates = {
        "c0": {"id": "c0", "answer": "42", "method": "program", "score": 0.8},
        "c1": {"id": "c1", "answer": "41", "method": "reasoning", "score": 0.0},
        "c1.r1": {"id": "c1.r1", "parent_id": "c1", "round": 1, "answer": "", "method": "reasoning"},
    }
    strategy = GraphStrategy(ScriptedGraph({**RESULT, "candidate_id": "c0"}, candidates), SolveConfig())
    (record,) = run_bench(
        QUESTIONS[:1], [strategy], None, tmp_path, model="fake", console=quiet(), pools=True
    )
    pool = {m.id: (m.answer, m.method, m.chosen, m.hidden) for m in record.pool or []}
    assert pool == {
        "c0": ("42", "program", True, True),
        "c1": ("41", "reasoning", False, False),
        "c1.r1": (None, "reasoning", False, False),  # no answer is never right
    }


def test_a_coding_graph_attempt_carries_its_outcome_too():
    coding = BenchProblem(task_id="m/0", prompt="def f():\n", entry_point="f", test="def check(c): pass\n")
    result = {**RESULT, "code": "def f():\n    return 1\n", "outcome": "verified", "stopped_by": "verified"}
    attempt = GraphStrategy(ScriptedGraph(result), SolveConfig(strategy="sc")).run(coding)
    assert (attempt.outcome, attempt.answer, attempt.code) == ("verified", None, result["code"])


def test_records_written_before_questions_load_and_get_their_outcome_from_stopped_by():
    old = '{"task_id": "HumanEval/0", "strategy": "triloop", "passed": true, "detail": "passed", "stopped_by": "%s"}'
    labels = [
        outcome_label(BenchRecord.model_validate_json(old % s)) for s in ("easy", "verified", "budget", "")
    ]
    assert labels == ["easy", "verified", "unsure", "unsure"]
    record = BenchRecord.model_validate_json(old % "easy")
    assert (record.answer, record.expected, record.outcome) == (None, None, None)
    assert outcome_label(record.model_copy(update={"outcome": "unsure"})) == "unsure"


def test_rescore_judges_stored_answers_again_and_refuses_other_questions_or_no_results(tmp_path):
    from triloop.bench.harness import rescore

    strict = [ValueProblem(task_id="q/0", question="What is 6 x 7?", answer="42", scorer=lambda g: g == "42")]
    run_bench(strict, [FakeAnswers("s", lambda p: "42.0")], None, tmp_path, model="fake", console=quiet())
    assert [r.passed for r in read_records(tmp_path / RESULTS_FILE)] == [False]  # a strict scorer
    assert rescore(QUESTIONS[:1], tmp_path) == 1  # the same question, now judged by value
    (record,) = read_records(tmp_path / RESULTS_FILE)
    assert record.passed and record.detail == "passed" and record.expected == "42"
    other = [question("q/0", "What is 5 x 7?", "35")]
    with pytest.raises(BenchInputError):
        rescore(other, tmp_path)
    with pytest.raises(BenchInputError, match="no bench results"):
        rescore(QUESTIONS, tmp_path / "missing")
