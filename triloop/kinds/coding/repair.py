"""Review and refinement of code (LDB): the first failing check, run under a tracer, grounds the
Reviewer's feedback in the block where the values go wrong; the Refiner rewrites from that.

Kept apart from drafting and evidence (:mod:`.kind`): this is the fine path of MAgICoRe for code, and
the part whose value a bench run must show (see docs/coding.md, Results).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triloop.agents.base import AgentContext
from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate, Feedback
from triloop.agents.solver import same_code
from triloop.errors import LLMBadRequestError
from triloop.graphs.state import StrategyPlan
from triloop.kinds.coding import prompts
from triloop.kinds.coding.checks import Check, CheckOutcome, RunReport, run_checks
from triloop.kinds.coding.evidence import report_of
from triloop.kinds.coding.extract import extract_code
from triloop.kinds.coding.reply import code_reply, follow_up
from triloop.kinds.coding.trace import render_trace, trace_call
from triloop.llm.base import Message, Role
from triloop.tools.sandbox.base import Sandbox

REVIEW_TOKENS = 160
#: Prompt room of one review: the embedded model serves 4,096 tokens per slot, reply included.
REVIEW_PROMPT_TOKENS = 3_600
#: Characters per token, counted low: traces are dense with digits and brackets (~2), prose ~4.
TRACE_CHARS_PER_TOKEN, TEXT_CHARS_PER_TOKEN = 2, 3
#: Temperature of the one more turn a refinement gets when it changed nothing that matters.
RETRY_TEMPERATURE = 0.8


def failure_of(target: Candidate, others: list[Candidate]) -> tuple[CheckOutcome | None, str]:
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


def _trace_text(sandbox: Sandbox, code: str, outcome: CheckOutcome, room_chars: int) -> str:
    """The block trace of the failing call within ``room_chars``; "" when none fits."""
    if room_chars <= 0:  # the task and code fill the prompt: no room to trace for
        return ""
    lines = render_trace(
        trace_call(sandbox, code, outcome.call), expected=outcome.expected, max_chars=room_chars
    )
    if not lines:
        return ""
    return "Runtime trace of that call (block by block, variables after each block):\n" + lines + "\n\n"


def review(
    ctx: AgentContext,
    sandbox: Sandbox | None,
    target: Candidate,
    run: Mapping[str, Any],
    plan: StrategyPlan,
    others: list[Candidate],
) -> Feedback:
    """Name the faulty block of ``target`` from its first failing check and that call's trace.

    ``self-refine`` (the Solver critiquing itself) gets the failing check but no trace."""
    outcome, failure = failure_of(target, others)
    task, code = run["task"].rstrip() + "\n", (target.code or "").rstrip() + "\n"
    self_critique = plan.critic_role == "solver"
    template = prompts.SELF_REVIEW if self_critique else prompts.REVIEW
    trace = ""
    if outcome is not None and not self_critique and sandbox is not None and target.code:
        rest = len(template.format(task=task, code=code, failure=failure, trace=""))
        room = (REVIEW_PROMPT_TOKENS - rest // TEXT_CHARS_PER_TOKEN) * TRACE_CHARS_PER_TOKEN
        trace = _trace_text(sandbox, target.code, outcome, room)
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
    check = outcome.model_dump() if outcome is not None else None
    return Feedback(candidate_id=target.id, why=failure, change=why, check=check)


def repeats_failure(sandbox: Sandbox | None, code: str, feedback: Feedback) -> str | None:
    """The failing check the review was about, run on the refinement ``code``: its text when the
    refinement returns the very value its parent returned (it changed nothing where it matters)."""
    if sandbox is None or feedback.check is None:
        return None
    outcome = CheckOutcome.model_validate(feedback.check)
    if outcome.expected is None or outcome.passed is not False:
        return None
    check = Check(call=outcome.call, expected=outcome.expected, source=outcome.source)
    report = run_checks(sandbox, code, [check])
    again = report.outcomes[0] if report.loaded and report.outcomes else None
    if again is None or again.passed is not False or again.got != outcome.got:
        return None
    return f"{outcome.call} returns {again.got}, expected {outcome.expected}."


def refine(
    ctx: AgentContext,
    sandbox: Sandbox | None,
    target: Candidate,
    feedback: Feedback,
    run: Mapping[str, Any],
    plan: StrategyPlan,
    *,
    cid: str,
    round_: int,
    temperature: float,
) -> Candidate:
    """Rewrite ``target`` from the failure and the review; code that is unchanged (or, with
    ``recheck``, still returns the parent's wrong value) gets one more turn, sampled."""
    content = prompts.REFINE.format(
        task=run["task"].rstrip() + "\n",
        code=(target.code or "").rstrip() + "\n",
        failure=feedback.why,
        review=feedback.change or "(none)",
    )
    messages: list[Message] = [{"role": "user", "content": content}]
    role: Role = plan.refiner_role
    code, raw = code_reply(ctx, messages, run, role=role, purpose=f"refine:{cid}", temperature=temperature)
    again_text = None
    if code is not None and same_code(code, target.code) and target.failing_evidence:
        again_text = prompts.UNCHANGED.format(failure=feedback.why)
    elif code is not None and (run.get("config") or {}).get("recheck"):
        repeated = repeats_failure(sandbox, code, feedback)
        again_text = prompts.STILL_FAILS.format(failure=repeated) if repeated else None
    if again_text is not None:
        try:
            again = follow_up(
                ctx, messages, raw, again_text, role=role, purpose=f"refine:{cid}:changed",
                temperature=RETRY_TEMPERATURE,
            )  # fmt: skip
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
