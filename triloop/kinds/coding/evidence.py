"""The coding kind's scoring rules on a candidate's executed checks (pure functions, no sandbox).

A candidate's own score weighs the user's tests over the task's examples. Generated tests are not part
of it: their expected values come from the same small model and are often wrong, so they count only
through agreement (:func:`~triloop.kinds.coding.checks.codet_scores`), where they order clusters of
candidates that behave alike. "Verified" means checks passed, never that the code ran.
"""

from __future__ import annotations

from triloop.agents.models import Candidate
from triloop.kinds.coding.checks import RunReport

#: Evidence weights of the candidate's own score: the user's tests > the task's examples.
WEIGHTS = {"user": 3.0, "doctest": 2.0}


def report_of(candidate: Candidate) -> RunReport:
    """The candidate's check report (a module that loaded and ran no checks, when it has none)."""
    return RunReport.model_validate(candidate.report or {"loaded": True})


def first_failure_text(report: RunReport, source: str) -> str:
    for o in report.outcomes:
        if o.source == source and o.passed is False:
            return f"; first failure: {o.call} returned {o.got}, expected {o.expected}"
    return ""


def evidence_score(candidate: Candidate) -> float | None:
    """The candidate's own evidence score: shares of the user's tests and the task's examples passed
    (None without either: then agreement alone ranks it)."""
    if candidate.code is None:
        return 0.0
    report = report_of(candidate)
    if not report.loaded:
        return 0.0
    shares: dict[str, float] = {}
    if report.total("doctest"):
        shares["doctest"] = report.passed("doctest") / report.total("doctest")
    for e in candidate.evidence:
        if e.kind == "tests":
            shares["user"] = e.share if e.share is not None else float(bool(e.passed))
    if not shares:
        return None
    return sum(WEIGHTS[k] * v for k, v in shares.items()) / sum(WEIGHTS[k] for k in shares)


def verified(candidate: Candidate) -> bool:
    """Checks passed: the user's tests and the task's examples all pass, and, without user tests (the
    acceptance criterion when given), most of the generated ones (which can be wrong themselves)."""
    if candidate.code is None or candidate.failing_evidence:
        return False
    report = report_of(candidate)
    generated = report.total("generated")
    user_tests = any(e.kind == "tests" for e in candidate.evidence)
    if not report.loaded or not (report.total("doctest") or generated or user_tests):
        return False
    return user_tests or not generated or report.passed("generated") / generated >= 0.5


def checks_passed(candidate: Candidate) -> tuple[float, int]:
    """(share of the user's tests passed, examples and generated tests passed) of a candidate."""
    report = report_of(candidate)
    user = [
        e.share if e.share is not None else float(bool(e.passed))
        for e in candidate.evidence
        if e.kind == "tests"
    ]
    return (user[-1] if user else 0.0), report.passed()
