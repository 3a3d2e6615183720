"""Running the solve graph: run ids, the sqlite checkpointer, streaming into a JSONL trace, resume.

Every run has a run id (the LangGraph ``thread_id``). Checkpoints are written synchronously after each
step (``durability="sync"``) so a killed process loses at most the step in flight; parallel candidate
tasks that finished are kept as pending writes and are not redone on resume.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command
from pydantic import BaseModel

from triloop.graphs.state import SolveConfig, SolveResult, UnknownRunError

EventCallback = Callable[[dict[str, Any]], None]


class RunPaths(BaseModel):
    """Where runs live: one sqlite checkpoint database and one JSONL trace per run."""

    root: Path

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints.sqlite"

    def trace(self, run_id: str) -> Path:
        return self.root / "traces" / f"{run_id}.jsonl"

    def report(self, run_id: str) -> Path:
        return self.root / "reports" / f"{run_id}.html"


@contextmanager
def sqlite_checkpointer(path: Path) -> Iterator[SqliteSaver]:
    """A :class:`SqliteSaver` on ``path`` (created if needed), closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


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
    """Runs a compiled graph (with a checkpointer) and writes each run's trace."""

    def __init__(
        self, graph: CompiledStateGraph, paths: RunPaths, on_event: EventCallback | None = None
    ) -> None:
        self.graph = graph
        self.paths = paths
        self.on_event = on_event

    def _config(self, run_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": run_id}, "recursion_limit": 200}

    def _stream(self, run_id: str, graph_input: Any) -> RunOutcome:
        trace = self.paths.trace(run_id)
        trace.parent.mkdir(parents=True, exist_ok=True)
        with trace.open("a", encoding="utf-8") as fh:
            for mode, chunk in self.graph.stream(
                graph_input, self._config(run_id), stream_mode=["updates", "custom"], durability="sync"
            ):
                if mode == "custom":
                    events = [chunk]
                else:
                    events = [_summarize_update(node, update) for node, update in chunk.items()]
                for event in events:
                    event = {"run_id": run_id, "t": time.time(), **event}
                    fh.write(json.dumps(event, default=str) + "\n")
                    fh.flush()
                    if self.on_event is not None:
                        self.on_event(event)
        return self.outcome(run_id)

    def outcome(self, run_id: str) -> RunOutcome:
        """The run's current outcome from its last checkpoint."""
        snapshot = self.graph.get_state(self._config(run_id))
        if not snapshot.values and not snapshot.next:
            raise UnknownRunError(f"no run with id {run_id!r} in {self.paths.checkpoints}")
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
        snapshot = self.graph.get_state(self._config(run_id))
        if not snapshot.values:
            raise UnknownRunError(f"no run with id {run_id!r} in {self.paths.checkpoints}")
        if not snapshot.next:
            return self.outcome(run_id)
        interrupted = any(task.interrupts for task in snapshot.tasks)
        graph_input = Command(resume=answer) if interrupted else None
        return self._stream(run_id, graph_input)
