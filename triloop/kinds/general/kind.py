"""The general kind: numbered steps and a final answer, tool calls, recomputation, step scores.

Math and open questions go this way:
the Solver drafts with tools, evidence comes from its tool calls, recomputation and the Reviewer's
per-step scores, and candidates agree when their final answers match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate, Feedback
from triloop.agents.refiner import refine
from triloop.agents.reviewer import review
from triloop.agents.solver import solve
from triloop.graphs import scoring
from triloop.graphs.state import StrategyPlan
from triloop.kinds.general.verify import verify_candidate
from triloop.tools.base import Tool


class GeneralKind:
    """Steps + final answer, checked by tools, recomputation, step scores and agreement of answers."""

    name = "general"
    review_top = 2
    widen = 0  # step-scored reasoning gains more from review than from more samples
    first_drafts = 0  # all k at once: answers are compared by vote share, which two drafts rarely settle

    def __init__(self, tools: Mapping[str, Tool], max_tool_calls: int) -> None:
        self.tools = dict(tools)
        self.max_tool_calls = max_tool_calls

    def draft(
        self, ctx: AgentContext, run: Mapping[str, Any], *, index: int, cid: str, temperature: float
    ) -> Candidate:
        return solve(
            ctx,
            task=run["task"],
            kind=run["kind"],
            plan=run.get("plan", ""),
            context=run.get("context", ""),
            cid=cid,
            index=index,
            temperature=temperature,
            tools=self.tools,
            max_tool_calls=self.max_tool_calls,
        )

    def verify(
        self, ctx: AgentContext, candidate: Candidate, run: Mapping[str, Any], plan: StrategyPlan
    ) -> Candidate:
        return verify_candidate(
            ctx,
            candidate,
            task=run["task"],
            kind=run["kind"],
            tests=run.get("tests"),
            tools=self.tools,
            plan=plan,
        )

    def evaluate(self, pool: list[Candidate], run: Mapping[str, Any], plan: StrategyPlan, emit: Any) -> None:
        agree = scoring.agreement(pool)
        for cand in pool:
            if cand.id in agree:
                cand.components["agreement"] = agree[cand.id]
            cand.score = scoring.combine(cand)

    def keeps(self, refined: Candidate, parent: Candidate) -> bool:
        return (refined.score or 0.0) >= (parent.score or 0.0)

    def review(
        self,
        ctx: AgentContext,
        target: Candidate,
        run: Mapping[str, Any],
        plan: StrategyPlan,
        others: list[Candidate],
    ) -> Feedback:
        return review(
            ctx,
            task=run["task"],
            candidate=target,
            others=[o.answer for o in others],
            role=plan.critic_role,
            self_critique=plan.critic_role == "solver",
        )

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
        return refine(
            ctx,
            task=run["task"],
            candidate=target,
            feedback=feedback,
            cid=cid,
            round_=round_,
            tools=self.tools,
            max_tool_calls=self.max_tool_calls,
            temperature=temperature,
            role=plan.refiner_role,
            kind=run["kind"],
        )
