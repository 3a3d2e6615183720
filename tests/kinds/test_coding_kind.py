"""The coding kind's rules on fixed evidence: never keep a refinement that passes fewer checks; what
"verified" means for code (checks passed, never "it ran")."""

from __future__ import annotations

from triloop.agents.models import Candidate, Evidence
from triloop.kinds.coding.checks import CheckOutcome, RunReport
from triloop.kinds.coding.evidence import evidence_score, verified
from triloop.kinds.coding.kind import CodingKind


def outcome(source: str, passed: bool) -> CheckOutcome:
    return CheckOutcome(call="f(1)", expected="1", source=source, passed=passed, got="1" if passed else "2")


def candidate(cid: str, outcomes: list[CheckOutcome], score: float, evidence: list[Evidence] | None = None):
    report = RunReport(loaded=True, outcomes=outcomes)
    return Candidate(
        id=cid,
        code="def f(x):\n    return x\n",
        report=report.model_dump(),
        score=score,
        evidence=evidence or [],
    )


def test_a_refinement_that_passes_fewer_checks_is_not_kept_whatever_its_score():
    kind = CodingKind({})
    parent = candidate(
        "c0", [outcome("doctest", True), outcome("generated", True), outcome("generated", False)], 0.5
    )
    fewer = candidate(
        "c0.r1", [outcome("doctest", True), outcome("generated", False), outcome("generated", False)], 0.9
    )
    better = candidate(
        "c0.r1", [outcome("doctest", True), outcome("generated", True), outcome("generated", True)], 0.7
    )
    assert not kind.keeps(fewer, parent)
    assert kind.keeps(better, parent)
    assert not kind.keeps(better.model_copy(update={"score": 0.4}), parent)  # nor one that scores lower


def test_a_refinement_that_ties_its_parent_is_not_kept():
    # HumanEval/38 (v7): the refinement behaved like the right greedy draft on every check, tied it,
    # replaced it, and failed the hidden tests. No gain shown: the parent stays.
    kind = CodingKind({})
    checks = [outcome("generated", False), outcome("generated", True)]
    parent = candidate("c0", checks, 1.0)
    assert not kind.keeps(candidate("c0.r1", checks, 1.0), parent)
    joins_a_cluster = candidate("c0.r1", checks, 0.6)
    assert kind.keeps(joins_a_cluster, parent.model_copy(update={"score": 0.5}))  # higher agreement


def test_user_tests_dominate_and_verify():
    user_pass = Evidence(kind="tests", passed=True, share=1.0)
    user_fail = Evidence(kind="tests", passed=False, share=0.5)
    generated_bad = [outcome("generated", False), outcome("generated", False), outcome("generated", True)]
    passing = candidate("c0", generated_bad, 0.5, [user_pass])
    assert verified(passing)  # the user's acceptance tests pass: verified, whatever generated tests say
    failing = candidate("c1", generated_bad, 0.5, [user_fail]).model_copy(update={"failing_evidence": True})
    assert not verified(failing)
    assert evidence_score(passing) > evidence_score(failing)


def test_generated_tests_rank_through_agreement_not_the_candidates_own_score():
    examples_pass = candidate("c0", [outcome("doctest", True), outcome("generated", False)], 0.5)
    also_generated = candidate("c1", [outcome("doctest", True), outcome("generated", True)], 0.5)
    assert evidence_score(examples_pass) == evidence_score(also_generated) == 1.0
    only_generated = candidate("c2", [outcome("generated", True)], 0.5)
    assert evidence_score(only_generated) is None  # no example, no user test: agreement alone ranks it


def test_verified_needs_checks_not_just_a_run():
    nothing_checked = candidate("c0", [], 0.5)
    assert not verified(nothing_checked)
    examples_pass = candidate("c1", [outcome("doctest", True), outcome("generated", True)], 0.5)
    assert verified(examples_pass)
    mostly_wrong = candidate("c2", [outcome("doctest", True), *[outcome("generated", False)] * 3], 0.5)
    assert not verified(mostly_wrong)  # most generated tests fail: not verified (but not failing evidence)
