"""Evidence about value answers: did the program run and print one, does stated arithmetic hold?

Runs inside each candidate's own graph task, so candidates are checked in parallel; agreement between
candidates is pool-level (:meth:`GeneralKind.evaluate`).
"""

from __future__ import annotations

from fractions import Fraction

from triloop.agents.models import Candidate, Evidence
from triloop.graphs.scoring import arithmetic_claims
from triloop.kinds.general.written import WrittenArithmetic, check

_NO_ANSWER = Evidence(kind="answer", passed=False, detail="no answer")


def _number(text: str) -> Fraction | None:
    try:
        return Fraction(text.replace(",", "").strip().rstrip("."))
    except (ValueError, ZeroDivisionError):
        return None


def _value_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else f"{value:.10g}"


def program_evidence(candidate: Candidate) -> list[Evidence]:
    """A program draft: it ran and printed an answer, or it failed (the error's tail is the detail)."""
    if not candidate.tool_calls:
        return [Evidence(kind="code_run", passed=False, detail="no program in the reply")]
    last = candidate.tool_calls[-1]
    if not last.ok:
        return [Evidence(kind="code_run", passed=False, detail="the program failed: " + last.output[-300:])]
    if not candidate.answer:
        return [Evidence(kind="code_run", passed=False, detail="the program printed nothing")]
    return [Evidence(kind="code_run", passed=True, detail=f"the program printed {candidate.answer!r}")]


def reasoning_evidence(candidate: Candidate) -> list[Evidence]:
    """A reasoning draft: its written-out arithmetic recomputed. When the final answer is the result of
    a slipped computation (``123457 * 654323 = 80780754600``), the answer is corrected to the computed
    value: the method was right and only the digits slipped."""
    claims = arithmetic_claims(candidate)
    found = [claim.evidence() for claim in claims]
    answer = _number(candidate.answer)
    for index in range(len(claims) - 1, -1, -1):
        claim = claims[index]
        if claim.holds or answer is None:
            continue
        if _number(claim.claimed) == answer:
            candidate.answer = _value_text(claim.value)
            found[index] = Evidence(
                kind="recompute",
                passed=None,
                step=claim.step,
                detail=f"corrected: {claim.expr} = {candidate.answer}",
            )
            break
    if not candidate.stated_answer:
        found.append(Evidence(kind="answer", passed=False, detail="no 'Final answer:' line"))
    return found


def value_evidence(candidate: Candidate, written: WrittenArithmetic | None = None) -> list[Evidence]:
    """The evidence of a value candidate, by how it was reached; against the question's own arithmetic
    when it writes one out (:mod:`.written`)."""
    found = program_evidence(candidate) if candidate.method == "program" else reasoning_evidence(candidate)
    if not candidate.answer.strip() and all(e.kind != "code_run" or e.passed for e in found):
        found.append(_NO_ANSWER)
    if written is not None and (against := check(written, candidate.answer)) is not None:
        found.append(against)
    return found


def checks_written_arithmetic(candidate: Candidate) -> bool:
    """Whether the candidate's answer equals the question's own arithmetic, evaluated exactly by code."""
    return any(e.kind == "written_arithmetic" and e.passed for e in candidate.evidence)
