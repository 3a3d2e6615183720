"""The harness scores final code in the REAL sandbox; strategies here are scripted stand-ins (no model)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable

from rich.console import Console

from triloop.bench.harness import RESULTS_FILE, BenchRecord, read_records, run_bench
from triloop.bench.problems import BenchProblem
from triloop.bench.report import report
from triloop.bench.scoring import score
from triloop.bench.strategies import Attempt, PoolMember


class Scripted:
    """A strategy whose code is ``write(problem)``; counts its runs."""

    def __init__(self, name: str, write: Callable[[BenchProblem], str | None]) -> None:
        self.name = name
        self.write = write
        self.runs: list[str] = []

    def run(self, problem: BenchProblem) -> Attempt:
        self.runs.append(problem.task_id)
        return Attempt(
            code=self.write(problem), calls=1, prompt_tokens=100, completion_tokens=50, wall_s=0.01
        )


def canonical(problem: BenchProblem) -> str:
    return problem.prompt + (problem.canonical_solution or "")


def returns_none(problem: BenchProblem) -> str:
    return problem.prompt + "    return None\n"


def hangs(problem: BenchProblem) -> str:
    return problem.prompt + "    while True:\n        pass\n"


def quiet() -> Console:
    return Console(file=io.StringIO(), width=120)


def test_canonical_solutions_pass(bench_sandbox, three, tmp_path):
    records = run_bench(
        three, [Scripted("ref", canonical)], bench_sandbox, tmp_path, timeout=10, model="fake"
    )
    assert [r.passed for r in records] == [True, True, True], [r.detail for r in records]
    assert [r.task_id for r in records] == ["HumanEval/0", "HumanEval/2", "HumanEval/4"]
    assert all(r.detail == "passed" and r.tokens == 150 and r.model == "fake" for r in records)
    assert len(read_records(tmp_path / RESULTS_FILE)) == 3


def test_wrong_solutions_fail_with_the_error(bench_sandbox, three, tmp_path):
    records = run_bench(three, [Scripted("wrong", returns_none)], bench_sandbox, tmp_path, timeout=10)
    assert [r.passed for r in records] == [False, False, False]
    assert all("Error" in r.detail for r in records), [r.detail for r in records]


def test_a_hanging_solution_is_a_timeout_failure_not_a_hang(bench_sandbox, three, tmp_path):
    started = time.monotonic()
    records = run_bench(three[:1], [Scripted("hang", hangs)], bench_sandbox, tmp_path, timeout=3)
    assert time.monotonic() - started < 30
    assert not records[0].passed
    assert "timed out" in records[0].detail


def test_code_that_exits_before_the_tests_is_not_a_pass(bench_sandbox, three):
    verdict = score(bench_sandbox, three[0], "import sys\nsys.exit(0)\n", timeout=10)
    assert not verdict.passed and "before the tests" in verdict.detail
    assert score(bench_sandbox, three[0], "   ", timeout=10).detail == "no code"


def test_a_strategy_that_raises_is_a_recorded_failure_and_the_run_goes_on(bench_sandbox, three, tmp_path):
    def explode(problem: BenchProblem) -> str:
        if problem.task_id == "HumanEval/2":
            raise RuntimeError("model server went away")
        return canonical(problem)

    records = run_bench(three, [Scripted("flaky", explode)], bench_sandbox, tmp_path, timeout=10)
    assert [r.passed for r in records] == [True, False, True]
    failed = records[1]
    assert failed.error == "RuntimeError: model server went away"
    assert failed.code is None and "no code" in failed.detail and "went away" in failed.detail


def test_retry_errors_runs_only_the_errored_pairs_again_and_the_new_record_counts(
    bench_sandbox, three, tmp_path
):
    def explode(problem: BenchProblem) -> str:
        if problem.task_id == "HumanEval/2":
            raise TimeoutError("the model server did not answer in time")
        return canonical(problem)

    run_bench(three, [Scripted("s", explode)], bench_sandbox, tmp_path, timeout=10)
    plain_resume = Scripted("s", canonical)
    run_bench(three, [plain_resume], bench_sandbox, tmp_path, timeout=10)
    assert plain_resume.runs == []  # a plain resume keeps the error
    retry = Scripted("s", canonical)
    records = run_bench(three, [retry], bench_sandbox, tmp_path, timeout=10, retry_errors=True)
    assert retry.runs == ["HumanEval/2"] and all(r.passed and not r.error for r in records)
    summary = report(tmp_path, quiet()).model_dump()
    assert summary["strategies"][0]["passed"] == 3  # the retried record superseded the error


def test_problems_and_strategies_are_interleaved(bench_sandbox, three, tmp_path):
    run_bench(three[:2], [Scripted("a", canonical), Scripted("b", returns_none)], bench_sandbox, tmp_path)
    lines = [json.loads(line) for line in (tmp_path / RESULTS_FILE).read_text().splitlines()]
    assert [(x["task_id"], x["strategy"]) for x in lines] == [
        ("HumanEval/0", "a"),
        ("HumanEval/0", "b"),
        ("HumanEval/2", "a"),
        ("HumanEval/2", "b"),
    ]


def test_resume_runs_nothing_new_and_the_summary_is_the_same(bench_sandbox, three, tmp_path):
    first = [Scripted("plain", returns_none), Scripted("ref", canonical)]
    run_bench(three, first, bench_sandbox, tmp_path, timeout=10, model="fake", commit="abc123")
    before = report(tmp_path, quiet()).model_dump()
    again = [Scripted("plain", returns_none), Scripted("ref", canonical)]
    records = run_bench(three, again, bench_sandbox, tmp_path, timeout=10, model="fake", commit="abc123")
    assert [s.runs for s in again] == [[], []]
    assert len(records) == 6 and len(read_records(tmp_path / RESULTS_FILE)) == 6
    assert report(tmp_path, quiet()).model_dump() == before
    assert before["commits"] == ["abc123"]


def test_resume_after_a_kill_mid_line_finishes_the_rest(bench_sandbox, three, tmp_path):
    first = Scripted("ref", canonical)
    run_bench(three[:1], [first], bench_sandbox, tmp_path, timeout=10)
    with (tmp_path / RESULTS_FILE).open("a") as fh:
        fh.write('{"task_id": "HumanEval/2", "strat')  # the process died while writing
    second = Scripted("ref", canonical)
    records = run_bench(three, [second], bench_sandbox, tmp_path, timeout=10)
    assert second.runs == ["HumanEval/2", "HumanEval/4"]
    assert [r.passed for r in records] == [True, True, True]
    assert [r.task_id for r in read_records(tmp_path / RESULTS_FILE)] == [p.task_id for p in three]


def test_non_terminal_progress_is_one_plain_line_per_problem(bench_sandbox, three, tmp_path):
    console = quiet()
    run_bench(three[:2], [Scripted("ref", canonical)], bench_sandbox, tmp_path, console=console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert text.splitlines() == ["1/2 HumanEval/0: ref pass", "2/2 HumanEval/2: ref pass"]


def test_record_round_trips_as_one_json_line():
    record = BenchRecord(task_id="t", strategy="plain", passed=False, detail="no code")
    assert BenchRecord.model_validate_json(record.model_dump_json()) == record


def test_a_terminal_gets_the_progress_bar_with_running_pass_counts(bench_sandbox, three, tmp_path):
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    run_bench(
        three[:2],
        [Scripted("ref", canonical), Scripted("wrong", returns_none)],
        bench_sandbox,
        tmp_path,
        console=console,
    )
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "2/2" in text and "ref 2/2" in text and "wrong 0/2" in text
    assert "FAIL" not in text  # the plain per-problem lines are for logs, not terminals


class Pooled(Scripted):
    """A graph-like strategy whose pool holds a right and a wrong candidate; its answer is the wrong one."""

    def run(self, problem: BenchProblem) -> Attempt:
        attempt = super().run(problem)
        right, wrong = canonical(problem), returns_none(problem)
        pool = [PoolMember(id="c0", code=wrong, chosen=True), PoolMember(id="c1", code=right)]
        return attempt.model_copy(update={"pool": pool})


def test_pools_score_every_candidate_on_the_hidden_tests_only_when_asked(bench_sandbox, three, tmp_path):
    (kept,) = run_bench(three[:1], [Pooled("tri", returns_none)], bench_sandbox, tmp_path / "a", pools=True)
    assert not kept.passed and [(m.id, m.hidden) for m in kept.pool] == [("c0", False), ("c1", True)]
    (row,) = report(tmp_path / "a", quiet()).strategies
    assert (row.passed, row.pool_passed, row.pool_n) == (0, 1, 1)  # the pool held a pass the checks missed
    (plain,) = run_bench(three[:1], [Pooled("tri", returns_none)], bench_sandbox, tmp_path / "b")
    assert plain.pool is None and report(tmp_path / "b", quiet()).strategies[0].pool_n is None
