"""CLI commands of the solve graph: ``triloop solve``, ``triloop resume RUN_ID``, ``triloop report RUN_ID``.

Heavy modules (LangGraph, the model client, the sandbox, chroma) are imported inside the commands so
``triloop --help`` stays fast.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from triloop.cli_options import ModelOption, settings_for
from triloop.graphs.running import drive, print_result, runner_parts, solve_config
from triloop.kinds.names import canonical_kind

console = Console()


def solve_command(
    task: Annotated[str, typer.Argument(help="the task, in words")],
    strategy: Annotated[
        str | None, typer.Option(help="single | sc | bok | self-refine | triloop (default triloop)")
    ] = None,
    k: Annotated[int | None, typer.Option(help="candidates drafted in parallel (default 3)")] = None,
    max_rounds: Annotated[int | None, typer.Option(help="refinement rounds budget (default 3)")] = None,
    budget_tokens: Annotated[int | None, typer.Option(help="token budget (default 200000)")] = None,
    budget_calls: Annotated[int | None, typer.Option(help="LLM-call budget (default 60)")] = None,
    budget_seconds: Annotated[float | None, typer.Option(help="wall-time budget (default 1800)")] = None,
    max_tool_calls: Annotated[
        int | None, typer.Option(help="tool calls allowed per candidate (default 3)")
    ] = None,
    tests: Annotated[Path | None, typer.Option(help="file with tests the code answer must pass")] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="coding (code delivered) | general (an answer); default: decided from the task"),
    ] = None,
    interactive: Annotated[
        bool | None, typer.Option(help="ask before going over budget (default: yes)")
    ] = None,
    tools: Annotated[bool, typer.Option(help="give the agents the sandbox tools")] = True,
    memory: Annotated[bool, typer.Option(help="use the vector memory")] = True,
    run_id: Annotated[str | None, typer.Option(help="choose the run id")] = None,
    model: ModelOption = None,
) -> None:
    """Solve a task with the agent team; prints the answer, its verification evidence and the cost.

    Unset options take their value from the ``[solve]`` settings (``triloop.toml`` or ``TRILOOP_SOLVE__*``).
    """
    from rich.live import Live

    from triloop.graphs.live import LiveView
    from triloop.graphs.runner import new_run_id
    from triloop.graphs.state import SolveInputError

    settings = settings_for(model)
    if interactive is None:  # the CLI asks by default, unless `[solve] interactive` says otherwise
        interactive = settings.solve.interactive if "interactive" in settings.solve.model_fields_set else True
    config = solve_config(
        settings.solve,
        {
            "strategy": strategy,
            "k": k,
            "max_tool_calls": max_tool_calls,
            "interactive": interactive,
        },
        {
            "max_llm_calls": budget_calls,
            "max_tokens": budget_tokens,
            "max_wall_s": budget_seconds,
            "max_rounds": max_rounds,
        },
    )
    if not task.strip():
        raise SolveInputError("the task is empty")
    if kind is not None:
        try:
            kind = canonical_kind(kind)  # "math", "qa": general
        except ValueError as exc:
            raise SolveInputError(f"{exc} (ML experiments run with `triloop ml`)") from None
        if kind == "ml":
            raise SolveInputError("ML experiments run with `triloop ml`, not `triloop solve`")
    test_text = None
    if tests is not None:
        if not tests.is_file():
            raise SolveInputError(f"tests file {tests} does not exist")
        test_text = tests.read_text(encoding="utf-8")
    rid = run_id or new_run_id()
    view = LiveView(rid)
    with ExitStack() as stack:
        runner, runs = runner_parts(
            stack, settings, use_tools=tools, use_memory=memory, on_event=view.on_event
        )
        with Live(view, console=console, refresh_per_second=4, transient=True):
            outcome = drive(
                runner,
                lambda: runner.start(task, config, tests=test_text, run_id=rid, kind=kind),
                config.interactive,
            )
        print_result(outcome, runs)


def resume_command(
    run_id: Annotated[str, typer.Argument(help="the run id printed by `triloop solve`")],
    tools: Annotated[bool, typer.Option(help="give the agents the sandbox tools")] = True,
    memory: Annotated[bool, typer.Option(help="use the vector memory")] = True,
    model: ModelOption = None,
) -> None:
    """Continue a run from its last checkpoint (after a crash or a budget pause)."""
    from rich.live import Live

    from triloop.graphs.live import LiveView

    view = LiveView(run_id)
    with ExitStack() as stack:
        runner, runs = runner_parts(
            stack, settings_for(model), use_tools=tools, use_memory=memory, on_event=view.on_event
        )
        with Live(view, console=console, refresh_per_second=4, transient=True):
            pending = runner.outcome(run_id)  # a paused run asks its question first
            first = (lambda: pending) if pending.interrupt is not None else (lambda: runner.resume(run_id))
            outcome = drive(runner, first, interactive=True)
        print_result(outcome, runs)


def report_command(
    run_id: Annotated[str, typer.Argument(help="the run id")],
    out: Annotated[
        Path | None, typer.Option(help="where to write the HTML (default: next to the traces)")
    ] = None,
) -> None:
    """Render a run's trace as a self-contained HTML page."""
    from triloop.config import load_settings
    from triloop.graphs.factory import open_runs
    from triloop.graphs.report import write_report

    with ExitStack() as stack:
        runs = open_runs(stack, load_settings())
        target = write_report(runs.events(run_id), out or runs.report(run_id), run_id)
    console.print(f"report: {target}")


def runs_command(
    limit: Annotated[int, typer.Option(min=1, help="show at most this many runs")] = 20,
) -> None:
    """List recent runs, newest first, from the run store (local, or PostgreSQL when configured)."""
    from rich.table import Table

    from triloop.config import load_settings
    from triloop.graphs.factory import open_runs

    with ExitStack() as stack:
        runs = open_runs(stack, load_settings())
        table = Table(title=f"runs in {runs.location}")
        for column in ("run id", "updated", "kind", "outcome", "answer", "task"):
            table.add_column(column, overflow="fold")
        for info in runs.recent_threads(chats=False, limit=limit):
            values = info["values"]
            result = values.get("result") or {}
            table.add_row(
                info["thread_id"],
                (info["updated"] or "")[:19].replace("T", " "),
                result.get("kind") or values.get("kind") or "",
                result.get("outcome") or "(unfinished)",
                (result.get("answer") or "")[:40],
                " ".join(str(values.get("task", "")).split())[:60],
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the graph's top-level commands (solve, resume, report, runs) to ``app``."""
    app.command("solve")(solve_command)
    app.command("resume")(resume_command)
    app.command("report")(report_command)
    app.command("runs")(runs_command)
