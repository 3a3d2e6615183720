"""The report: Wilson intervals, wins/losses against plain, summary.json and the PNG (no sandbox needed)."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from triloop.bench.errors import BenchInputError
from triloop.bench.harness import RESULTS_FILE, BenchRecord
from triloop.bench.report import PLOT_FILE, SUMMARY_FILE, load_summary, plot, report, summarize, wilson
from triloop.cli import app


@pytest.mark.parametrize(
    ("passed", "n", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (50, 100, 0.4038, 0.5962),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_interval_of_known_counts(passed, n, low, high):
    got = wilson(passed, n)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_wilson_of_nothing_is_the_whole_range():
    assert wilson(0, 0) == (0.0, 1.0)


def rec(task: str, strategy: str, passed: bool, tokens: int = 100, calls: int = 1, **kw) -> BenchRecord:
    return BenchRecord(
        task_id=task,
        strategy=strategy,
        passed=passed,
        detail="passed" if passed else "AssertionError",
        calls=calls,
        prompt_tokens=tokens,
        tokens=tokens,
        wall_s=2.0,
        model="fake",
        commit="abc123",
        **kw,
    )


RECORDS = [
    # t1: both pass; t2: triloop wins; t3: plain wins; t4: both fail; t5: triloop only (plain did not run)
    rec("t1", "plain", True), rec("t1", "triloop", True, tokens=1000, calls=7),
    rec("t2", "plain", False), rec("t2", "triloop", True, tokens=1000, calls=7),
    rec("t3", "plain", True), rec("t3", "triloop", False, tokens=1000, calls=7),
    rec("t4", "plain", False), rec("t4", "triloop", False, tokens=3000, calls=9, error="boom"),
    rec("t5", "triloop", True, tokens=1000, calls=7),
]  # fmt: skip


def test_summary_counts_wins_and_losses_only_on_problems_both_ran():
    rows = {row.strategy: row for row in summarize(RECORDS)}
    assert list(rows) == ["plain", "triloop"]
    plain, tri = rows["plain"], rows["triloop"]
    assert (plain.n, plain.passed, plain.wins, plain.losses) == (4, 2, None, None)
    assert (tri.n, tri.passed, tri.wins, tri.losses) == (5, 3, 1, 1)
    assert tri.pass_at_1 == pytest.approx(0.6)
    assert (tri.ci_low, tri.ci_high) == pytest.approx(wilson(3, 5))
    assert tri.mean_tokens == pytest.approx(7000 / 5)
    assert tri.tokens_per_solved == pytest.approx(7000 / 3)
    assert tri.mean_calls == pytest.approx(37 / 5)
    assert tri.errors == 1 and plain.errors == 0
    assert plain.mean_wall_s == pytest.approx(2.0)


def test_a_strategy_that_solved_nothing_has_no_tokens_per_solved():
    (row,) = summarize([rec("t1", "sc", False), rec("t2", "sc", False)])
    assert row.tokens_per_solved is None and row.wins is None


def test_duplicate_pairs_count_once_the_first_wins():
    (row,) = summarize([rec("t1", "plain", True), rec("t1", "plain", False)])
    assert (row.n, row.passed) == (1, 1)


def write_results(folder, records) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(r.model_dump_json() + "\n" for r in records)
    (folder / RESULTS_FILE).write_text(text)


def test_report_writes_summary_json_and_a_png(tmp_path):
    write_results(tmp_path, RECORDS)
    console = Console(file=io.StringIO(), width=200)
    summary = report(tmp_path, console)
    png = tmp_path / PLOT_FILE
    assert png.is_file() and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / SUMMARY_FILE).read_text())
    assert saved["models"] == ["fake"] and saved["commits"] == ["abc123"] and saved["problems"] == 5
    assert load_summary(tmp_path) == summary
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "triloop" in text and "+1/-1" in text and "60.0%" in text


def test_plot_of_perfect_and_zero_scores(tmp_path):
    rows = summarize([rec("t1", "plain", True), rec("t1", "sc", False)])
    path = plot(rows, tmp_path / "p.png")
    assert path.stat().st_size > 1000


def test_report_of_a_folder_without_results_is_bad_input(tmp_path):
    with pytest.raises(BenchInputError, match="no bench results"):
        report(tmp_path, Console(file=io.StringIO()))


def test_bench_report_command_rerenders(tmp_path):
    write_results(tmp_path, RECORDS)
    result = CliRunner().invoke(app, ["bench", "report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / PLOT_FILE).stat().st_size > 0
    assert "pass@1" in result.output


def test_outcome_table_counts_right_per_label_and_the_median_wall(tmp_path):
    def timed(task, strategy, passed, wall, **kw):
        return rec(task, strategy, passed, **kw).model_copy(update={"wall_s": wall})

    records = [
        timed("q1", "plain", True, 1.0, answer="42", expected="42"),
        timed("q2", "plain", False, 2.0, answer="7", expected="4"),
        timed("q3", "plain", True, 30.0, answer="9", expected="9"),
        timed("q1", "triloop", True, 10.0, answer="42", expected="42", outcome="easy"),
        timed("q2", "triloop", False, 20.0, answer="5", expected="4", outcome="verified"),
        timed("q3", "triloop", True, 300.0, answer="9", expected="9", outcome="verified"),
        # written before outcomes were recorded: the label comes from stopped_by
        timed("q4", "triloop", False, 40.0, stopped_by="budget"),
    ]
    write_results(tmp_path, records)
    console = Console(file=io.StringIO(), width=100)
    summary = report(tmp_path, console)
    plain, tri = summary.strategies
    assert plain.median_wall_s == 2.0 and tri.median_wall_s == 30.0
    assert {k: (v.right, v.n) for k, v in plain.outcomes.items()} == {
        "easy": (0, 0),
        "verified": (0, 0),
        "unsure": (2, 3),
    }
    assert {k: (v.right, v.n) for k, v in tri.outcomes.items()} == {
        "easy": (1, 1),
        "verified": (1, 2),
        "unsure": (0, 1),
    }
    saved = json.loads((tmp_path / SUMMARY_FILE).read_text())
    assert saved["strategies"][1]["outcomes"]["verified"] == {"n": 2, "right": 1}
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    tables = [line for line in lines if not line.startswith(("results:", "summary:", "plot:"))]
    assert max(len(line) for line in tables) <= 80  # the tables fit a log's 80 columns
    (row,) = [line for line in lines if line.strip().startswith("triloop") and "1/2" in line]
    assert row.split() == ["triloop", "30.0", "1/1", "1/2", "0/1"]
    assert any(line.split() == ["plain", "2.0", "-", "-", "2/3"] for line in lines)
    assert load_summary(tmp_path) == summary


def test_a_summary_written_before_outcomes_still_loads(tmp_path):
    write_results(tmp_path, RECORDS)
    report(tmp_path, Console(file=io.StringIO(), width=200))
    saved = json.loads((tmp_path / SUMMARY_FILE).read_text())
    for row in saved["strategies"]:
        del row["median_wall_s"], row["outcomes"]
    (tmp_path / SUMMARY_FILE).write_text(json.dumps(saved))
    old = load_summary(tmp_path)
    assert old.strategies[0].median_wall_s is None and old.strategies[0].outcomes == {}
