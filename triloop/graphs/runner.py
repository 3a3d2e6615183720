"""Running the solve graph: run ids, streaming into the run's trace, resume (store: graphs/store.py).

Every run has a run id (the LangGraph ``thread_id``). Checkpoints are written synchronously after each
step (``durability="sync"``) so a killed process loses at most the step in flight; parallel candidate
tasks that finished are kept as pending writes and are not redone on resume.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command
from pydantic import BaseModel

from triloop.graphs.state import SolveConfig, SolveResult, UnknownRunError
from triloop.graphs.store import RunStore

EventCallback = Callable[[dict[str, Any]], None]


class RunOutcome(BaseModel):
    """How a call to start/resume ended: a result, or a pending question (interrupt)."""

    run_id: str
    result: SolveResult | None = None
    interrupt: dict[str, Any] | None = None


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def _summarize_update(node: str, update: Any) -> dict[str, Any]:
    if node == "__interrupt__":
        return {"type": "interrupt", "value": [getattr(i, "value", str(i)) for i in update]}
    keys = sorted(update) if isinstance(update, dict) else []
    return {"type": "node", "node": node, "keys": keys}


class SolveRunner:
    """Runs a compiled graph (checkpointed in ``runs.saver``) and writes each run's trace to ``runs``."""

    def __init__(
        self, graph: CompiledStateGraph, runs: RunStore, on_event: EventCallback | None = None
    ) -> None:
        self.graph = graph
        self.runs = runs
        self.on_event = on_event

    def _config(self, run_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": run_id}, "recursion_limit": 200}

    def _stream(self, run_id: str, graph_input: Any) -> RunOutcome:
        with self.runs.guard(), self.runs.tracer(run_id) as write:
            for mode, chunk in self.graph.stream(
                graph_input, self._config(run_id), stream_mode=["updates", "custom"], durability="sync"
            ):
                if mode == "custom":
                    events = [chunk]
                else:
                    events = [_summarize_update(node, update) for node, update in chunk.items()]
                for event in events:
                    event = {"run_id": run_id, "t": time.time(), **event}
                    write(event)
                    if self.on_event is not None:
                        self.on_event(event)
        return self.outcome(run_id)

    def _snapshot(self, run_id: str) -> Any:
        with self.runs.guard():
            return self.graph.get_state(self._config(run_id))

    def outcome(self, run_id: str) -> RunOutcome:
        """The run's current outcome from its last checkpoint."""
        snapshot = self._snapshot(run_id)
        if not snapshot.values and not snapshot.next:
            raise UnknownRunError(f"no run with id {run_id!r} in {self.runs.location}")
        pending = [i.value for task in snapshot.tasks for i in task.interrupts]
        if pending:
            return RunOutcome(run_id=run_id, interrupt=pending[0])
        result = snapshot.values.get("result")
        return RunOutcome(run_id=run_id, result=SolveResult.model_validate(result) if result else None)

    def start(
        self,
        task: str,
        config: SolveConfig,
        *,
        tests: str | None = None,
        run_id: str | None = None,
        signature: str | None = None,
        kind: str | None = None,
    ) -> RunOutcome:
        """Start a new run (``signature``: the function a coding task asks for, if not in the task;
        ``kind``: the task kind, when the caller knows it: then no decision is made)."""
        run_id = run_id or new_run_id()
        graph_input = {
            "run_id": run_id,
            "task": task,
            "kind": kind,
            "tests": tests,
            "signature": signature,
            "config": config.model_dump(mode="json"),
        }
        return self._stream(run_id, graph_input)

    def resume(self, run_id: str, answer: Any = None) -> RunOutcome:
        """Continue a run from its last checkpoint: after a crash, or answering its interrupt."""
        snapshot = self._snapshot(run_id)
        if not snapshot.values:
            raise UnknownRunError(f"no run with id {run_id!r} in {self.runs.location}")
        if not snapshot.next:
            return self.outcome(run_id)
        interrupted = any(task.interrupts for task in snapshot.tasks)
        graph_input = Command(resume=answer) if interrupted else None
        return self._stream(run_id, graph_input)
