"""The nodes of the solve graph: intake, solve, score, triage, review, refine, budget, finalize, reflect.

Each node is small and reads like one step of the loop. Dependencies (LLM, tools, memory) are injected
through :class:`SolveNodes`; nothing here is global. Nodes report what they do as custom stream events
(``llm_call``, ``tool_call``, ``score``, ``decision``), which feed the live view and the JSONL trace.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.types import Command, Send, interrupt

from triloop.agents.base import AgentContext
from triloop.agents.errors import AgentParseError
from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate, Feedback, IntakePlan
from triloop.agents.prompts import INTAKE
from triloop.graphs import scoring
from triloop.graphs.budget import Meters, extended_budgets, rounds_spent
from triloop.graphs.memory import GraphMemory
from triloop.graphs.reflect import reflect_to_memory
from triloop.graphs.state import SolveConfig, SolveResult, SolveState, plan_for
from triloop.graphs.triage import choose, decide
from triloop.kinds.base import Kind
from triloop.kinds.coding.kind import CodingKind
from triloop.kinds.coding.spec import CodeSpec, doctest_checks, signature_entry_point, task_entry_point
from triloop.kinds.general import GeneralKind
from triloop.llm.base import LLM
from triloop.tools.base import Tool


def _usage(ctx: AgentContext, tool_calls: int = 0) -> dict[str, int]:
    return {
        "llm_calls": len(ctx.calls),
        "prompt_tokens": sum(c.prompt_tokens for c in ctx.calls),
        "completion_tokens": sum(c.completion_tokens for c in ctx.calls),
        "tool_calls": tool_calls,
    }


def _active(state: SolveState) -> list[Candidate]:
    cands = [Candidate.model_validate(c) for c in state.get("candidates", {}).values()]
    return [c for c in cands if c.status == "active"]


def _missing_drafts(state: Mapping[str, Any], k: int) -> list[int]:
    """Indices of the first k drafts with no candidate yet (not sent, or dropped by the budget)."""
    have = state.get("candidates", {})
    return [i for i in range(k) if f"c{i}" not in have]


def _dump(candidate: Candidate) -> dict[str, Any]:
    return candidate.model_dump(mode="json")


class SolveNodes:
    """The node functions, bound to their injected dependencies."""

    def __init__(
        self, llm: LLM, tools: Mapping[str, Tool], memory: GraphMemory | None, defaults: SolveConfig
    ) -> None:
        self.llm = llm
        self.tools = dict(tools)
        self.memory = memory
        self.defaults = defaults
        self.meters = Meters()  # the live budget of each run in flight, shared by its parallel tasks

    # --- helpers -------------------------------------------------------------------------------

    def config(self, state: Mapping[str, Any]) -> SolveConfig:
        raw = state.get("config")
        return SolveConfig.model_validate(raw) if raw else self.defaults

    def ctx(self, state: Mapping[str, Any], config: SolveConfig, node: str) -> AgentContext:
        writer = get_stream_writer()

        def emit(event: dict[str, Any]) -> None:
            writer({"node": node, "t": time.time(), **event})

        meter = self.meters.of(state, config, fresh=node == "intake")
        return AgentContext(llm=self.llm, emit=emit, max_tokens=config.max_tokens_per_call, meter=meter)

    def emit(self, node: str, event: dict[str, Any]) -> None:
        get_stream_writer()({"node": node, "t": time.time(), **event})

    def kind(self, state: Mapping[str, Any], config: SolveConfig) -> Kind:
        """The task kind that drafts, checks, reviews and refines this run's candidates."""
        if state.get("kind") == "coding":
            return CodingKind(self.tools)
        return GeneralKind(self.tools, config.max_tool_calls)

    # --- 1. intake -----------------------------------------------------------------------------

    def intake(self, state: SolveState) -> dict[str, Any]:
        """Classify the task, retrieve memory context, write a short plan."""
        config = self.config(state)
        started_at = state.get("started_at") or time.time()  # wall time counts from here, intake included
        ctx = self.ctx({**state, "started_at": started_at}, config, "intake")
        task = state["task"]
        entry = state.get("entry_point") or task_entry_point(task, state.get("signature"))
        if entry:  # a coding task by its own text (a stub or signature): no model call to classify it
            intake = IntakePlan(kind="coding", plan="", signature=state.get("signature") or "")
        else:
            tool_names = ", ".join(sorted(self.tools)) or "none"
            messages = [
                {"role": "system", "content": INTAKE.replace("{tools}", tool_names)},
                {"role": "user", "content": task},
            ]
            try:
                intake = ctx.complete_json(
                    messages, IntakePlan, role="solver", purpose="intake", temperature=0.0
                )
            except (AgentParseError, BudgetExhausted):
                intake = IntakePlan(kind="coding" if state.get("tests") else "open", plan="")
            if state.get("tests"):
                intake.kind = "coding"
            if intake.kind == "coding":
                entry = signature_entry_point(intake.signature)
        spec = CodeSpec(entry_point=entry, doctests=doctest_checks(task, entry) if entry else [])
        context = self.memory.context_for(task, intake.kind) if self.memory is not None else ""
        self.emit(
            "intake", {"type": "intake", "kind": intake.kind, "plan": intake.plan, "entry_point": entry}
        )
        return {
            "config": config.model_dump(mode="json"),
            "kind": intake.kind,
            "entry_point": entry,
            "signature": intake.signature or state.get("signature"),
            "spec": spec.model_dump(mode="json"),
            "plan": intake.plan,
            "context": context,
            "started_at": started_at,
            "round": 0,
            "best_history": [],
            "budget_extensions": 0,
            "usage": _usage(ctx),
        }

    def fan_out_solve(self, state: SolveState) -> list[Send]:
        """2. Solve: k candidates in parallel (or the kind's first few of them), at diverse temperatures."""
        config = self.config(state)
        plan = plan_for(config)
        sends = [Send("solve", {**state, "index": i}) for i in range(self.first_drafts(state, config))]
        if state.get("kind") == "coding" and state.get("entry_point") and plan.refine and plan.k > 1:
            sends.append(Send("tester", state))  # generated tests (CodeT), in parallel with the drafts
        return sends

    def tester(self, state: SolveState) -> dict[str, Any]:
        """The Tester writes test inputs and expected results from the specification only."""
        config = self.config(state)
        ctx = self.ctx(state, config, "tester")
        spec = CodeSpec.model_validate(state.get("spec") or {})
        try:
            spec.generated = CodingKind(self.tools).write_tests(ctx, state)
        except BudgetExhausted as exc:
            self.emit("tester", {"type": "budget_stop", "reason": str(exc)})
        self.emit("tester", {"type": "tests", "tests": [c.model_dump() for c in spec.generated]})
        return {"spec": spec.model_dump(mode="json"), "usage": _usage(ctx)}

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
            return {"usage": _usage(ctx)}
        candidate = kind.verify(ctx, candidate, payload, plan)
        return {"candidates": {cid: _dump(candidate)}, "usage": _usage(ctx, len(candidate.tool_calls))}

    # --- 3. score ------------------------------------------------------------------------------

    def score(self, state: SolveState) -> dict[str, Any]:
        """Pool-level scoring: agreement, combined scores; a worse refinement never replaces its parent
        (what "worse" means is the kind's: a lower score, and for code also fewer checks passed)."""
        config = self.config(state)
        pool = _active(state)
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
            "candidates": {c.id: _dump(c) for c in pool},
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
            _active(state),
            state.get("best_history", []),
            rounds,
            over,
            widen=0 if state.get("widened") else self.widen_size(state, config),
            top_up=len(_missing_drafts(state, plan_for(config).k)),
        )
        self.emit("triage", {"type": "decision", **decision._asdict()})
        return {**decision._asdict(), "widened": state.get("widened", False) or decision.decision == "widen"}

    def first_drafts(self, state: Mapping[str, Any], config: SolveConfig) -> int:
        """How many of the k drafts go first (adaptive consistency; only for strategies that refine:
        sc and bok are baselines of k samples)."""
        k = plan_for(config).k
        first = (
            config.first_drafts if config.first_drafts is not None else self.kind(state, config).first_drafts
        )
        return min(first, k) if first and plan_for(config).refine else k

    def widen_size(self, state: Mapping[str, Any], config: SolveConfig) -> int:
        """Extra drafts for a hard problem (sent once per run; only for strategies that refine a pool)."""
        plan = plan_for(config)
        if not plan.refine or plan.k < 2:
            return 0
        return config.widen if config.widen is not None else self.kind(state, config).widen

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

    def top_up_sends(self, state: Mapping[str, Any]) -> list[Send]:
        k = plan_for(self.config(state)).k
        return [Send("solve", {**state, "index": i}) for i in _missing_drafts(state, k)]

    def review_sends(self, state: Mapping[str, Any], round_bump: int = 1) -> list[Send]:
        """The best candidates go to review; one whose refinement was rejected comes only after those
        never tried, and its refinement is then sampled, not greedy: the greedy one was already tried."""
        config = self.config(state)
        cands = state.get("candidates", {}).values()
        tried = {c.get("parent_id") for c in cands if c.get("status") == "rejected"}
        active = sorted(_active(state), key=lambda c: (c.id not in tried, c.score or 0.0), reverse=True)
        round_ = state.get("round", 0) + round_bump
        top = config.review_top or self.kind(state, config).review_top
        return [
            Send("review", {**state, "target": _dump(c), "round": round_, "retry": c.id in tried})
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
                if not _active(state):
                    sends = self.fan_out_solve(go_on)
                elif state.get("round", 0) == 0 and _missing_drafts(state, plan_for(config).k):
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
        others = [c for c in _active(payload) if c.id != target.id]
        feedback = self.kind(payload, config).review(ctx, target, payload, plan, others)
        self.emit("review", {"type": "feedback", **feedback.model_dump()})
        fb = feedback.model_dump(mode="json")
        return Command(
            update={"feedback": {target.id: fb}, "usage": _usage(ctx), "round": payload["round"]},
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
            return {"usage": _usage(ctx)}
        refined = kind.verify(ctx, refined, payload, plan)
        return {"candidates": {cid: _dump(refined)}, "usage": _usage(ctx, len(refined.tool_calls))}

    # --- 7. finalize + reflect -----------------------------------------------------------------------

    def finalize(self, state: SolveState) -> dict[str, Any]:
        """Pick the answer: score-weighted majority (easy), plain majority (sc) or the best candidate."""
        config = self.config(state)
        plan = plan_for(config)
        active = _active(state)
        stopped_by = state.get("stopped_by") or "done"
        chosen = choose(config, plan, active, stopped_by)
        result = SolveResult(
            run_id=state.get("run_id", ""),
            strategy=config.strategy,
            answer=chosen.answer,
            code=chosen.code,
            candidate_id=chosen.id or None,
            score=chosen.score,
            verified=scoring.is_verified(chosen, config.verify_score),
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
