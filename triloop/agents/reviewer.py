"""The Reviewer: PRM-style step scores, and targeted feedback that cites evidence."""

from __future__ import annotations

from triloop.agents.base import AgentContext
from triloop.agents.errors import AgentParseError
from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate, Feedback, ReviewReply, StepScores
from triloop.agents.prompts import REVIEW, SELF_CRITIQUE, STEP_SCORES, render_solution
from triloop.llm.base import Role


def evidence_text(candidate: Candidate) -> str:
    """The candidate's evidence as short lines the Reviewer can cite."""
    lines = []
    for call in candidate.tool_calls:
        status = "ok" if call.ok else "FAILED"
        lines.append(f"- tool {call.tool} ({status}): {call.output[:300]}")
    for ev in candidate.evidence:
        if ev.passed is not None:
            where = f" (step {ev.step})" if ev.step else ""
            limit = 800 if ev.kind == "tests" else 300  # every failing check with what it got
            lines.append(f"- {ev.kind}{where}: {'passed' if ev.passed else 'FAILED'} {ev.detail[:limit]}")
    for i, score in enumerate(candidate.step_scores, 1):
        if score < 0.5:
            lines.append(f"- step {i} has a low score ({score:.2f})")
    return "\n".join(lines) or "- no execution evidence"


def judged_messages(system: str, task: str, candidate: Candidate, extra: str = "") -> list[dict[str, str]]:
    """The prompt that shows a solution with its evidence to a judge (step scorer or reviewer)."""
    solution = render_solution(candidate.steps, candidate.answer, candidate.code)
    user = f"Task:\n{task}\n\nSolution:\n{solution}\n\nEvidence:\n{evidence_text(candidate)}{extra}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def first_failure(candidate: Candidate) -> str:
    """The first failing check in a candidate's evidence, in a line or three ('' if none failed).

    For tests that is the first ``FAIL`` block of the runner (the assert and what its call returned).
    """
    for ev in candidate.evidence:
        if ev.passed is not False:
            continue
        lines = ev.detail.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("FAIL")), None)
        if start is None:
            return f"{ev.kind}: {ev.detail[:200]}"
        block = [
            lines[start],
            *(line.strip() for line in lines[start + 1 : start + 3] if line.startswith("  ")),
        ]
        return "; ".join(block)
    return ""


def feedback_from_evidence(candidate: Candidate, others: list[str]) -> Feedback:
    """Targeted feedback built from the evidence alone (when the Reviewer's reply is unreadable)."""
    for ev in candidate.evidence:
        if ev.passed is False:
            return Feedback(
                candidate_id=candidate.id,
                wrong_step=ev.step,
                why=f"{ev.kind} check failed: {ev.detail[:300]}",
                change="fix the step the failing check points at and recompute everything after it",
            )
    if candidate.step_scores:
        low = min(range(len(candidate.step_scores)), key=candidate.step_scores.__getitem__)
        return Feedback(
            candidate_id=candidate.id,
            wrong_step=low + 1,
            why=f"step {low + 1} has the lowest step score ({candidate.step_scores[low]:.2f})",
            change="redo this step carefully, verifying it with a tool if one is available",
        )
    why = (
        f"other candidates answered {', '.join(others[:3])}" if others else "no evidence supports the answer"
    )
    return Feedback(
        candidate_id=candidate.id,
        why=why,
        change="verify the answer with a tool (e.g. run_python) and recompute",
    )


def step_scores(
    ctx: AgentContext, *, task: str, candidate: Candidate, role: Role = "reviewer"
) -> list[float]:
    """One 0..1 value per step; missing values are 0.5 (unknown), extra ones are dropped."""
    messages = judged_messages(STEP_SCORES, task, candidate)
    try:
        result = ctx.complete_json(
            messages, StepScores, role=role, purpose=f"score:{candidate.id}", temperature=0.0
        )
    except AgentParseError as exc:  # unreadable judgement: every step "unknown" rather than a failed run
        ctx.emit({"type": "parse_error", "purpose": f"score:{candidate.id}", "error": str(exc)})
        return [0.5] * len(candidate.steps)
    values = [min(1.0, max(0.0, float(v))) for v in result.scores[: len(candidate.steps)]]
    return values + [0.5] * (len(candidate.steps) - len(values))


def review(
    ctx: AgentContext,
    *,
    task: str,
    candidate: Candidate,
    others: list[str],
    role: Role = "reviewer",
    self_critique: bool = False,
) -> Feedback:
    """Targeted feedback for ``candidate``; ``others`` are the other candidates' answers."""
    disagreement = ""
    if others:
        disagreement = f"\nOther candidates answered: {', '.join(others[:5])}"
    messages = judged_messages(SELF_CRITIQUE if self_critique else REVIEW, task, candidate, disagreement)
    try:
        reply = ctx.complete_json(
            messages, ReviewReply, role=role, purpose=f"review:{candidate.id}", temperature=0.0
        )
        feedback = Feedback(**reply.model_dump())
    except (AgentParseError, BudgetExhausted) as exc:  # fall back to what the evidence says
        ctx.emit({"type": "parse_error", "purpose": f"review:{candidate.id}", "error": str(exc)})
        feedback = feedback_from_evidence(candidate, others)
    feedback.candidate_id = candidate.id
    failure = first_failure(candidate)
    if failure and failure not in feedback.why:  # small reviewers ignore the evidence: ground the feedback
        feedback.why = f"{feedback.why} Failing check: {failure}".strip()
    if feedback.wrong_step is not None and not 1 <= feedback.wrong_step <= max(1, len(candidate.steps)):
        feedback.wrong_step = None
    return feedback
