"""``triloop chat``: a conversation in the terminal, each message that needs work run by the agent team.

The chat is a LangGraph thread in the run database, so ``--resume THREAD`` continues it. The agents'
steps show live while they work; a budget pause asks; Ctrl-C stops the current turn and keeps the chat.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown

from triloop.cli_options import ModelOption, settings_for

console = Console()

HELP = (
    "/strategy NAME (auto | direct | triloop | single | sc | self-refine)  /budget TOKENS  /memory QUERY  "
    "/history  /new  /quit    (Ctrl-C stops the current answer)"
)
STRATEGIES = ("triloop", "single", "sc", "bok", "self-refine")


class ChatSettings:
    """What the slash commands change: the mode/strategy and the token budget of the next turns."""

    def __init__(self) -> None:
        self.strategy = "auto"
        self.budget_tokens: int | None = None

    def turn(self) -> tuple[str, dict[str, Any]]:
        config: dict[str, Any] = {}
        if self.budget_tokens:
            config["budgets"] = {"max_tokens": self.budget_tokens}
        if self.strategy in ("auto", "direct"):
            return self.strategy, config
        return "work", {**config, "strategy": self.strategy}


def _render(thread: str, events: Any) -> dict[str, Any]:
    """Show a turn's events live; returns its last event."""
    from triloop.graphs.live import LiveView

    view = LiveView(thread)
    last: dict[str, Any] = {}
    text: list[str] = []
    with Live(view, console=console, refresh_per_second=4, transient=True) as live:
        for event in events:
            last = event
            if event.get("type") == "token":
                text.append(event["text"])
                live.update(Markdown("".join(text)))
            elif event.get("type") == "route" and event.get("route") == "direct":
                live.update(Markdown("…"))
            else:
                view.on_event(event)
    return last


@contextmanager
def _ctrl_c_stops() -> Iterator[threading.Event]:
    """During a turn, Ctrl-C sets the turn's stop event: the turn ends at its next step (the chat and
    its run are kept); a second Ctrl-C interrupts at once. The handler only sets the event: a signal
    handler that took one of the service's locks could wait forever on the thread it interrupted."""
    stop = threading.Event()  # the turn sets it too when it ends, so presses are counted apart
    pressed: list[bool] = []

    def on_sigint(signum: int, frame: Any) -> None:
        if pressed:
            raise KeyboardInterrupt
        pressed.append(True)
        stop.set()
        console.print("[yellow]stopping after the current step… (Ctrl-C again to leave now)[/]")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _show_answer(last: dict[str, Any]) -> None:
    kind = last.get("type")
    if kind == "answer":
        console.print(Markdown(last.get("content", "")))
        result = last.get("result")
        if result:
            usage = result.get("usage", {})
            mark = "[green]verified[/]" if result.get("verified") else "[yellow]not verified[/]"
            console.print(
                f"[dim]{mark} · stopped by {result.get('stopped_by')} · {usage.get('llm_calls', 0)} calls · "
                f"{usage.get('prompt_tokens', 0) + usage.get('completion_tokens', 0)} tokens · "
                f"run {result.get('run_id')}[/]"
            )
    elif kind == "stopped":
        console.print("[yellow]stopped; the chat goes on[/]")


def chat_command(
    resume: Annotated[str | None, typer.Option(help="continue the chat with this id")] = None,
    strategy: Annotated[
        str, typer.Option(help="auto | direct | triloop | single | sc | self-refine")
    ] = "auto",
    tools: Annotated[bool, typer.Option(help="give the agents the sandbox tools")] = True,
    memory: Annotated[bool, typer.Option(help="use the vector memory")] = True,
    model: ModelOption = None,
) -> None:
    """Chat with triloop: light messages get one answer, tasks run the agent team live."""
    from triloop.chat.service import ChatError, ChatService, new_thread_id
    from triloop.errors import ConfigError
    from triloop.graphs.factory import open_solve_parts

    if strategy not in ("auto", "direct", *STRATEGIES):
        raise ConfigError(f"unknown strategy {strategy!r}")
    settings = settings_for(model)
    prefs = ChatSettings()
    prefs.strategy = strategy
    with ExitStack() as stack:
        parts = open_solve_parts(stack, settings, use_tools=tools, use_memory=memory)
        service = ChatService(parts.llm, parts.graph, parts.runs, settings.solve)
        thread = resume or new_thread_id()
        if resume:
            history = service.history(resume)  # an unknown id fails here, with a clear message
            for m in history[-6:]:
                console.print(f"[bold]{m['role']}>[/] {m['content'][:500]}", highlight=False)
        console.print(f"[dim]chat {thread} · {HELP}[/]", highlight=False)  # ids stay one run of text
        while True:
            try:
                text = console.input("[bold cyan]you>[/] ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if not text:
                continue
            if text.startswith("/"):
                command, _, arg = text.partition(" ")
                if command == "/quit":
                    break
                if command == "/new":
                    thread = new_thread_id()
                    console.print(f"[dim]new chat {thread}[/]", highlight=False)
                elif command == "/history":
                    try:
                        for m in service.history(thread):
                            console.print(f"[bold]{m['role']}>[/] {m['content'][:500]}", highlight=False)
                    except ChatError:
                        console.print("[dim](no messages yet)[/]")
                elif command == "/strategy" and arg in ("auto", "direct", *STRATEGIES):
                    prefs.strategy = arg
                    console.print(f"[dim]strategy: {arg}[/]")
                elif command == "/budget" and arg.isdigit():
                    prefs.budget_tokens = int(arg)
                    console.print(f"[dim]token budget per turn: {arg}[/]")
                elif command == "/memory" and arg:
                    found = parts.memory.context_for(arg, "open") if parts.memory else ""
                    console.print(found or "[dim](nothing in memory for that)[/]", highlight=False)
                else:
                    console.print(f"[dim]{HELP}[/]")
                continue
            mode, config = prefs.turn()
            try:
                with _ctrl_c_stops() as stop:
                    turn = service.send(thread, text, mode=mode, config=config, stop=stop)  # type: ignore[arg-type]
                    last = _render(thread, turn)
                while last.get("type") == "pause":
                    go_on = typer.confirm(f"Budget reached ({last.get('reason')}). Continue?", default=False)
                    with _ctrl_c_stops() as stop:
                        last = _render(thread, service.answer_pause(thread, go_on, stop=stop))
            except KeyboardInterrupt:  # a second Ctrl-C while stopping: leave the turn at once
                last = {"type": "stopped"}
            except ChatError as exc:
                console.print(f"[red]{exc}[/]")
                continue
            _show_answer(last)
        console.print(f"[dim]chat saved: triloop chat --resume {thread}[/]", highlight=False)
