"""The refinement phase of the solve graph: review the best candidates, refine them, and ask to go
on when a budget runs out (interactive runs).

MAgICoRe's fine path: the Reviewer names what is wrong from the evidence, the Refiner rewrites from
that, and the new candidate goes back to ``score`` to be verified again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from langgraph.types import Command, Send, interrupt

from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate, Feedback
from triloop.errors import LLMBadRequestError
from triloop.graphs.node_base import NodeBase, active_of, dump, missing_drafts, usage_of
from triloop.graphs.state import SolveState, plan_for


class RefinementNodes(NodeBase):
    """review, refine and budget, with the sends that start a round."""

    def review_sends(self, state: Mapping[str, Any], round_bump: int = 1) -> list[Send]:
        """The best candidates go to review; one whose refinement was rejected comes only after those
        never tried, and its refinement is then sampled, not greedy: the greedy one was already tried."""
        config = self.config(state)
        cands = state.get("candidates", {}).values()
        tried = {c.get("parent_id") for c in cands if c.get("status") == "rejected"}
        active = sorted(active_of(state), key=lambda c: (c.id not in tried, c.score or 0.0), reverse=True)
        round_ = state.get("round", 0) + round_bump
        top = config.review_top or self.kind(state, config).review_top
        return [
            Send("review", {**state, "target": dump(c), "round": round_, "retry": c.id in tried})
            for c in active[:top]
        ]

    # --- 5. budget (interrupt in interactive runs) ----------------------------------------------

    def budget(self, state: SolveState) -> Command:
        """Budget hit: ask to continue (interactive) or stop with the best candidate (batch)."""
        config = self.config(state)
        if config.interactive:
            answer = interrupt(
                {
                    "question": "budget reached; continue?",
                    "reason": state.get("reason"),
                    "usage": state.get("usage"),
                }
            )
            if answer is True or (
                isinstance(answer, str) and answer.strip().lower() in ("y", "yes", "continue")
            ):
                update = {
                    "budget_extensions": state.get("budget_extensions", 0) + 1,
                    "wall_from": time.time(),  # the wall-time budget restarts now, not from the run's start
                    "decision": "review",
                    "stopped_by": None,
                }
                go_on = {**state, **update}
                # no draft finished before the budget ran out: draft again; drafts of k not sent
                # yet (round 0): send them; else refine the pool
                if not active_of(state):
                    sends = self.fan_out_solve(go_on)
                elif state.get("round", 0) == 0 and missing_drafts(state, plan_for(config).k):
                    sends = self.top_up_sends(go_on)
                else:
                    sends = self.review_sends(go_on)
                return Command(update=update, goto=sends)
        return Command(update={"stopped_by": "budget"}, goto="finalize")

    # --- 6. review + refine ------------------------------------------------------------------------

    def review(self, payload: dict[str, Any]) -> Command:
        config = self.config(payload)
        plan = plan_for(config)
        target = Candidate.model_validate(payload["target"])
        ctx = self.ctx(payload, config, "review")
        others = [c for c in active_of(payload) if c.id != target.id]
        feedback = self.kind(payload, config).review(ctx, target, payload, plan, others)
        self.emit("review", {"type": "feedback", **feedback.model_dump()})
        fb = feedback.model_dump(mode="json")
        return Command(
            update={"feedback": {target.id: fb}, "usage": usage_of(ctx), "round": payload["round"]},
            goto=Send("refine", {**payload, "fb": fb}),
        )

    def refine(self, payload: dict[str, Any]) -> dict[str, Any]:
        config = self.config(payload)
        plan = plan_for(config)
        target = Candidate.model_validate(payload["target"])
        round_ = payload["round"]
        cid = f"{target.id.split('.')[0]}.r{round_}"
        ctx = self.ctx(payload, config, "refine")
        kind = self.kind(payload, config)
        feedback = Feedback.model_validate(payload["fb"])
        try:
            refined = kind.refine(
                ctx,
                target,
                feedback,
                payload,
                plan,
                cid=cid,
                round_=round_,
                temperature=config.temperature(1 if payload.get("retry") else 0),
            )
        except BudgetExhausted as exc:  # no budget left to refine: the parent stays as it is
            self.emit("refine", {"type": "budget_stop", "candidate": cid, "reason": str(exc)})
            return {"usage": usage_of(ctx)}
        except LLMBadRequestError as exc:  # a prompt the model cannot take (e.g. past its context)
            self.emit("refine", {"type": "refine_failed", "candidate": cid, "reason": str(exc)})
            return {"usage": usage_of(ctx)}
        refined = kind.verify(ctx, refined, payload, plan)
        return {"candidates": {cid: dump(refined)}, "usage": usage_of(ctx, len(refined.tool_calls))}
