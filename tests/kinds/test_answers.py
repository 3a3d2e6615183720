"""Answers as values (triloop.kinds.general.answers): reading them, keying them, comparing them.

A wrong "same" merges different answers into a false majority, a wrong "different" splits a right one,
so both directions are tested, the tricky negatives most of all.
"""

from __future__ import annotations

import time

import pytest

from triloop.kinds.general.answers import canonical, display, extract_answer, same_answer

SAME = [
    # numbers: separators, signs, decimals, exponents
    ("1,234", "1234"),
    ("1,234,567", "1234567"),
    ("1 234", "1234"),
    ("1\u202f234", "1234"),
    ("1\\,234", "1234"),
    ("51.85", "51.850"),
    ("5.0", "5"),
    ("-5", "−5"),
    ("+5", "5"),
    ("0.5", ".5"),
    ("1.5e10", "15000000000"),
    ("6.02e23", "6.02 × 10^23"),
    ("6.02 \\times 10^{23}", "602000000000000000000000"),
    ("6.02×10²³", "6.02e23"),
    ("1e-3", "0.001"),
    ("10^6", "1000000"),
    ("80780754611", "80,780,754,611"),
    ("123456789012345678901234567890", "123,456,789,012,345,678,901,234,567,890"),
    # fractions
    ("3/4", "0.75"),
    ("\\frac{3}{4}", "0.75"),
    ("\\dfrac{3}{4}", "3/4"),
    ("\\boxed{\\frac{3}{4}}", "0.75"),
    ("$\\boxed{\\dfrac{1}{3}}$", "1/3"),
    ("2/6", "1/3"),
    ("-\\frac{1}{3}", "−1/3"),
    ("1 1/2", "1.5"),
    ("1/3", "0.333333"),
    ("1/3", "0.3333333333"),
    ("2", "1.9999999999"),
    ("0.30000000000000004", "0.3"),
    # units and currencies are dropped
    ("$51.85", "51.85"),
    ("$51.85", "51.85 dollars"),
    ("£28,080", "28080"),
    ("28,080 GBP", "£28,080"),
    ("USD 12", "12"),
    ("-$5", "-5"),
    ("$-5", "-5"),
    ("12 km", "12"),
    ("12km", "12 km"),
    ("45%", "45"),
    ("45 percent", "45%"),
    ("5 days", "5"),
    ("90°", "90"),
    ("5 m", "5"),
    ("1.2 million", "1200000"),
    ("$3 billion", "3000000000"),
    ("about 5", "5"),
    ("approx. 5", "5"),
    ("≈ 3.14", "3.14"),
    # prose around one number
    ("42 apples", "42"),
    ("The answer is 42.", "42"),
    ("Final answer: 42", "42"),
    ("Final answer: The answer is 42.", "42"),
    ("answer: 42", "42"),
    ("x = 42", "42"),
    ("n=42", "42"),
    ("42, because 6 × 7 = 42", "42"),
    ("42 because six sevens", "42"),
    ("42 (approximately)", "42"),
    ("**42**", "42"),
    ("`42`", "42"),
    ("42.", "42"),
    ("(5)", "5"),
    # products of factors: one normalised text key
    ("2 × 433", "2*433"),
    ("2 × 433", "2 x 433"),
    ("2 × 433", "2\\times 433"),
    ("2·433", "2 × 433"),
    ("2^3 × 3", "2**3 * 3"),
    ("2^3 × 3", "2³×3"),
    ("2^{3} \\cdot 3", "2^3 * 3"),
    # lists
    ("3, 5, 7", "3,5,7"),
    ("3, 5, 7", "[3, 5, 7]"),
    ("3, 5, 7", "(3, 5, 7)"),
    ("3, 5, 7", "3, 5, and 7"),
    ("3, 5, 7", "3, 5 and 7"),
    ("1,234, 5,678", "1234, 5678"),
    ("1/2, 3/4", "0.5, 0.75"),
    ("['a', 'b']", "a, b"),
    ("\\{1, 2\\}", "1, 2"),
    ("A, B and C", "a, b, c"),
    # yes / no
    ("Yes.", "yes"),
    ("YES", "yes"),
    ("True", "yes"),
    ("false", "No"),
    ("Yes, because 17 is prime", "yes"),
    ("No, 15 = 3 × 5.", "no"),
    ("**No**", "no"),
    # dates and weekdays
    ("2024-03-05", "March 5, 2024"),
    ("2024-03-05", "5 March 2024"),
    ("2024-03-05", "Mar 5 2024"),
    ("2024-03-05", "Mar. 5th, 2024"),
    ("2024-03-05", "the 5th of March, 2024"),
    ("2024-03-05", "Tuesday, March 5, 2024"),
    ("2024-09-05", "Sept. 5, 2024"),
    ("2024-3-5", "2024/03/05"),
    ("Tuesday", "tuesday"),
    # times
    ("14:30", "2:30 PM"),
    ("14:30", "2:30pm"),
    ("14:30", "2:30 p.m."),
    ("14:30", "14:30:00"),
    ("14:30:05", "2:30:05 PM"),
    ("00:15", "12:15 AM"),
    ("12:00", "12 pm"),
    ("5 PM", "17:00"),
    # text
    ("Paris", "paris"),
    ("Paris.", "  PARIS  "),
    ("The Eiffel Tower", "eiffel tower"),
    ("an apple", "Apple"),
    ('"hello"', "hello"),
    ("“hello”", "'hello'"),
    ("New   York", "new york"),
    ("(B)", "B"),
    ("\\text{blue}", "blue"),
    ("x + 1", "x+1"),
    ("y = 2x + 3", "2x+3"),
    ("x − 1", "x-1"),
    ("√2", "\\sqrt{2}"),
]

DIFFERENT = [
    # factorisations are not their product nor their first factor
    ("2 × 433", "866"),
    ("2 × 433", "2"),
    ("2 × 433", "433"),
    ("2 × 433", "433 × 2"),
    ("2^3 × 3", "24"),
    ("123457*654323", "80780754611"),
    # lists are not numbers, and keep their order
    ("3, 5, 7", "357"),
    ("3, 5, 7", "3"),
    ("3, 5, 7", "7, 5, 3"),
    ("1, 234", "1234"),
    ("3 5 7", "357"),
    # close numbers
    ("0.33", "1/3"),
    ("0.3333", "1/3"),
    ("80780754611", "80780754612"),
    ("123456789012345678901234567890", "123456789012345678901234567891"),
    ("1000000", "1000001"),
    ("1e10", "10000000001"),
    ("0", "0.0000001"),
    ("5", "-5"),
    ("3/4", "4/3"),
    ("1/2", "1:2"),
    # the percent sign is a unit: 45% is 45, not 0.45
    ("45%", "0.45"),
    # words and marks that change the value
    ("5 or more", "5"),
    ("at least 5", "5"),
    ("5 squared", "5"),
    ("5²", "5"),
    ("5!", "5"),
    ("5!", "120"),
    ("2x", "2"),
    ("2 x", "2"),
    ("5m", "5"),
    ("2π", "2"),
    ("√2", "2"),
    ("5 thousandths", "5"),
    ("5 and a half", "5"),
    ("5 million", "5"),
    ("1 1/2", "11/2"),
    ("1/0", "0"),
    ("-5 - 3", "-8"),
    # yes / no
    ("yes", "no"),
    ("No solution", "no"),
    ("None", "no"),
    ("yes, no, yes", "yes"),
    ("0", "no"),
    ("1", "yes"),
    # dates and times
    ("2024-03-05", "2024-05-03"),
    ("2024-02-30", "2024-03-01"),
    ("03/05/2024", "2024-03-05"),
    ("March 5, 2024", "March 5, 2023"),
    ("Tuesday", "Wednesday"),
    ("14:30", "2:30"),
    ("14:30", "14:30:05"),
    ("2:30 AM", "2:30 PM"),
    ("12", "12:00"),
    # text
    ("Paris", "Paris, France"),
    ("the cat", "cat food"),
    ("x + 1", "x - 1"),
    ("a", "b"),
]

EMPTY = ["", "   ", "**", "``", "$$", "\\boxed{}", "Final answer:", "The answer is"]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same(a: str, b: str) -> None:
    assert same_answer(a, b), (canonical(a), canonical(b))
    assert same_answer(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different(a: str, b: str) -> None:
    assert not same_answer(a, b), (canonical(a), canonical(b))
    assert not same_answer(b, a)


@pytest.mark.parametrize("empty", EMPTY)
def test_empty_is_never_the_same(empty: str) -> None:
    assert canonical(empty) == ""
    assert not same_answer(empty, empty)
    assert not same_answer(empty, "")
    assert not same_answer(empty, "42")


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("80780754611", "80780754611"),
        ("8.0780754611e10", "80780754611"),
        ("123456789012345678901234567890", "123456789012345678901234567890"),
        ("51.850", "51.85"),
        ("5.0", "5"),
        ("-0", "0"),
        ("3/4", "0.75"),
        ("-3/4", "-0.75"),
        ("1/3", "1/3"),
        ("-\\frac{2}{6}", "-1/3"),
        ("1/40", "0.025"),
        ("1e-5", "0.00001"),
        ("$51.85", "51.85"),
        ("45%", "45"),
        ("5 days", "5"),
        ("2 × 433", "2×433"),
        ("3, 5, 7", "3, 5, 7"),
        ("Yes.", "yes"),
        ("March 5, 2024", "2024-03-05"),
        ("2:30 PM", "14:30"),
        ("14:30:05", "14:30:05"),
        ("The Eiffel Tower.", "eiffel tower"),
        ("Tuesday", "tuesday"),
    ],
)
def test_canonical_keys(answer: str, key: str) -> None:
    assert canonical(answer) == key


def test_keys_are_consistent_with_same_answer() -> None:
    """Equal keys always mean the same answer; numbers differ in key but match within tolerance."""
    assert canonical("1/3") != canonical("0.333333")
    assert same_answer("1/3", "0.333333")
    for a, b in DIFFERENT:
        assert canonical(a) != canonical(b)


def test_huge_exponents_stay_cheap() -> None:
    assert not same_answer("1e1000000000", "1e1000000001")
    assert canonical("1e1000000000") == "1e1000000000"


@pytest.mark.parametrize(
    "text", ["\\boxed{" * 5000, "\\frac{" * 3000 + "}{1}" * 3000, "1," * 5000, "**a" * 5000]
)
def test_broken_input_is_handled_quickly(text: str) -> None:
    start = time.monotonic()
    canonical(text), display(text), extract_answer(text), same_answer(text, text)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Step 1: add.\nFinal answer: 42", "42"),
        ("Final answer: 42.", "42"),
        ("**Final answer:** 42", "42"),
        ("**Final answer**: 42", "42"),
        ("Final Answer = 42", "42"),
        ("The final answer is 42.", "42"),
        ("The final answer is: 3.14.", "3.14"),
        ("Final answer: `x = 3`", "x = 3"),
        ("Final answer: **Paris**", "Paris"),
        ("final answer:\n\n42", "42"),
        ("Final answer: 41\nWait, recheck.\nFinal answer: 42", "42"),
        ("Final answer: $51.85", "$51.85"),
        ("Final answer: U.S.", "U.S."),
        ("Final answer: 51.85 dollars", "51.85 dollars"),
        ("so \\boxed{5} and then \\boxed{7}", "7"),
        ("the result is \\boxed{\\frac{3}{4}}.", "\\frac{3}{4}"),
        ("$\\boxed{\\dfrac{\\sqrt{3}}{2}}$", "\\dfrac{\\sqrt{3}}{2}"),
        ("\\boxed{12}\nFinal answer: 12 km", "12 km"),
        ("Final answer:\n\\boxed{7}", "\\boxed{7}"),
    ],
)
def test_extract_answer(text: str, answer: str) -> None:
    assert extract_answer(text) == answer


@pytest.mark.parametrize(
    "text",
    ["", "The sum is 42.", "Before the final answer, check.", "\\boxed{", "\\boxed{}", "Final answer:   "],
)
def test_extract_answer_none(text: str) -> None:
    assert extract_answer(text) is None


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("\\boxed{42}", "42"),
        ("\\boxed{\\frac{3}{4}}", "3/4"),
        ("$\\dfrac{1}{3}$", "1/3"),
        ("\\frac{a+b}{2}", "(a+b)/2"),
        ("**51.85 dollars**", "51.85 dollars"),
        ("51.85 dollars.", "51.85 dollars"),
        ("$51.85", "$51.85"),
        ("`x = 3`", "x = 3"),
        ("12 \\text{ km}", "12 km"),
        ("5\\,\\text{kg}", "5kg"),
        ("6.02 \\times 10^{23}", "6.02 × 10^23"),
        ("Paris", "Paris"),
        ("U.S.", "U.S."),
        ("2 × 433", "2 × 433"),
        ("  Tuesday  ", "Tuesday"),
    ],
)
def test_display(answer: str, shown: str) -> None:
    assert display(answer) == shown


@pytest.mark.parametrize("answer", ["**", "$$", ".", "``", "   ", "\\boxed{}"])
def test_display_is_never_empty(answer: str) -> None:
    assert display(answer)
