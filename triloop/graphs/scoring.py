"""Scoring candidates from evidence (in place of MAgICoRe's GPU reward models).

A candidate's score combines, over the components that are available:
execution evidence (tool calls ran, tests passed, arithmetic recomputed by code agrees), the Reviewer's
PRM-style step scores, and agreement of its final answer with the other candidates. Any failing
evidence caps the score below 0.5, so a candidate with a failing test never outranks a clean one.
"""

from __future__ import annotations

import ast
import operator
import re
from collections import defaultdict
from typing import NamedTuple

from triloop import syntax
from triloop.agents.models import Candidate, Evidence
from triloop.kinds.general.answers import canonical, same_answer, value_of

WEIGHTS = {"execution": 0.35, "steps": 0.4, "agreement": 0.25}
FAILING_CAP = 0.49
_CHECKED = ("tool", "code_run", "tests", "recompute", "written_arithmetic", "answer")

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_EQUATION = re.compile(r"([\d(][\d\s.,()+\-*/×x^%]*[\d)])\s*=\s*(-?\d[\d,]*(?:\.\d+)?)")
_CURRENCY = re.compile(r"[$£€¥](?=\s?\d)")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def safe_eval(expr: str) -> float | int | None:
    """Evaluate a plain arithmetic expression with Python's AST (no names, no calls); None if not one."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", expr).replace("×", "*").replace("^", "**")
    text = re.sub(r"(?<=\d)\s*x\s*(?=\d)", "*", text)
    try:
        tree = syntax.parse(text, mode="eval")
    except SyntaxError:
        return None

    def walk(node: ast.AST) -> float | int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 64:
                raise ValueError("exponent too large")
            return _OPS[type(node.op)](left, right)
        raise ValueError("not arithmetic")

    try:
        if not any(isinstance(n, ast.BinOp) for n in ast.walk(tree)):
            return None
        return walk(tree.body)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


class ArithmeticClaim(NamedTuple):
    """One ``<arithmetic> = <number>`` a candidate wrote, and what the arithmetic really gives."""

    step: int | None  # 1-based step; None: the final answer
    expr: str
    claimed: str
    value: float | int
    holds: bool

    def evidence(self) -> Evidence:
        detail = f"{self.expr} = {self.claimed}" + ("" if self.holds else f", but it is {self.value}")
        return Evidence(kind="recompute", passed=self.holds, detail=detail, step=self.step)


def arithmetic_claims(candidate: Candidate) -> list[ArithmeticClaim]:
    """Every ``<arithmetic> = <number>`` claim in the steps and the answer, recomputed by code."""
    found: list[ArithmeticClaim] = []
    texts = [*candidate.steps, candidate.answer]
    for index, text in enumerate(texts, 1):
        text = _CURRENCY.sub("", text)  # "$23.55 + $25.20 = $48.75" is arithmetic too
        for expr, claimed in _EQUATION.findall(text):
            value = safe_eval(expr)
            if value is None:
                continue
            step = index if index <= len(candidate.steps) else None
            holds = _close(float(value), float(claimed.replace(",", "")))
            found.append(ArithmeticClaim(step, expr.strip(), claimed, value, holds))
    return found


def recompute(candidate: Candidate) -> list[Evidence]:
    """Recompute by code every ``<arithmetic> = <number>`` claim in the steps and the answer."""
    return [claim.evidence() for claim in arithmetic_claims(candidate)]


def answer_vs_tool_output(candidate: Candidate) -> Evidence | None:
    """For a numeric answer: does it match the number the last successful ``run_python`` printed?"""
    runs = [c for c in candidate.tool_calls if c.tool == "run_python" and c.ok]
    answer = candidate.answer.strip()
    if not runs or value_of(answer) is None:
        return None
    printed_text = runs[-1].data.get("stdout", runs[-1].output)  # sandbox results carry raw stdout
    numbers = _NUMBER.findall(str(printed_text).strip())
    if len(numbers) != 1:
        return None
    printed = numbers[0]
    ok = same_answer(printed, answer)
    detail = f"code printed {printed}; answer is {answer}"
    return Evidence(kind="recompute", passed=ok, detail=detail)


def execution_component(evidence: list[Evidence]) -> float | None:
    """Fraction of checked evidence that passed; None if nothing checked.

    Failed tests decide it alone: the share of their checks that passed (0 when not counted), so a
    refinement that fixes some of the failing asserts shows progress.
    """
    checked = [e for e in evidence if e.kind in _CHECKED and e.passed is not None]
    if not checked:
        return None
    failed_tests = [e for e in checked if e.kind == "tests" and not e.passed]
    if failed_tests:
        return min(e.share or 0.0 for e in failed_tests)
    return sum(1.0 for e in checked if e.passed) / len(checked)


def steps_component(step_scores: list[float]) -> float | None:
    """PRM aggregate: half mean, half minimum (one wrong step spoils a chain)."""
    if not step_scores:
        return None
    return 0.5 * sum(step_scores) / len(step_scores) + 0.5 * min(step_scores)


_CODE_POINTER = re.compile(
    r"^(?:see|in|refer to) (?:the )?(?:code|function|solution)\b|^see (?:above|below)\b"
)


def answer_key(candidate: Candidate) -> str:
    """What votes and agreement compare: the behaviour cluster for code, else the normalized answer.

    An answer that only points at the candidate's code ("see code") says nothing about what the code
    does, so two such answers do not agree: each is its own key.
    """
    if candidate.behaviour is not None:  # code: candidates that behave alike on the checks agree
        return candidate.behaviour
    answer = canonical(candidate.answer)
    if candidate.code and (not answer or _CODE_POINTER.match(answer)):
        return f"#code:{lineage(candidate.id)}"
    return answer or f"#none:{candidate.id}"  # no answer agrees with nobody


def lineage(candidate_id: str) -> str:
    """The root draft a candidate descends from ("c1.r2" -> "c1")."""
    return candidate_id.split(".")[0]


def agreement(candidates: list[Candidate]) -> dict[str, float]:
    """Per candidate: share of the *other lineages* whose latest answer matches its answer.

    One vote per lineage, so a refinement does not inflate agreement by agreeing with its own parent.
    """
    latest: dict[str, Candidate] = {}
    for cand in candidates:
        root = lineage(cand.id)
        if root not in latest or cand.round > latest[root].round:
            latest[root] = cand
    if len(latest) < 2:
        return {}
    keys = {cand.id: answer_key(cand) for cand in candidates}
    out = {}
    for cand in candidates:
        others = [c for root, c in latest.items() if root != lineage(cand.id)]
        same = sum(1 for c in others if keys[c.id] == keys[cand.id])
        out[cand.id] = same / len(others)
    return out


def combine(candidate: Candidate, *, with_agreement: bool = True) -> float:
    """The candidate's score from its available components (weights renormalized).

    Without agreement it is the candidate's own evidence score, which decides "verified": a candidate
    whose code and steps check out is verified even when the others disagree with it.
    """
    available = {
        k: v for k, v in candidate.components.items() if k in WEIGHTS and (with_agreement or k != "agreement")
    }
    if not available:
        score = 0.5
    else:
        total = sum(WEIGHTS[k] for k in available)
        score = sum(WEIGHTS[k] * v for k, v in available.items()) / total
    if candidate.failing_evidence:
        score = FAILING_CAP * score  # below every clean candidate, but still ordered by its evidence
    return round(score, 4)


def is_verified(candidate: Candidate, threshold: float) -> bool:
    """Verified: no evidence failed, code checked the answer, and either the task's own tests passed
    (its acceptance criterion) or the evidence score without agreement clears ``threshold``."""
    if not candidate.verified_by_code:
        return False
    if any(e.kind == "tests" and e.passed for e in candidate.evidence):
        return True
    return combine(candidate, with_agreement=False) >= threshold


def vote_shares(candidates: list[Candidate], weighted: bool) -> dict[str, float]:
    """Share of the (score-weighted) vote per answer (see :func:`answer_key`)."""
    totals: dict[str, float] = defaultdict(float)
    for cand in candidates:
        totals[answer_key(cand)] += max(cand.score or 0.0, 1e-6) if weighted else 1.0
    whole = sum(totals.values()) or 1.0
    return {answer: value / whole for answer, value in totals.items()}
