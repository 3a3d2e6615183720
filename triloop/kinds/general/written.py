"""The question's own arithmetic: when a question is a written-out computation ("Calculate -32126 / 1 +
-( -42736 * -63490 ) * 98130."), code evaluates it exactly and every answer is checked against it.

A small model copying a long expression into a program drops or swaps operands (``0.664*6.635`` became
``0.664*0.664`` in a bench trace), and two drafts can repeat the slip and agree; the question's own text
cannot slip. Detection is strict on purpose, since a wrong value here fails right answers: one expression
that holds every number of the question (a precision phrase like "12 significant digits" aside), no
date-like or bare ``10-20`` runs, and nothing that asks for a conversion (percent, base, remainder).
Evaluation is exact (fractions, not floats) and walks the syntax tree: no names, no calls, small powers.
"""

from __future__ import annotations

import ast
import re
from fractions import Fraction
from typing import NamedTuple

from triloop import syntax
from triloop.agents.models import Evidence
from triloop.kinds.general.answers import value_of

_RUN = re.compile(r"(?:[-+(]\s*)*(?:\d|\.\d)[\d.,\s()+\-*/×÷^]*[\d)]")
_BETWEEN = re.compile(r"(?<=[\d)])\s*[-+/]\s*(?=[-+(.\d])")  # an operator between operands
_PRECISION = re.compile(
    r"\b\d+\s+(?:significant\s+(?:digits|figures)|decimal\s+(?:places|digits)|digits)\b", re.IGNORECASE
)
_CONVERSION = re.compile(
    r"%|percent|fraction|\bbase\b|binary|hex|octal|roman|scientific|in words|\bmod(?:ulo)?\b|remainder"
    r"|digits? of|\bif\b|\bwhere\b|\bx\b|\by\b",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}")
_MAX_BITS = 4096  # a value with more bits than this is not checked (and not built: powers are bounded)

_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class WrittenArithmetic(NamedTuple):
    """The expression a question writes out, and its exact value."""

    expr: str
    value: Fraction


def written_arithmetic(question: str) -> WrittenArithmetic | None:
    """The computation ``question`` writes out and its exact value, or None when it is not one."""
    if _CONVERSION.search(question) or _DATE.search(question):
        return None
    runs = [m for m in _RUN.finditer(question) if _is_computation(m[0])]
    if len(runs) != 1:
        return None
    run = runs[0]
    outside = _PRECISION.sub("", question[: run.start()] + " " + question[run.end() :])
    if re.search(r"\d", outside):  # other numbers: a word problem, not a written computation
        return None
    expr = run[0].strip().rstrip(".").strip()
    value = evaluate(expr)
    return WrittenArithmetic(expr, value) if value is not None else None


def _is_computation(run: str) -> bool:
    """``4 * 5``, ``2^10``, ``7 - 3``, ``1+2-3``: but not ``10-20`` or ``3/4`` (a range, a fraction)."""
    if re.search(r"[*×÷^]", run) or re.search(r"\s[-+/]\s", run):
        return True
    return len(_BETWEEN.findall(run)) >= 2


def _python_operators(expr: str) -> str:
    """``×``, ``÷`` and ``^`` written as Python's ``*``, ``/`` and ``**``."""
    return expr.replace("×", "*").replace("÷", "/").replace("^", "**")


def evaluate(expr: str) -> Fraction | None:
    """The exact value of a plain arithmetic expression (``×``, ``÷``, ``^`` read as Python's), or None."""
    text = _python_operators(re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", expr))
    if "," in text:
        return None
    try:
        tree = syntax.parse(text, mode="eval")
        value = _walk(tree.body, text)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if value.numerator.bit_length() > _MAX_BITS or value.denominator.bit_length() > _MAX_BITS:
        return None
    return value


def _walk(node: ast.AST, text: str) -> Fraction:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Fraction(ast.get_source_segment(text, node) or "")  # the digits as written: 6.635 exactly
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _walk(node.operand, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exponent = _walk(node.left, text), _walk(node.right, text)
        if exponent.denominator != 1 or abs(exponent) > 64 or (base == 0 and exponent < 0):
            raise ValueError("not a small integer power")
        return base ** int(exponent)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_walk(node.left, text), _walk(node.right, text))
    raise ValueError("not arithmetic")


def _half_unit(answer: str) -> Fraction:
    """Half a unit in the last place the answer writes: "6.32" -> 0.005, "12" -> 0.5."""
    digits = re.search(r"\.(\d+)(?!.*\d)", answer)
    return Fraction(1, 2 * 10 ** len(digits[1])) if digits else Fraction(1, 2)


def check(written: WrittenArithmetic, answer: str) -> Evidence | None:
    """An answer against the question's own arithmetic: equal (passed), equal at the precision the answer
    writes (no verdict: "6.32" for 6.3209...), or different (failed). None when the answer is no number."""
    value = value_of(answer)
    if value is None:
        return None
    exact = written.value
    said = f"the question's arithmetic {written.expr} is {_shown(exact)}"
    close = exact.denominator != 1 and abs(value - exact) <= Fraction(1, 10**9) * abs(exact)
    if value == exact or close:  # an integer exactly; a fraction to the digits a float prints
        return Evidence(kind="written_arithmetic", passed=True, detail=said)
    if abs(value - exact) <= _half_unit(answer):
        return Evidence(
            kind="written_arithmetic", passed=None, detail=said + f"; the answer {answer} is it rounded"
        )
    return Evidence(kind="written_arithmetic", passed=False, detail=said + f", not {answer}")


def _shown(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.15g}"


_LITERAL = re.compile(r"\d[\d,]*(?:\.\d*)?|\.\d+")


def exact_program(expr: str) -> str:
    """A program that evaluates ``expr`` exactly (every number a ``Fraction`` of its digits as written)
    and prints the value: an integer as it is, else to 15 significant digits."""
    python = _LITERAL.sub(lambda m: f'F("{m[0].replace(",", "")}")', _python_operators(expr))
    return (
        "from fractions import Fraction as F\n\n"
        f"value = {python}\n"
        'print(value.numerator if value.denominator == 1 else format(float(value), ".15g"))\n'
    )
