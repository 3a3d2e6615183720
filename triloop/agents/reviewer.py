"""The Reviewer: PRM-style step scores, and targeted feedback that cites evidence."""

from __future__ import annotations

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate, Feedback, StepScores
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
            lines.append(f"- {ev.kind}{where}: {'passed' if ev.passed else 'FAILED'} {ev.detail[:300]}")
    for i, score in enumerate(candidate.step_scores, 1):
        if score < 0.5:
            lines.append(f"- step {i} has a low score ({score:.2f})")
    return "\n".join(lines) or "- no execution evidence"


def step_scores(
    ctx: AgentContext, *, task: str, candidate: Candidate, role: Role = "reviewer"
) -> list[float]:
    """One 0..1 value per step; missing values are 0.5 (unknown), extra ones are dropped."""
    messages = [
        {"role": "system", "content": STEP_SCORES},
        {
            "role": "user",
            "content": f"Task:\n{task}\n\nSolution:\n{render_solution(candidate.steps, candidate.answer)}"
            f"\n\nEvidence:\n{evidence_text(candidate)}",
        },
    ]
    result = ctx.complete_json(
        messages, StepScores, role=role, purpose=f"score:{candidate.id}", temperature=0.0
    )
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
    messages = [
        {"role": "system", "content": SELF_CRITIQUE if self_critique else REVIEW},
        {
            "role": "user",
            "content": f"Task:\n{task}\n\nSolution:\n{render_solution(candidate.steps, candidate.answer)}"
            f"\n\nEvidence:\n{evidence_text(candidate)}{disagreement}",
        },
    ]
    feedback = ctx.complete_json(
        messages, Feedback, role=role, purpose=f"review:{candidate.id}", temperature=0.0
    )
    feedback.candidate_id = candidate.id
    if feedback.wrong_step is not None and not 1 <= feedback.wrong_step <= max(1, len(candidate.steps)):
        feedback.wrong_step = None
    return feedback
