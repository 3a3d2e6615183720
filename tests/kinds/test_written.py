"""The question's own arithmetic: detected only where the question is a written-out computation,
evaluated exactly, and every answer checked against it (equal, rounded, or different)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from triloop.kinds.general.written import check, evaluate, exact_program, written_arithmetic

DECIMAL = (
    "Please solve this problem to a maximum of 12 significant digits, rounding up from the half. "
    "Only reply with the final value.\n(0.664*6.635)*(5.867-4.618-4.105) = ?"
)


@pytest.mark.parametrize(
    ("question", "expr", "value"),
    [
        (DECIMAL, "(0.664*6.635)*(5.867-4.618-4.105)", Fraction("-12.58250784")),
        ("Calculate -32126 / 1 + -( -42736 * -63490 ) * 98130.", None, Fraction(-266256976875326)),
        ("What is 123457 * 654323? Use Python to compute it exactly.", "123457 * 654323", 80780754611),
        ("4.180+(7.365/3.440) = ?", "4.180+(7.365/3.440)", Fraction(108721, 17200)),
        ("What is 2^10?", "2^10", 1024),
        ("Compute 1,234 × 3", "1,234 × 3", 3702),
        ("What is 7 - 3?", "7 - 3", 4),
        ("Evaluate 1+2-3+10", "1+2-3+10", 10),
    ],
)
def test_a_written_out_computation_is_found_and_evaluated_exactly(question, expr, value):
    found = written_arithmetic(question)
    assert found is not None and found.value == value
    if expr is not None:
        assert found.expr == expr


@pytest.mark.parametrize(
    "question",
    [
        "What day of the week is 2024-03-01?",  # a date, not a subtraction
        "How many pages are in 10-20?",  # a range
        "What is 3/4 as a percent?",  # a conversion
        "What is 15% of 80?",
        "If x = 3 + 4, what is 2*x?",  # a variable
        "Ana buys 17 pens at $1.35 and pays 100 * 1 dollars. How much change?",  # other numbers
        "What is 5 * 3 and 2 * 4?",  # two computations
        "What is 12 mod 5 * 2?",
        "Who wrote Hamlet?",
        "The meeting runs 10:30 - 11:45. How long is it?",
    ],
)
def test_anything_else_is_not_taken_for_one(question):
    assert written_arithmetic(question) is None


@pytest.mark.parametrize("expr", ["2 ** 100000", "9 ^ 9 ^ 9", "1 / 0", "abs(-3) + 1", "2 ** 0.5", "1, 2 + 3"])
def test_evaluation_refuses_what_is_not_small_exact_arithmetic(expr):
    assert evaluate(expr) is None


def test_answers_are_checked_against_the_exact_value():
    written = written_arithmetic("4.180+(7.365/3.440) = ?")
    assert written is not None
    right = check(written, "6.32098837209")
    assert right is not None and right.passed is True and right.kind == "written_arithmetic"
    rounded = check(written, "6.32")  # consistent at the digits it gives: no verdict either way
    assert rounded is not None and rounded.passed is None
    wrong = check(written, "1.259198976")
    assert wrong is not None and wrong.passed is False and "6.32098837209302" in wrong.detail
    assert check(written, "Friday") is None  # not a number: other evidence judges it


def test_an_integer_answer_must_be_exact():
    written = written_arithmetic("What is 123457 * 654323?")
    assert written is not None
    assert check(written, "80,780,754,611").passed is True
    assert check(written, "80780754600").passed is False  # a slipped digit is not "rounded"


@pytest.mark.parametrize(
    ("question", "printed"),
    [
        ("Calculate -32126 / 1 + -( -42736 * -63490 ) * 98130.", "-266256976875326"),
        (DECIMAL, "-12.58250784"),  # exact: no float noise from 0.664*6.635
        ("Compute 1,234 × 3^2", "11106"),
        ("What is 10 / 3 * 2?", "6.66666666666667"),
    ],
)
def test_the_exact_program_prints_the_exact_value(question, printed, capsys):
    written = written_arithmetic(question)
    assert written is not None
    exec(exact_program(written.expr), {})  # our own generated code, not a model's
    assert capsys.readouterr().out.strip() == printed
