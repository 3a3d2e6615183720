"""The nodes of the solve graph's main path: intake, solve (and the Tester), score, triage, finalize,
reflect. The refinement phase (review, refine, budget) is in :mod:`.refinement`.

Each node is small and reads like one step of the loop. Dependencies (LLM, tools, memory) are injected
through :class:`SolveNodes`; nothing here is global. Nodes report what they do as custom stream events
(``llm_call``, ``tool_call``, ``score``, ``decision``), which feed the live view and the JSONL trace.
"""

from __future__ import annotations

import time
from typing import Any

from langgraph.types import Send

from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate
from triloop.graphs import scoring
from triloop.graphs.budget import extended_budgets, rounds_spent
from triloop.graphs.node_base import active_of, dump, missing_drafts, usage_of
from triloop.graphs.refinement import RefinementNodes
from triloop.graphs.reflect import reflect_to_memory
from triloop.graphs.state import SolveResult, SolveState, outcome_of, plan_for
from triloop.graphs.triage import choose, decide
from triloop.kinds.decide import KindDecision, decide_kind


class SolveNodes(RefinementNodes):
    """The node functions, bound to their injected dependencies (see :class:`.node_base.NodeBase`)."""

    # --- 1. intake -----------------------------------------------------------------------------

    def intake(self, state: SolveState) -> dict[str, Any]:
        """Decide the task's kind (explicit, claimed by its shape, by wording, or asked of the model),
        let the kind prepare the run, and retrieve memory context."""
        config = self.config(state)
        started_at = state.get("started_at") or time.time()  # wall time counts from here, intake included
        ctx = self.ctx({**state, "started_at": started_at}, config, "intake")
        task = state["task"]
        if state.get("kind"):
            name = self.kinds.get(state["kind"]).name  # an unknown kind fails here, before any call
            decision = KindDecision(name, "explicit", "named by the caller")  # type: ignore[arg-type]
        else:
            decision = decide_kind(ctx, task, claimed=self.kinds.claim(state))
        kind = self.kinds.get(decision.kind)
        prepared = kind.prepare(ctx, {**state, "kind": kind.name})
        context = self.memory.context_for(task, kind.name) if self.memory is not None else ""
        self.emit(
            "intake",
            {
                "type": "intake",
                "kind": kind.name,
                "decided_by": decision.by,
                "why": decision.reason,
                "entry_point": prepared.get("entry_point"),
            },
        )
        return {
            **prepared,
            "config": config.model_dump(mode="json"),
            "kind": kind.name,
            "plan": "",
            "context": context,
            "started_at": started_at,
            "round": 0,
            "best_history": [],
            "budget_extensions": 0,
            "usage": usage_of(ctx),
        }

    def tester(self, state: SolveState) -> dict[str, Any]:
        """The kind's checks written from the specification only (coding: the Tester's tests)."""
        config = self.config(state)
        ctx = self.ctx(state, config, "tester")
        update = self.kind(state, config).write_checks(ctx, state)
        return {**update, "usage": usage_of(ctx)}

    # --- 2. solve ------------------------------------------------------------------------------

    def solve(self, payload: dict[str, Any]) -> dict[str, Any]:
        config = self.config(payload)
        plan = plan_for(config)
        index = payload["index"]
        cid = f"c{index}"
        ctx = self.ctx(payload, config, "solve")
        kind = self.kind(payload, config)
        try:
            candidate = kind.draft(ctx, payload, index=index, cid=cid, temperature=config.temperature(index))
        except BudgetExhausted as exc:  # the budget ran out before this draft was finished: drop it
            self.emit("solve", {"type": "budget_stop", "candidate": cid, "reason": str(exc)})
            return {"usage": usage_of(ctx)}
        candidate = kind.verify(ctx, candidate, payload, plan)
        return {"candidates": {cid: dump(candidate)}, "usage": usage_of(ctx, len(candidate.tool_calls))}

    # --- 3. score ------------------------------------------------------------------------------

    def score(self, state: SolveState) -> dict[str, Any]:
        """Pool-level scoring: agreement, combined scores; a worse refinement never replaces its parent
        (what "worse" means is the kind's: a lower score, and for code also fewer checks passed)."""
        config = self.config(state)
        pool = active_of(state)
        kind = self.kind(state, config)
        kind.evaluate(pool, state, plan_for(config), lambda e: self.emit("score", e))
        by_id = {c.id: c for c in pool}
        for cand in pool:
            parent = by_id.get(cand.parent_id or "")
            if parent is None or parent.status != "active":
                continue
            if not kind.keeps(cand, parent):
                cand.status = "rejected"
            else:
                parent.status = "replaced"
        active = [c for c in pool if c.status == "active"]
        best = max((c.score or 0.0) for c in active) if active else 0.0
        for cand in pool:
            self.emit(
                "score",
                {
                    "type": "score",
                    "candidate": cand.id,
                    "parent": cand.parent_id,
                    "answer": cand.answer[:200],
                    "score": cand.score,
                    "components": cand.components,
                    "step_scores": cand.step_scores,
                    "status": cand.status,
                },
            )
        return {
            "candidates": {c.id: dump(c) for c in pool},
            "best_history": [*state.get("best_history", []), best],
        }

    # --- 4. triage -----------------------------------------------------------------------------

    def triage(self, state: SolveState) -> dict[str, Any]:
        """Coarse vs fine: settle easy/verified problems, refine hard ones, stop on budgets or no gain."""
        config = self.config(state)
        rounds = state.get("round", 0)
        limits = extended_budgets(config.budgets, state.get("budget_extensions", 0))
        over = self.meters.of(state, config).exhausted() or rounds_spent(rounds, limits)
        decision = decide(
            config,
            plan_for(config),
            active_of(state),
            state.get("best_history", []),
            rounds,
            over,
            widen=0 if state.get("widened") else self.widen_size(state, config),
            top_up=len(missing_drafts(state, plan_for(config).k)),
        )
        self.emit("triage", {"type": "decision", **decision._asdict()})
        return {**decision._asdict(), "widened": state.get("widened", False) or decision.decision == "widen"}

    def route_triage(self, state: SolveState) -> str | list[Send]:
        decision = state.get("decision")
        if decision == "review":
            return self.review_sends(state)
        if decision == "top_up":  # the rest of the first k drafts, then score and triage again
            return self.top_up_sends(state)
        if decision == "widen":  # more drafts, numbered after the first k, then score and triage again
            config = self.config(state)
            k = plan_for(config).k
            return [
                Send("solve", {**state, "index": i}) for i in range(k, k + self.widen_size(state, config))
            ]
        return "budget" if decision == "budget" else "finalize"

    # --- 7. finalize + reflect -----------------------------------------------------------------------

    def finalize(self, state: SolveState) -> dict[str, Any]:
        """Pick the answer: score-weighted majority (easy), plain majority (sc) or the best candidate."""
        config = self.config(state)
        plan = plan_for(config)
        active = active_of(state)
        stopped_by = state.get("stopped_by") or "done"
        chosen = choose(config, plan, active, stopped_by, self.kind(state, config).unsure_pick)
        verified = scoring.is_verified(chosen, config.verify_score)
        result = SolveResult(
            run_id=state.get("run_id", ""),
            strategy=config.strategy,
            kind=state.get("kind") or "general",
            answer=chosen.answer,
            code=chosen.code,
            candidate_id=chosen.id or None,
            score=chosen.score,
            verified=verified,
            outcome=outcome_of(stopped_by, verified),
            evidence=[e.model_dump(mode="json") for e in chosen.evidence if e.kind != "step_score"],
            checks=(chosen.report or {}).get("outcomes", []),
            agreement=chosen.components.get("agreement"),
            stopped_by=stopped_by,
            reason=state.get("reason", ""),
            rounds=state.get("round", 0),
            usage=dict(state.get("usage", {})),
            wall_s=round(time.time() - state.get("started_at", time.time()), 3),
        )
        self.emit("finalize", {"type": "result", **result.model_dump(mode="json")})
        self.meters.drop(state)
        return {"result": result.model_dump(mode="json"), "stopped_by": stopped_by}

    def reflect(self, state: SolveState) -> dict[str, Any]:
        """Write the experience, tool feedback and verified reusable code to memory (if any)."""
        if self.memory is not None:
            cands = [Candidate.model_validate(c) for c in state.get("candidates", {}).values()]
            written = reflect_to_memory(self.memory, state, cands)
            self.emit("reflect", {"type": "reflect", **written})
        return {}
