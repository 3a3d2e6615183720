"""The Refiner: rewrites a candidate from the reviewer's feedback (and may use tools to check)."""

from __future__ import annotations

from collections.abc import Mapping

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate, Feedback
from triloop.agents.prompts import REFINE, render_solution
from triloop.agents.reviewer import evidence_text
from triloop.agents.solver import candidate_from_text, tools_block
from triloop.agents.toolloop import tool_loop
from triloop.llm.base import Role
from triloop.tools.base import Tool


def refine(
    ctx: AgentContext,
    *,
    task: str,
    candidate: Candidate,
    feedback: Feedback,
    cid: str,
    round_: int,
    tools: Mapping[str, Tool],
    max_tool_calls: int,
    temperature: float,
    role: Role = "refiner",
) -> Candidate:
    """A new candidate whose parent is ``candidate``."""
    where = f"Step {feedback.wrong_step} is wrong. " if feedback.wrong_step else ""
    system = REFINE
    solution = render_solution(candidate.steps, candidate.answer, candidate.code)
    messages = [
        {"role": "system", "content": system + "\n" + tools_block(tools, max_tool_calls)},
        {
            "role": "user",
            "content": f"Task:\n{task}\n\nSolution:\n{solution}"
            f"\n\nEvidence:\n{evidence_text(candidate)}\n\nFeedback: {where}{feedback.why}\n"
            f"What to change: {feedback.change}",
        },
    ]
    text, calls = tool_loop(
        ctx,
        messages,
        role=role,
        tools=tools,
        max_tool_calls=max_tool_calls,
        temperature=temperature,
        purpose=f"refine:{cid}",
    )
    refined = candidate_from_text(
        text, cid=cid, tool_calls=calls, temperature=temperature, round_=round_, parent=candidate.id
    )
    if refined.code is None and candidate.code and refined.answer.lower().startswith("see code"):
        refined.code = candidate.code
    return refined
