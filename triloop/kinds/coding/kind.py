"""The coding kind: drafts as plain code, evidence from executed checks, trace-grounded refinement.

* Drafts: one lean prompt shared by all drafts (the plain single call; the greedy draft *is* the plain
  answer), code taken with ``ast`` (:mod:`.extract`), one fix request naming the defect.
* Evidence (:meth:`CodingKind.evaluate`): every candidate runs in the sandbox on the task's own examples
  (doctests), the Tester's generated tests (CodeT) and the user's tests. Candidates that behave alike on
  those inputs form a cluster; CodeT's dual execution agreement (cluster size x tests passed) is the
  agreement component. "Verified" means checks passed, never that the code ran.
* Review and refinement (LDB): :mod:`.repair`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triloop.agents.base import AgentContext
from triloop.agents.errors import AgentParseError
from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate, Evidence, Feedback
from triloop.graphs.scoring import combine
from triloop.graphs.state import StrategyPlan
from triloop.kinds.coding import prompts, repair
from triloop.kinds.coding.checks import Check, RunReport, behaviour_clusters, codet_scores, run_checks
from triloop.kinds.coding.evidence import checks_passed, evidence_score, first_failure_text, verified
from triloop.kinds.coding.reply import CODE_STOP, code_reply
from triloop.kinds.coding.spec import (
    CodeSpec,
    doctest_checks,
    generated_checks,
    signature_entry_point,
    task_entry_point,
)
from triloop.llm.base import Message
from triloop.tools.base import Tool

#: Draft temperatures: greedy first (the plain answer), then sampled for diversity.
DRAFT_TEMPERATURES = (0.0, 0.8)
GENERATED_TESTS = 6


def draft_messages(task: str, entry_point: str | None, signature: str | None = None) -> list[Message]:
    if entry_point and f"def {entry_point}" in task:
        content = prompts.DRAFT_STUB.format(task=task.rstrip() + "\n")
    else:
        sig = f" (the function `{signature or entry_point}`)" if signature or entry_point else ""
        content = prompts.DRAFT_OPEN.format(task=task.strip(), signature=sig)
    return [{"role": "user", "content": content}]


class CodingKind:
    """Code checked by execution; needs the sandbox the execution tools run in."""

    name = "coding"
    # a review + refinement costs two long prompts: one per round keeps hard problems affordable
    review_top = 1
    # more samples before any review: a draft costs ~300 tokens, a review + refinement ~1,800, and on
    # problems the first drafts do not settle two more often add a cluster the checks can pick
    widen = 2
    # adaptive consistency: two drafts that behave alike and pass the checks settle the problem as the
    # third could not outvote them (it saves a draft on most problems); otherwise the rest of k follow
    first_drafts = 2
    # code that no check verified: the best evidence (a lone draft passing the examples beats a majority
    # failing them) rather than the vote
    unsure_pick = "best"

    def widen_for(self, run: Mapping[str, Any]) -> int:
        return self.widen

    def __init__(self, tools: Mapping[str, Tool]) -> None:
        self.tools = dict(tools)
        tool = self.tools.get("run_tests") or self.tools.get("run_python")
        self.sandbox = getattr(tool, "sandbox", None)  # the execution tools' sandbox (None: no execution)

    # --- intake --------------------------------------------------------------------------------

    def claims(self, run: Mapping[str, Any]) -> bool:
        """A task is code by its shape: a ``def`` stub or signature, a named function, or tests to pass."""
        return bool(
            run.get("entry_point") or run.get("tests") or task_entry_point(run["task"], run.get("signature"))
        )

    def prepare(self, ctx: AgentContext, run: Mapping[str, Any]) -> dict[str, Any]:
        """The function to write (from the stub or signature; else the model names one) and the task's
        own examples as checks."""
        signature = run.get("signature") or ""
        entry = run.get("entry_point") or task_entry_point(run["task"], signature)
        if not entry:
            signature = self._name_function(ctx, run["task"])
            entry = signature_entry_point(signature)
        spec = CodeSpec(entry_point=entry, doctests=doctest_checks(run["task"], entry) if entry else [])
        return {"entry_point": entry, "signature": signature or None, "spec": spec.model_dump(mode="json")}

    def _name_function(self, ctx: AgentContext, task: str) -> str:
        """The signature of the function a code request asks for ("" for a script or a fix)."""
        messages = [
            {"role": "system", "content": prompts.SIGNATURE},
            {"role": "user", "content": task},
        ]
        try:
            reply = ctx.complete_json(
                messages, prompts.SignatureReply, role="solver", purpose="signature", temperature=0.0
            )
        except (AgentParseError, BudgetExhausted):
            return ""
        return reply.signature if signature_entry_point(reply.signature) else ""

    def wants_checks(self, run: Mapping[str, Any], plan: StrategyPlan) -> bool:
        """Generated tests (CodeT) only pay where there is a function to call and a pool to choose from."""
        return bool(run.get("entry_point")) and plan.refine and plan.k > 1

    def write_checks(self, ctx: AgentContext, run: Mapping[str, Any]) -> dict[str, Any]:
        """The Tester node: generated tests added to the spec."""
        spec = CodeSpec.model_validate(run.get("spec") or {})
        try:
            spec.generated = self.write_tests(ctx, run)
        except BudgetExhausted as exc:
            ctx.emit({"type": "budget_stop", "reason": str(exc)})
        ctx.emit({"type": "tests", "tests": [c.model_dump() for c in spec.generated]})
        return {"spec": spec.model_dump(mode="json")}

    # --- drafting ------------------------------------------------------------------------------

    def draft(
        self, ctx: AgentContext, run: Mapping[str, Any], *, index: int, cid: str, temperature: float
    ) -> Candidate:
        messages = draft_messages(run["task"], run.get("entry_point"), run.get("signature"))
        if run.get("context"):  # what memory holds on similar tasks (off in benchmarks)
            messages[0]["content"] += "\n\nFrom memory (may help):\n" + run["context"]
        temp = DRAFT_TEMPERATURES[min(index, len(DRAFT_TEMPERATURES) - 1)]
        code, raw = code_reply(ctx, messages, run, role="solver", purpose=f"solve:{cid}", temperature=temp)
        return Candidate(id=cid, temperature=temp, answer="see code", code=code, raw=raw)

    def write_tests(
        self, ctx: AgentContext, run: Mapping[str, Any], *, prompt: str = prompts.TESTER
    ) -> list[Check]:
        """The Tester: test inputs and expected results from the specification only (CodeT).
        ``prompt`` (with ``{task}``, ``{entry}``, ``{n}``) is for comparing Tester prompts
        (benchmarks/tester_quality.py)."""
        entry = run.get("entry_point")
        if not entry:
            return []
        content = prompt.format(task=run["task"].rstrip() + "\n", entry=entry, n=GENERATED_TESTS)
        reply = ctx.complete(
            [{"role": "user", "content": content}],
            role="reviewer",
            purpose="tests",
            temperature=0.0,
            stop=CODE_STOP,
            max_tokens=400,
        )
        return generated_checks(reply.text, entry, limit=GENERATED_TESTS)

    # --- evidence --------------------------------------------------------------------------------

    def verify(
        self, ctx: AgentContext, candidate: Candidate, run: Mapping[str, Any], plan: StrategyPlan
    ) -> Candidate:
        return candidate  # checks need the generated tests: run pool-wide in evaluate()

    def _checks(self, run: Mapping[str, Any], plan: StrategyPlan) -> list[Check]:
        spec = CodeSpec.model_validate(run.get("spec") or {})
        vote_only = plan.k > 1 and not (plan.step_scoring or plan.refine)
        if vote_only:  # sc: a majority of behaviour on the examples' inputs, no expected values
            return [c.model_copy(update={"expected": None}) for c in spec.doctests]
        return spec.checks()

    def _run(self, candidate: Candidate, checks: list[Check], run: Mapping[str, Any], emit: Any) -> None:
        if candidate.code is None:
            candidate.evidence = [Evidence(kind="answer", passed=False, detail="no usable code")]
            return
        evidence = []
        report = RunReport(loaded=True)
        if self.sandbox is not None:  # without one (no tools), only the user's tests can run, if any
            report = run_checks(self.sandbox, candidate.code, checks)
            candidate.report = report.model_dump(mode="json")
        if not report.loaded:
            evidence.append(
                Evidence(kind="code_run", passed=False, detail=f"the module fails: {report.load_error}")
            )
        for source in ("doctest", "generated"):
            total = report.total(source)
            if total:
                passed = report.passed(source)
                evidence.append(
                    Evidence(
                        kind="doctests" if source == "doctest" else "generated_tests",
                        passed=passed == total if source == "doctest" else None,
                        share=passed / total,
                        detail=f"{passed} of {total} passed" + first_failure_text(report, source),
                    )
                )
        if run.get("tests") and "run_tests" in self.tools:
            result = self.tools["run_tests"](code=candidate.code, tests=run["tests"])
            evidence.append(Evidence.of_tests(result))
        candidate.evidence = evidence
        emit({"type": "evidence", "candidate": candidate.id, "evidence": [e.model_dump() for e in evidence]})

    def evaluate(self, pool: list[Candidate], run: Mapping[str, Any], plan: StrategyPlan, emit: Any) -> None:
        checks = self._checks(run, plan)
        for cand in pool:
            if cand.report is None and not cand.evidence:
                self._run(cand, checks, run, emit)
            cand.behaviour = f"#alone:{cand.id}"  # until a cluster says otherwise: agrees with nobody
        reports = {c.id: RunReport.model_validate(c.report) for c in pool if c.report is not None}
        clusters = behaviour_clusters(reports) if reports else []
        agreement = codet_scores(reports, clusters) if len(reports) > 1 else {}
        by_id = {c.id: c for c in pool}
        for index, members in enumerate(clusters):
            for cid in members:
                if reports[cid].can_agree():
                    by_id[cid].behaviour = f"cluster-{index}"
        for cand in pool:
            own = evidence_score(cand)
            cand.components = {"execution": own} if own is not None else {}
            if cand.id in agreement:
                cand.components["agreement"] = agreement[cand.id]
            cand.failing_evidence = any(e.passed is False for e in cand.evidence)
            cand.verified_by_code = verified(cand)
            cand.score = combine(cand)

    def keeps(self, refined: Candidate, parent: Candidate) -> bool:
        """Keep a refinement only when it shows a gain: no fewer checks passed and no lower score than
        its parent, and more checks passed or a higher score. A tie keeps the parent: in runs v6 and v7
        no refinement changed a check result, and one that tied replaced a right draft (HumanEval/38)."""
        (user, passed), (parent_user, parent_passed) = checks_passed(refined), checks_passed(parent)
        fewer = user < parent_user or passed < parent_passed
        more = user > parent_user or passed > parent_passed
        score, parent_score = refined.score or 0.0, parent.score or 0.0
        return not fewer and score >= parent_score and (more or score > parent_score)

    # --- review + refine (LDB): see :mod:`.repair` ----------------------------------------------------

    def review(
        self,
        ctx: AgentContext,
        target: Candidate,
        run: Mapping[str, Any],
        plan: StrategyPlan,
        others: list[Candidate],
    ) -> Feedback:
        return repair.review(ctx, self.sandbox, target, run, plan, others)

    def refine(
        self,
        ctx: AgentContext,
        target: Candidate,
        feedback: Feedback,
        run: Mapping[str, Any],
        plan: StrategyPlan,
        *,
        cid: str,
        round_: int,
        temperature: float,
    ) -> Candidate:
        return repair.refine(
            ctx, self.sandbox, target, feedback, run, plan, cid=cid, round_=round_, temperature=temperature
        )
