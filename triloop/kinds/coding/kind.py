"""The coding kind: drafts as plain code, evidence from executed checks, trace-grounded refinement.

* Drafts: one lean prompt shared by all drafts (the plain single call; the greedy draft *is* the plain
  answer), code taken with ``ast`` (:mod:`.extract`), one fix request naming the defect.
* Evidence (:meth:`CodingKind.evaluate`): every candidate runs in the sandbox on the task's own examples
  (doctests), the Tester's generated tests (CodeT) and the user's tests. Candidates that behave alike on
  those inputs form a cluster; CodeT's dual execution agreement (cluster size x tests passed) is the
  agreement component. "Verified" means checks passed, never that the code ran.
* Review (LDB): the first failing check is run under a tracer; the Reviewer sees the block-level trace
  around the wrong value and names the faulty block; the Refiner rewrites from that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triloop.agents.base import AgentContext
from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate, Evidence, Feedback
from triloop.agents.solver import same_code
from triloop.errors import LLMBadRequestError
from triloop.graphs.scoring import combine
from triloop.graphs.state import StrategyPlan
from triloop.kinds.coding import prompts
from triloop.kinds.coding.checks import (
    Check,
    CheckOutcome,
    RunReport,
    behaviour_clusters,
    codet_scores,
    run_checks,
)
from triloop.kinds.coding.evidence import (
    checks_passed,
    evidence_score,
    first_failure_text,
    report_of,
    verified,
)
from triloop.kinds.coding.extract import extract_code
from triloop.kinds.coding.spec import CodeSpec, generated_checks
from triloop.kinds.coding.trace import render_trace, trace_call
from triloop.kinds.general.verify import tests_evidence
from triloop.llm.base import Message, Role
from triloop.tools.base import Tool

#: Draft temperatures: greedy first (the plain answer), then sampled for diversity.
DRAFT_TEMPERATURES = (0.0, 0.8)
GENERATED_TESTS = 6
#: A reply ends with its code block: the explanation small models add after it costs time, not quality.
CODE_STOP = ["\n```\n"]
CODE_TOKENS = 768
REVIEW_TOKENS = 160
#: Prompt room of one review: the embedded model serves 4,096 tokens per slot, reply included.
REVIEW_PROMPT_TOKENS = 3_600
#: Characters per token, counted low: traces are dense with digits and brackets (~2), prose ~4.
TRACE_CHARS_PER_TOKEN, TEXT_CHARS_PER_TOKEN = 2, 3


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

    def __init__(self, tools: Mapping[str, Tool]) -> None:
        self.tools = dict(tools)
        tool = self.tools.get("run_tests") or self.tools.get("run_python")
        self.sandbox = getattr(tool, "sandbox", None)  # the execution tools' sandbox (None: no execution)

    # --- drafting ------------------------------------------------------------------------------

    def _code_reply(
        self,
        ctx: AgentContext,
        messages: list[Message],
        run: Mapping[str, Any],
        *,
        role: Role,
        purpose: str,
        temperature: float,
    ) -> tuple[str | None, str]:
        """Code from one reply, with one fix request naming the defect; (code, all reply text)."""
        entry, task = run.get("entry_point"), run["task"]
        reply = ctx.complete(
            messages,
            role=role,
            purpose=purpose,
            temperature=temperature,
            stop=CODE_STOP,
            max_tokens=CODE_TOKENS,
        )
        found = extract_code(reply.text, entry, task, truncated=reply.finish_reason == "length")
        if found.code is not None or not entry:
            return found.code, reply.text
        fix = [
            *messages,
            {"role": "assistant", "content": reply.text},
            {"role": "user", "content": prompts.FIX.format(defect=found.defect, entry=entry)},
        ]
        try:
            again = ctx.complete(
                fix,
                role=role,
                purpose=purpose + ":fix",
                temperature=temperature,
                stop=CODE_STOP,
                max_tokens=CODE_TOKENS,
            )
        except BudgetExhausted:
            return None, reply.text
        second = extract_code(again.text, entry, task, truncated=again.finish_reason == "length")
        return second.code, reply.text + "\n\n" + again.text

    def draft(
        self, ctx: AgentContext, run: Mapping[str, Any], *, index: int, cid: str, temperature: float
    ) -> Candidate:
        messages = draft_messages(run["task"], run.get("entry_point"), run.get("signature"))
        if run.get("context"):  # what memory holds on similar tasks (off in benchmarks)
            messages[0]["content"] += "\n\nFrom memory (may help):\n" + run["context"]
        temp = DRAFT_TEMPERATURES[min(index, len(DRAFT_TEMPERATURES) - 1)]
        code, raw = self._code_reply(
            ctx, messages, run, role="solver", purpose=f"solve:{cid}", temperature=temp
        )
        return Candidate(id=cid, temperature=temp, answer="see code", code=code, raw=raw)

    def write_tests(self, ctx: AgentContext, run: Mapping[str, Any]) -> list[Check]:
        """The Tester: test inputs and expected results from the specification only (CodeT)."""
        entry = run.get("entry_point")
        if not entry:
            return []
        content = prompts.TESTER.format(task=run["task"].rstrip() + "\n", entry=entry, n=GENERATED_TESTS)
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
            evidence.append(tests_evidence(result))
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
                if reports[cid].loaded:
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

    # --- review + refine (LDB) --------------------------------------------------------------------

    def _failure(self, target: Candidate, others: list[Candidate]) -> tuple[CheckOutcome | None, str]:
        """The first failing check (task examples and user tests before generated ones) and its text;
        without one, the first input on which another candidate behaves differently."""
        if target.code is None:
            return None, "There is no usable code: " + "; ".join(e.detail for e in target.evidence)
        report = report_of(target)
        if not report.loaded:
            return None, f"Importing the code fails: {report.load_error}"
        failed = [o for o in report.outcomes if o.passed is False]
        failed.sort(key=lambda o: o.source == "generated")
        for e in target.evidence:
            if e.kind == "tests" and e.passed is False:
                return None, "The user's tests fail:\n" + e.detail[:600]
        if failed:
            o = failed[0]
            origin = (
                "the task's example" if o.source == "doctest" else "a generated test (it may itself be wrong)"
            )
            return o, f"Failing check, from {origin}: {o.call} returned {o.got}, expected {o.expected}."
        for other in others:
            if other.report is None:
                continue
            theirs = RunReport.model_validate(other.report).outcomes
            for mine, their in zip(report.outcomes, theirs, strict=False):
                if mine.got != their.got:
                    return (
                        mine,
                        f"Another solution disagrees: {mine.call} returns {mine.got} here, {their.got} there.",
                    )
        return None, "No check failed; make sure the code handles every case of the description."

    def review(
        self,
        ctx: AgentContext,
        target: Candidate,
        run: Mapping[str, Any],
        plan: StrategyPlan,
        others: list[Candidate],
    ) -> Feedback:
        outcome, failure = self._failure(target, others)
        task, code = run["task"].rstrip() + "\n", (target.code or "").rstrip() + "\n"
        self_critique = plan.critic_role == "solver"
        template = prompts.SELF_REVIEW if self_critique else prompts.REVIEW
        trace = ""
        if outcome is not None and not self_critique and self.sandbox is not None and target.code:
            rest = len(template.format(task=task, code=code, failure=failure, trace=""))
            room = (REVIEW_PROMPT_TOKENS - rest // TEXT_CHARS_PER_TOKEN) * TRACE_CHARS_PER_TOKEN
            found = trace_call(self.sandbox, target.code, outcome.call)
            lines = render_trace(found, expected=outcome.expected, max_chars=room)
            if lines:  # no room left beside a long task and code: review without the trace
                trace = "Runtime trace of that call (block by block, variables after each block):\n"
                trace += lines + "\n\n"
            ctx.emit({"type": "trace", "candidate": target.id, "call": outcome.call, "trace": trace})
        content = template.format(task=task, code=code, failure=failure, trace=trace)
        try:
            reply = ctx.complete(
                [{"role": "user", "content": content}],
                role=plan.critic_role,
                purpose=f"review:{target.id}",
                temperature=0.0,
                max_tokens=REVIEW_TOKENS,
            )
            why = reply.text.strip()
        except (BudgetExhausted, LLMBadRequestError):  # out of budget, or a prompt the model cannot take
            why = ""
        return Feedback(candidate_id=target.id, why=failure, change=why)

    def _repeats_failure(self, code: str, target: Candidate) -> str | None:
        """The failing check of ``target`` run on its refinement ``code``: its text when the refinement
        returns the very value its parent returned (it changed nothing where it matters), else None."""
        outcome, _ = self._failure(target, [])
        if self.sandbox is None or outcome is None or outcome.expected is None or outcome.passed is not False:
            return None
        check = Check(call=outcome.call, expected=outcome.expected, source=outcome.source)
        report = run_checks(self.sandbox, code, [check])
        again = report.outcomes[0] if report.loaded and report.outcomes else None
        if again is None or again.passed is not False or again.got != outcome.got:
            return None
        return f"{outcome.call} returns {again.got}, expected {outcome.expected}."

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
        content = prompts.REFINE.format(
            task=run["task"].rstrip() + "\n",
            code=(target.code or "").rstrip() + "\n",
            failure=feedback.why,
            review=feedback.change or "(none)",
        )
        messages: list[Message] = [{"role": "user", "content": content}]
        role: Role = plan.refiner_role
        code, raw = self._code_reply(
            ctx, messages, run, role=role, purpose=f"refine:{cid}", temperature=temperature
        )
        again_text = None
        if code is not None and same_code(code, target.code) and target.failing_evidence:
            again_text = prompts.UNCHANGED.format(failure=feedback.why)
        elif code is not None and (run.get("config") or {}).get("recheck"):
            repeated = self._repeats_failure(code, target)
            again_text = prompts.STILL_FAILS.format(failure=repeated) if repeated else None
        if again_text is not None:
            retry = [
                *messages,
                {"role": "assistant", "content": raw},
                {"role": "user", "content": again_text},
            ]
            try:
                again = ctx.complete(
                    retry,
                    role=role,
                    purpose=f"refine:{cid}:changed",
                    temperature=0.8,
                    stop=CODE_STOP,
                    max_tokens=CODE_TOKENS,
                )
                found = extract_code(again.text, run.get("entry_point"), run["task"])
                code, raw = (found.code or code), raw + "\n\n" + again.text
            except BudgetExhausted:
                pass
        return Candidate(
            id=cid,
            parent_id=target.id,
            round=round_,
            temperature=temperature,
            answer="see code",
            code=code,
            raw=raw,
        )
