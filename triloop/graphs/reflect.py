"""Reflect: turn a finished run into memory (experience, tool-doc feedback, toolset offers)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from triloop.agents.models import Candidate
from triloop.graphs.memory import Experience, GraphMemory, ToolFeedback, ToolsetOffer


def _lesson(result: Mapping[str, Any], candidates: list[Candidate]) -> str:
    refined = [c for c in candidates if c.parent_id]
    kept = [c for c in refined if c.status == "active"]
    used_tools = sorted({t.tool for c in candidates for t in c.tool_calls})
    parts = [f"stopped by {result.get('stopped_by')}"]
    if used_tools:
        parts.append(f"tools used: {', '.join(used_tools)}")
    if refined:
        parts.append(f"{len(kept)}/{len(refined)} refinements improved on their parent")
    checks = result.get("checks") or []
    if checks:
        passed = sum(1 for c in checks if c.get("passed"))
        judged = sum(1 for c in checks if c.get("passed") is not None)
        parts.append(f"the chosen code passed {passed}/{judged} checks (examples, generated tests)")
    return "; ".join(parts)


def _failures(candidates: list[Candidate]) -> list[str]:
    out = []
    for cand in candidates:
        for ev in cand.evidence:
            if ev.passed is False:
                out.append(f"{cand.id}: {ev.kind}: {ev.detail[:200]}")
    return out[:10]


def reflect_to_memory(
    memory: GraphMemory, state: Mapping[str, Any], candidates: list[Candidate]
) -> dict[str, int]:
    """Write what the run learned; returns counts of what was written (for the trace)."""
    result = state.get("result", {})
    config = state.get("config", {})
    memory.record_experience(
        Experience(
            task=state["task"],
            kind=state.get("kind", "open"),
            strategy=config.get("strategy", "triloop"),
            answer=result.get("answer", ""),
            verified=bool(result.get("verified")),
            score=result.get("score"),
            stopped_by=result.get("stopped_by", ""),
            lesson=_lesson(result, candidates),
            failures=_failures(candidates),
        )
    )
    feedback = [
        ToolFeedback(tool=t.tool, ok=t.ok, args_summary=str(t.args)[:200], output_summary=t.output[:300])
        for c in candidates
        for t in c.tool_calls
    ]
    if feedback:
        memory.record_tool_feedback(feedback)
    offers = 0
    code = result.get("code")
    if result.get("verified") and code and state.get("kind") == "coding":
        names = re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", code, flags=re.MULTILINE)
        if names:
            name = state.get("entry_point") or names[0]  # the function the task asked for, not a helper
            memory.offer_toolset(
                ToolsetOffer(name=name, code=code, description=state["task"][:300], task=state["task"])
            )
            offers = 1
    return {"experiences": 1, "tool_feedback": len(feedback), "toolset_offers": offers}
