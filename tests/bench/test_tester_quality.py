"""benchmarks/tester_quality.py: generated checks judged against a reference in the REAL sandbox (the
Tester call itself is the model's and is not run here)."""

from __future__ import annotations

from bench_scripts import load_script

from triloop.bench.harness import RESULTS_FILE, BenchRecord
from triloop.bench.problems import BenchProblem
from triloop.bench.strategies import PoolMember
from triloop.kinds.coding.checks import Check

PROBLEM = BenchProblem(
    task_id="t/0",
    prompt='def pick(a, b):\n    """The shorter list; on a tie, the first."""\n',
    entry_point="pick",
    test="def check(candidate):\n    assert candidate([1], [2]) == [1]\n",
    canonical_solution="    return a if len(a) <= len(b) else b\n",
)
RIGHT = "def pick(a, b):\n    return a if len(a) <= len(b) else b\n"
TIE_WRONG = "def pick(a, b):\n    return a if len(a) < len(b) else b\n"  # what HumanEval/74's draft did
ALWAYS_B = "def pick(a, b):\n    return b\n"


def test_checks_are_judged_by_the_reference_and_catch_only_wrong_drafts(bench_sandbox):
    checks = [
        Check(call="pick([1], [2, 3])", expected="[1]"),  # correct, typical
        Check(call="pick([1, 2], [3, 4])", expected="[1, 2]"),  # correct, the stated tie rule
        Check(call="pick([1, 2], [3])", expected="[1, 2]"),  # wrong expected value
        Check(call="pick(None, [1])", expected="None"),  # outside the spec: the reference raises
    ]
    drafts = {RIGHT: True, TIE_WRONG: False, ALWAYS_B: False}
    row = load_script("tester_quality").judge(bench_sandbox, PROBLEM, checks, drafts)
    assert (row["tests"], row["correct"], row["reference_raises"]) == (4, 2, 1)
    assert [c["correct"] for c in row["checks"]] == [True, True, False, False]
    assert (row["wrong_drafts"], row["wrong_caught"]) == (2, 2)  # the tie test catches TIE_WRONG
    assert (row["right_drafts"], row["right_flagged"]) == (1, 0)
    # without the tie test the tie-breaking draft passes every correct check: not caught
    assert (
        load_script("tester_quality").judge(bench_sandbox, PROBLEM, checks[:1], drafts)["wrong_caught"] == 1
    )


def test_pool_drafts_and_the_summary(tmp_path):
    pool = [PoolMember(id="c0", code=RIGHT, hidden=True), PoolMember(id="c1", code=TIE_WRONG, hidden=False),
            PoolMember(id="c2", code=None, hidden=None)]  # fmt: skip
    record = BenchRecord(task_id="t/0", strategy="triloop", passed=True, detail="passed", pool=pool)
    (tmp_path / RESULTS_FILE).write_text(record.model_dump_json() + "\n")
    script = load_script("tester_quality")
    assert script.pool_drafts([tmp_path]) == {"t/0": {RIGHT: True, TIE_WRONG: False}}
    rows = [
        {"variant": "current", "tests": 4, "correct": 2, "reference_raises": 1, "wrong_drafts": 2,
         "wrong_caught": 1, "right_flagged": 0, "tokens": 300},
        {"variant": "current", "tests": 6, "correct": 0, "reference_raises": 0, "wrong_drafts": 0,
         "wrong_caught": 0, "right_flagged": 0, "tokens": 100},
    ]  # fmt: skip
    (summary,) = script.summarise(rows)
    assert summary["correct_share"] == 0.2 and summary["problems_without_a_correct_test"] == 1
    assert (summary["wrong_caught"], summary["problems_all_wrong_caught"]) == (1, 0)
    assert summary["tokens_per_problem"] == 200


def test_the_summary_table_fits_an_80_column_log():
    from rich.console import Console

    script = load_script("tester_quality")
    row = {"variant": "rules-in-spec", "tests": 55, "correct": 46, "reference_raises": 1, "wrong_drafts": 65,
           "wrong_caught": 59, "right_flagged": 2, "tokens": 3600}  # fmt: skip
    console = Console(width=80, record=True)
    console.print(script.summary_table(script.summarise([row]), 30))
    text = console.export_text()
    assert "…" not in text
    assert all(word in text for word in ("rules-in-spec", "59/65", "3600", "right flagged"))
