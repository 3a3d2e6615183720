"""What every node of the solve graph shares: its injected dependencies, the run's config and task
kind, the event stream, and which drafts to send.

The nodes are split by phase (:mod:`.nodes`: draft, score, triage, finalize; :mod:`.refinement`:
review, refine, budget); this base holds what both need, so each phase reads on its own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from langgraph.config import get_stream_writer
from langgraph.types import Send

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate
from triloop.graphs.budget import Meters
from triloop.graphs.memory import GraphMemory
from triloop.graphs.state import SolveConfig, SolveState, plan_for
from triloop.kinds.base import Kind
from triloop.kinds.registry import KindRegistry
from triloop.llm.base import LLM
from triloop.tools.base import Tool


def usage_of(ctx: AgentContext, tool_calls: int = 0) -> dict[str, int]:
    return {
        "llm_calls": len(ctx.calls),
        "prompt_tokens": sum(c.prompt_tokens for c in ctx.calls),
        "completion_tokens": sum(c.completion_tokens for c in ctx.calls),
        "tool_calls": tool_calls,
    }


def active_of(state: SolveState) -> list[Candidate]:
    cands = [Candidate.model_validate(c) for c in state.get("candidates", {}).values()]
    return [c for c in cands if c.status == "active"]


def missing_drafts(state: Mapping[str, Any], k: int) -> list[int]:
    """Indices of the first k drafts with no candidate yet (not sent, or dropped by the budget)."""
    have = state.get("candidates", {})
    return [i for i in range(k) if f"c{i}" not in have]


def dump(candidate: Candidate) -> dict[str, Any]:
    return candidate.model_dump(mode="json")


class NodeBase:
    """The injected dependencies and the helpers every node uses."""

    def __init__(
        self,
        llm: LLM,
        tools: Mapping[str, Tool],
        memory: GraphMemory | None,
        defaults: SolveConfig,
        kinds: KindRegistry,
    ) -> None:
        self.llm = llm
        self.tools = dict(tools)
        self.memory = memory
        self.defaults = defaults
        self.kinds = kinds
        self.meters = Meters()  # the live budget of each run in flight, shared by its parallel tasks

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
        return self.kinds.get(state.get("kind") or "general")

    def fan_out_solve(self, state: SolveState) -> list[Send]:
        """2. Solve: k candidates in parallel (or the kind's first few of them), at diverse temperatures."""
        config = self.config(state)
        plan = plan_for(config)
        sends = [Send("solve", {**state, "index": i}) for i in range(self.first_drafts(state, config))]
        if self.kind(state, config).wants_checks(state, plan):
            sends.append(Send("tester", state))  # e.g. generated tests (CodeT), in parallel with the drafts
        return sends

    def top_up_sends(self, state: Mapping[str, Any]) -> list[Send]:
        k = plan_for(self.config(state)).k
        return [Send("solve", {**state, "index": i}) for i in missing_drafts(state, k)]

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
        return config.widen if config.widen is not None else self.kind(state, config).widen_for(state)
