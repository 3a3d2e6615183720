"""A chat is a LangGraph thread of turns; a turn that needs work runs the solve graph and streams its events.

The chat graph has one node, ``turn``: a light message gets one streamed call with the recent turns as
context; a message that needs work becomes a solve run (its own run id, trace and checkpoints), whose
events (agents' turns, candidate scores, tool calls, checks) stream out as they happen. A budget pause
of the solve run becomes an ``interrupt`` of the chat thread, so the person answers it and the same
run continues. The terminal chat and the web server share this service; each turn is independent, so
several chats run at once and share the model server's slots.

The solve run runs in a thread of its own: a compiled graph called inside another graph's node would
otherwise join it as a subgraph (LangGraph passes the parent's config through a context variable),
and a budget pause would then stop the chat graph instead of asking.
"""

from __future__ import annotations

import contextlib
import operator
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from pydantic import BaseModel

from triloop.chat.routing import route
from triloop.errors import TriloopError
from triloop.graphs.runner import RunOutcome, SolveRunner, new_run_id
from triloop.graphs.state import OUTCOME_LABELS, SolveConfig, SolveResult, UnknownRunError
from triloop.graphs.store import RunStore
from triloop.llm.base import LLM, Message
from triloop.llm.cancel import cancel_on

#: Earlier turns given as context (each cut to CONTEXT_CHARS): prompt length is the cost on small models.
CONTEXT_TURNS = 3
CONTEXT_CHARS = 600
DIRECT_MAX_TOKENS = 512
#: A direct reply cut by the token limit is continued this many times, then marked as cut.
DIRECT_CONTINUATIONS = 2
CONTINUE = "Continue exactly where you stopped, without repeating anything."
SYSTEM = "You are triloop, a helpful assistant. Answer briefly and exactly."

Mode = Literal["auto", "direct", "work"]


class ChatError(TriloopError):
    """A chat request that cannot be served (unknown thread, a turn already running)."""


class RunStopped(Exception):
    """The person stopped the turn (Ctrl-C, the stop button, a client that went away)."""


class TurnRequest(BaseModel):
    """What one turn was asked to do; stored in the thread so a resumed turn does the same."""

    mode: Mode = "auto"
    config: dict[str, Any] = {}
    kind: str | None = None  # an explicit task kind (code delivered, or an answer); None: decided
    run_id: str


class ChatState(TypedDict, total=False):
    messages: Annotated[list[dict[str, Any]], operator.add]
    request: dict[str, Any]


def new_thread_id() -> str:
    return "chat-" + uuid.uuid4().hex[:10]


def answer_text(result: SolveResult) -> str:
    """A run's result as a chat message. Code delivered: the code in a fence. An answer: the value
    first, then the program that computed it, as evidence."""
    if result.kind != "coding":
        label = OUTCOME_LABELS.get(result.outcome, result.outcome)
        text = f"{result.answer or '(no answer)'}\n\n({label})"
        if result.code:
            text += f"\n\nComputed by:\n```python\n{result.code.rstrip()}\n```"
        return text
    if result.code:
        lead = "" if result.answer in ("", "see code") else result.answer.strip() + "\n\n"
        return f"{lead}```python\n{result.code.rstrip()}\n```"
    return result.answer or "(no answer)"


def result_summary(result: SolveResult) -> dict[str, Any]:
    """What the UI shows beside the answer: evidence, checks, agreement, cost."""
    return {
        "run_id": result.run_id,
        "strategy": result.strategy,
        "kind": result.kind,
        "outcome": result.outcome,
        "verified": result.verified,
        "score": result.score,
        "stopped_by": result.stopped_by,
        "rounds": result.rounds,
        "evidence": result.evidence,
        "checks": result.checks,
        "agreement": result.agreement,
        "usage": result.usage,
        "wall_s": result.wall_s,
    }


class ChatService:
    """Chats over one LLM client and one compiled solve graph (both injected), kept in ``runs``: chats and
    their runs are checkpoints there, so every process on the same store sees the same chats."""

    def __init__(self, llm: LLM, solve_graph: Any, runs: RunStore, defaults: SolveConfig) -> None:
        self.llm = llm
        self.solve_graph = solve_graph
        self.runs = runs
        self.defaults = defaults
        self._stops: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        graph = StateGraph(ChatState)
        graph.add_node("turn", self._turn)
        graph.add_edge(START, "turn")
        graph.add_edge("turn", END)
        self.graph = graph.compile(checkpointer=runs.saver, name="triloop-chat")

    # --- public API ------------------------------------------------------------------------------

    def send(
        self,
        thread_id: str,
        text: str,
        *,
        mode: Mode = "auto",
        config: dict[str, Any] | None = None,
        stop: threading.Event | None = None,
        kind: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Add the person's message and run the turn; yields events, the last is ``answer``, ``pause``,
        ``stopped`` or ``error``. Setting ``stop`` (or calling :meth:`stop`) ends the turn at its next
        event; a signal handler should set ``stop``, which takes no lock."""
        if not text.strip():
            raise ChatError("the message is empty")
        if kind is not None and mode == "auto":  # a named kind is a task for the team
            mode = "work"
        request = TurnRequest(mode=mode, config=config or {}, kind=kind, run_id=new_run_id())
        graph_input = {
            "messages": [{"role": "user", "content": text}],
            "request": request.model_dump(mode="json"),
        }
        yield from self._stream(thread_id, graph_input, stop)

    def seed(self, thread_id: str, messages: list[dict[str, Any]]) -> None:
        """Start ``thread_id`` with earlier turns (an API client sends the whole conversation)."""
        clean = [{"role": m["role"], "content": m["content"]} for m in messages]
        self.graph.update_state(self._config(thread_id), {"messages": clean}, as_node="turn")

    def answer_pause(
        self, thread_id: str, go_on: bool, *, stop: threading.Event | None = None
    ) -> Iterator[dict[str, Any]]:
        """Answer a budget pause: continue the same run, or stop it with its best answer so far."""
        if not self.pending_pause(thread_id):
            raise ChatError(f"chat {thread_id} is not waiting for an answer")
        yield from self._stream(thread_id, Command(resume="yes" if go_on else "no"), stop)

    def stop(self, thread_id: str) -> None:
        """Stop the turn running in ``thread_id`` at its next event (the chat itself is kept)."""
        with self._lock:
            event = self._stops.get(thread_id)
        if event is not None:
            event.set()

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        with self.runs.guard():
            snapshot = self.graph.get_state(self._config(thread_id))
        if not snapshot.values:
            raise ChatError(f"no chat with id {thread_id!r}")
        return list(snapshot.values.get("messages", []))

    def pending_pause(self, thread_id: str) -> dict[str, Any] | None:
        snapshot = self.graph.get_state(self._config(thread_id))
        pending = [i.value for task in snapshot.tasks for i in task.interrupts]
        return pending[0] if pending else None

    def threads(self, limit: int = 50) -> list[dict[str, Any]]:
        """Recent chats, newest first: id and title (the first message)."""
        out = []
        for info in self.runs.recent_threads(chats=True, limit=limit):
            messages = info["values"].get("messages", [])
            first = next((m["content"] for m in messages if m.get("role") == "user"), "")
            turns = sum(m.get("role") == "user" for m in messages)
            out.append(
                {
                    "thread_id": info["thread_id"],
                    "updated": info["updated"],
                    "title": first[:80],
                    "turns": turns,
                }
            )
        return out

    # --- the turn --------------------------------------------------------------------------------

    def _config(self, thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": 50}

    def _stream(
        self, thread_id: str, graph_input: Any, stop: threading.Event | None = None
    ) -> Iterator[dict[str, Any]]:
        with self._lock:
            if thread_id in self._stops:
                raise ChatError(f"chat {thread_id} is already working on a message")
            stop = self._stops[thread_id] = stop or threading.Event()
        ended = False
        try:
            for mode, chunk in self.graph.stream(
                graph_input, self._config(thread_id), stream_mode=["custom", "updates"], durability="sync"
            ):
                if mode == "custom":
                    event = chunk
                elif "__interrupt__" in chunk:
                    event = {"type": "pause", **chunk["__interrupt__"][0].value}
                elif "turn" in chunk:
                    event = {"type": "answer", **chunk["turn"]["messages"][-1]}
                else:
                    continue
                ended = event["type"] in ("pause", "answer")
                try:
                    yield event
                except BaseException:  # the consumer left (closed stream): stop the turn before the graph
                    stop.set()  # waits for its running node, which then ends at its next event
                    raise
                if stop.is_set() and not ended:
                    raise RunStopped
        except RunStopped:
            ended = True
            self._mark_stopped(thread_id)
            yield {"type": "stopped"}
        finally:
            stop.set()  # a turn's threads see it even after the chat forgets the turn (Ctrl-C, a closed stream)
            if not ended:
                self._mark_stopped(thread_id)
            with self._lock:
                self._stops.pop(thread_id, None)

    def _mark_stopped(self, thread_id: str) -> None:
        stopped = {"role": "assistant", "content": "(stopped)", "stopped": True}
        with contextlib.suppress(Exception):  # best effort: the chat stays usable without the marker
            self.graph.update_state(self._config(thread_id), {"messages": [stopped]}, as_node="turn")

    def _turn(self, state: ChatState, config: RunnableConfig) -> dict[str, Any]:
        thread_id = config["configurable"]["thread_id"]
        request = TurnRequest.model_validate(state["request"])
        messages = state["messages"]
        text = messages[-1]["content"]
        writer = get_stream_writer()
        with self._lock:
            stop = self._stops.get(thread_id) or threading.Event()
        how = route(text) if request.mode == "auto" else request.mode
        writer({"type": "route", "route": how})
        if how == "direct":
            return {"messages": [self._direct(stop, messages, writer)]}
        outcome = self._solve(stop, request, self._task(messages), writer)
        while outcome.interrupt is not None:  # a budget pause: the person decides (resumes re-enter here)
            answer = interrupt({"run_id": outcome.run_id, **outcome.interrupt})
            outcome = self._solve(stop, request, None, writer, answer=answer)
        result = outcome.result
        if result is None:
            return {"messages": [{"role": "assistant", "content": "(the run did not finish)"}]}
        reply = {
            "role": "assistant",
            "content": answer_text(result),
            "run_id": result.run_id,
            "result": result_summary(result),
        }
        return {"messages": [reply]}

    def _task(self, messages: list[dict[str, Any]]) -> str:
        """The solve task: the new message, with the last turns as context when there are any."""
        earlier = [m for m in messages[:-1] if not m.get("stopped")][-2 * CONTEXT_TURNS :]
        if not earlier:
            return messages[-1]["content"]
        lines = [f"{m['role'].capitalize()}: {m['content'][:CONTEXT_CHARS]}" for m in earlier]
        return (
            "Conversation so far:\n" + "\n".join(lines) + "\n\nCurrent request:\n" + messages[-1]["content"]
        )

    def _direct(self, stop: threading.Event, messages: list[dict[str, Any]], writer: Any) -> dict[str, Any]:
        """One streamed answer; a reply the token limit cut is continued (it never ends mid-formula
        without a word), and marked as cut if it still does not finish."""
        history: list[Message] = [{"role": "system", "content": SYSTEM}]
        for m in [m for m in messages if not m.get("stopped")][-(2 * CONTEXT_TURNS + 1) :]:
            history.append({"role": m["role"], "content": m["content"][: CONTEXT_CHARS * 4]})
        parts: list[str] = []
        usage = {"llm_calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
        for turn in range(DIRECT_CONTINUATIONS + 1):
            asked = (
                history
                if turn == 0
                else [
                    *history,
                    {"role": "assistant", "content": "".join(parts)},
                    {"role": "user", "content": CONTINUE},
                ]
            )
            completion = self._stream_reply(stop, asked, parts, writer)
            usage["llm_calls"] += 1
            usage["prompt_tokens"] += getattr(completion, "prompt_tokens", 0)
            usage["completion_tokens"] += getattr(completion, "completion_tokens", 0)
            if getattr(completion, "finish_reason", None) != "length":
                break
        else:
            note = f"\n\n(cut off: the reply did not finish within {DIRECT_MAX_TOKENS * (DIRECT_CONTINUATIONS + 1)} tokens)"
            parts.append(note)
            writer({"type": "token", "text": note})
        return {"role": "assistant", "content": "".join(parts).strip(), "usage": usage}

    def _stream_reply(
        self, stop: threading.Event, history: list[Message], parts: list[str], writer: Any
    ) -> Any:
        """Stream one reply into ``parts`` (and to the page); returns the completion with its usage."""
        pieces = self.llm.stream(history, max_tokens=DIRECT_MAX_TOKENS)  # type: ignore[attr-defined]
        while True:
            try:
                piece = next(pieces)
            except StopIteration as done:  # the stream's return value: the completion with its usage
                return done.value
            parts.append(piece)
            writer({"type": "token", "text": piece})
            if stop.is_set():
                pieces.close()
                raise RunStopped

    def _solve(
        self, stop: threading.Event, request: TurnRequest, task: str | None, writer: Any, answer: Any = None
    ) -> RunOutcome:
        """Start (``task``) or resume (``answer``) the turn's solve run in its own thread; forward its
        events from this one. A stop request ends the run at its next event (checkpoints are kept)."""
        events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        box: dict[str, Any] = {}

        def on_event(event: dict[str, Any]) -> None:
            if stop.is_set():
                raise RunStopped
            events.put(event)

        def work() -> None:
            runner = SolveRunner(self.solve_graph, self.runs, on_event=on_event)
            try:
                with cancel_on(stop):  # a stop also cuts the model call in flight
                    box["outcome"] = self._run_solve(runner, request, task, answer)
            except BaseException as exc:
                box["error"] = exc
            finally:
                events.put(None)

        worker = threading.Thread(target=work, name=f"solve-{request.run_id}", daemon=True)
        worker.start()
        while (event := events.get()) is not None:
            writer(event)
        worker.join()
        if "error" in box:
            if stop.is_set():  # whatever the stop cut short (a model call, an event) ends as a stop
                raise RunStopped from box["error"]
            raise box["error"]
        return box["outcome"]

    def _run_solve(
        self, runner: SolveRunner, request: TurnRequest, task: str | None, answer: Any
    ) -> RunOutcome:
        """Start the turn's run, resume it after a pause or after it was cut off, or return its outcome."""
        if task is None:  # the person answered the run's pause
            return runner.resume(request.run_id, answer)
        found = self._existing(runner, request.run_id)  # a resumed turn re-enters here
        if found is None:
            # a person is there to answer a budget pause, unless the request says otherwise (API)
            base = self.defaults.model_dump()
            merged = {**base, "interactive": True, **request.config}
            merged["budgets"] = {**base["budgets"], **request.config.get("budgets", {})}
            config = SolveConfig.model_validate(merged)
            return runner.start(task, config, run_id=request.run_id, kind=request.kind)
        if found.result is None and found.interrupt is None:  # cut off mid-run: go on
            return runner.resume(request.run_id)
        return found

    @staticmethod
    def _existing(runner: SolveRunner, run_id: str) -> RunOutcome | None:
        try:
            return runner.outcome(run_id)
        except UnknownRunError:
            return None
