"""Questions: reasoning-gym's REAL generators and scorers, and question rows of a tasks file (no model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from triloop.bench.errors import BenchInputError
from triloop.bench.problems import BenchProblem, load_tasks
from triloop.bench.questions import TOOLS_MIX, ValueProblem, load_gym, parse_families, split_evenly
from triloop.bench.scoring import score_answer

pytest.importorskip("reasoning_gym", reason="question benches need the 'bench' extra (reasoning-gym)")


def jsonl(path: Path, *rows: object) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_n_is_split_evenly_with_the_remainder_to_the_first_families():
    assert split_evenly(70, 7) == [10] * 7
    assert split_evenly(10, 3) == [4, 3, 3]
    assert split_evenly(2, 2) == [1, 1]


def test_the_tools_mix_is_70_questions_ten_per_family_with_family_ids():
    problems = load_gym(TOOLS_MIX, 70, 0)
    assert len(problems) == 70 and len({p.task_id for p in problems}) == 70
    # one question of each family in turn, so a run stopped early has met every family
    assert [p.task_id for p in problems[:8]] == [f"{f}/0" for f in TOOLS_MIX] + ["count_primes/1"]
    assert problems[-1].task_id == "basic_arithmetic_large/9"
    families = [p.task_id.split("/")[0] for p in problems]
    assert [families.count(f) for f in TOOLS_MIX] == [10] * 7
    assert all(isinstance(p, ValueProblem) and p.question and p.answer for p in problems)


def test_gym_questions_are_the_same_for_the_same_families_n_and_seed():
    first = load_gym(["lcm", "count_primes"], 5, 3)
    again = load_gym(["lcm", "count_primes"], 5, 3)
    other = load_gym(["lcm", "count_primes"], 5, 4)
    assert [p.task_id for p in first] == ["lcm/0", "count_primes/0", "lcm/1", "count_primes/1", "lcm/2"]
    assert [(p.question, p.answer) for p in first] == [(p.question, p.answer) for p in again]
    assert [p.question for p in first] != [p.question for p in other]
    # entry i depends on the seed and i alone: a larger n keeps the earlier questions
    larger = {p.task_id: p.question for p in load_gym(["lcm", "count_primes"], 9, 3)}
    assert all(larger[p.task_id] == p.question for p in first)


def test_basic_arithmetic_large_has_big_operands_and_exact_integer_answers():
    problems = load_gym(["basic_arithmetic_large"], 10, 0)
    operands = [int(x) for p in problems for x in re.findall(r"\d+", p.question)]
    assert sum(x >= 1000 for x in operands) >= 0.8 * len(operands)  # 4- to 6-digit operands
    assert max(operands) >= 100_000
    assert all(re.fullmatch(r"-?\d+", p.answer or "") for p in problems)
    assert any(len((p.answer or "").lstrip("-")) >= 9 for p in problems)


def test_the_family_scorer_decides_and_an_answer_wrapped_for_display_still_counts():
    lcm = load_gym(["lcm"], 1, 0)[0]
    expected = lcm.answer or ""
    assert lcm.correct(expected) and lcm.correct(f"**{expected}**") and lcm.correct(f" {expected} ")
    assert not lcm.correct(str(int(expected) + 1)) and not lcm.correct(None) and not lcm.correct("  ")
    factor = load_gym(["prime_factorization"], 1, 0)[0]
    assert factor.correct(factor.answer or "") and not factor.correct("1")
    verdict = score_answer(lcm, "12")
    assert not verdict.passed and verdict.detail == f"wrong answer '12', expected {expected!r}"
    assert score_answer(lcm, expected).detail == "passed"
    assert score_answer(lcm, None).detail == "no answer"


def test_unknown_or_repeated_families_are_named_with_valid_ones():
    with pytest.raises(
        BenchInputError, match=r"unknown reasoning-gym family 'lcmm'; did you mean lcm\?"
    ) as e:
        parse_families(["count_primes,lcmm"])
    assert "basic_arithmetic_large" in str(e.value) and e.value.exit_code == 2
    with pytest.raises(BenchInputError, match="given twice"):
        parse_families(["lcm", "lcm"])
    with pytest.raises(BenchInputError, match="no reasoning-gym family"):
        parse_families([" , "])
    with pytest.raises(BenchInputError, match="fewer than the 2 families"):
        load_gym(["lcm", "count_primes"], 1, 0)
    with pytest.raises(BenchInputError, match="'composite' cannot be built"):
        load_gym(["composite"], 1, 0)


def test_a_tasks_file_of_question_rows_loads_and_scores_by_same_answer(tmp_path):
    path = jsonl(
        tmp_path / "q.jsonl",
        {"id": "q/1", "question": "What is 6 x 7?", "answer": "42"},
        "",
        {"id": "q/2", "question": "Half of 3?", "answer": 1.5},
    )
    first, second = load_tasks(path)
    assert isinstance(first, ValueProblem) and (first.task_id, first.answer) == ("q/1", "42")
    assert second.answer == "1.5"
    assert first.correct("42") and first.correct("42.0") and first.correct("**42**")
    assert not first.correct("41") and second.correct("1.5")


def test_coding_rows_still_load_as_coding_problems(tmp_path):
    row = {"task_id": "m/0", "prompt": "def f():\n", "entry_point": "f", "test": "def check(c): pass\n"}
    (problem,) = load_tasks(jsonl(tmp_path / "c.jsonl", row))
    assert isinstance(problem, BenchProblem)


QUESTION = {"id": "q/1", "question": "What is 6 x 7?", "answer": "42"}
CODING = {"task_id": "m/0", "prompt": "def f():\n", "entry_point": "f", "test": "def check(c): pass\n"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": "q/1", "question": "What?"}], "line 1: missing field 'answer'"),
        ([{"question": "What?", "answer": "1"}], "line 1: missing field 'id'"),
        ([{**QUESTION, "question": "  "}], "field 'question' must be a non-empty string"),
        ([{**QUESTION, "answer": None}], "'answer' must be a non-empty string or a number"),
        ([{**QUESTION, "answer": True}], "'answer' must be a non-empty string or a number"),
        (
            [QUESTION, CODING],
            "line 2: a coding task row in a file of question rows; one file holds one shape",
        ),
        ([CODING, QUESTION], "line 2: a question row in a file of coding task rows"),
        ([QUESTION, {"id": "q/2", "answer": "1"}], "line 2: missing field 'question'"),
        ([QUESTION, QUESTION], "line 2: id 'q/1' appears twice"),
        ([{"id": "x", "text": "?"}], "line 1: neither a coding task"),
    ],
)
def test_bad_question_rows_are_named_clearly(tmp_path, rows, message):
    with pytest.raises(BenchInputError, match=re.escape(message)) as caught:
        load_tasks(jsonl(tmp_path / "bad.jsonl", *rows))
    assert caught.value.exit_code == 2
