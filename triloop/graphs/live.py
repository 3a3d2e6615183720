"""The CLI's live view: which agent is working, candidate scores, tool calls; fed by stream events."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

AGENT_OF_NODE = {
    "intake": "Solver (intake)",
    "solve": "Solver",
    "score": "Scorer",
    "triage": "Triage",
    "review": "Reviewer",
    "refine": "Refiner",
    "budget": "Budget",
    "finalize": "Finalize",
    "reflect": "Reflect",
}


class LiveView:
    """Keeps the latest state of a run from its events and renders it as a rich renderable."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.agent = "starting"
        self.candidates: dict[str, dict[str, Any]] = {}
        self.tool_calls: list[dict[str, Any]] = []
        self.tokens = 0
        self.calls = 0
        self.decision = ""

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        node = event.get("node")
        if node in AGENT_OF_NODE:
            self.agent = AGENT_OF_NODE[node]
        if kind == "llm_call":
            self.calls += 1
            self.tokens += event.get("prompt_tokens", 0) + event.get("completion_tokens", 0)
        elif kind == "tool_call":
            self.tool_calls = [*self.tool_calls[-4:], event]
        elif kind == "score":
            self.candidates[event["candidate"]] = event
        elif kind == "decision":
            stopped = f" -> {event['stopped_by']}" if event.get("stopped_by") else ""
            self.decision = f"{event.get('decision')}{stopped} ({event.get('reason', '')})"

    def __rich__(self) -> Group:
        table = Table(title=f"run {self.run_id}", expand=True)
        for column in ("candidate", "status", "score", "answer"):
            table.add_column(column)
        for cid, ev in sorted(self.candidates.items()):
            score = ev.get("score")
            table.add_row(
                cid,
                ev.get("status", ""),
                f"{score:.2f}" if score is not None else "-",
                str(ev.get("answer", ""))[:60],
            )
        lines = [
            Text(f"working: {self.agent}   LLM calls: {self.calls}   tokens: {self.tokens}", style="bold")
        ]
        if self.decision:
            lines.append(Text(f"triage: {self.decision}"))
        for call in self.tool_calls:
            mark = "ok" if call.get("ok") else "FAILED"
            lines.append(Text(f"tool {call.get('tool')} [{mark}]: {str(call.get('output', ''))[:80]!r}"))
        return Group(*lines, table)
