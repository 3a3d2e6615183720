"""What the commands that run the solve graph share: building the runner, answering budget pauses,
printing a result (the answer first, then its evidence, code only as evidence), the run's config.

Public so each command (``triloop solve``, ``triloop code``, ...) imports it, not another command's
private helpers.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from triloop.graphs.state import OUTCOME_LABELS

console = Console()


def runner_parts(stack: ExitStack, settings: Any, *, use_tools: bool, use_memory: bool, on_event: Any) -> Any:
    """Build LLM, tools, memory, checkpointer and runner from settings (closed by ``stack``)."""
    from triloop.graphs.factory import open_solve_parts
    from triloop.graphs.runner import SolveRunner

    parts = open_solve_parts(stack, settings, use_tools=use_tools, use_memory=use_memory)
    return SolveRunner(parts.graph, parts.runs, on_event=on_event), parts.runs


def drive(runner: Any, first: Any, interactive: bool) -> Any:
    """Answer budget interrupts (ask in interactive runs) until the run ends."""
    outcome = first()
    while outcome.interrupt is not None:
        reason = outcome.interrupt.get("reason", "budget reached")
        if interactive and sys.stdin.isatty():
            go_on = typer.confirm(f"Budget reached ({reason}). Continue?", default=False)
        else:
            console.print(f"[yellow]budget reached ({reason}); stopping[/]")
            go_on = False
        outcome = runner.resume(outcome.run_id, answer="yes" if go_on else "no")
    return outcome


def print_result(outcome: Any, runs: Any) -> None:
    """The answer first, how sure the team is, the evidence; for an answer, code only as evidence."""
    result = outcome.result
    if result is None:
        console.print(f"[yellow]run {outcome.run_id} has not finished[/]")
        return
    console.rule(f"run {result.run_id} ({result.strategy}, {result.kind})")
    console.print(Text.assemble(("Answer: ", "bold"), result.answer or "(none)"), highlight=False)
    label = OUTCOME_LABELS.get(result.outcome, result.outcome)
    colour = {"easy": "green", "verified": "green"}.get(result.outcome, "yellow")
    agreement = f", agreement {result.agreement:.2f}" if result.agreement is not None else ""
    console.print(
        f"[{colour}]{label}[/] (stopped by {result.stopped_by}: {result.reason}; score {result.score}{agreement})",
        highlight=False,
    )
    for ev in result.evidence:
        mark, style = {True: ("pass", "green"), False: ("FAIL", "red"), None: ("-", "")}[ev.get("passed")]
        line = Text("  ")
        line.append(mark, style=style)
        line.append(f" {ev.get('kind')}: {str(ev.get('detail'))[:160]}")  # model text: never markup
        console.print(line, highlight=False)
    if result.code:
        if result.kind != "coding":
            console.print("[dim]computed by:[/]")
        console.print(result.code.rstrip(), highlight=False, markup=False)
    usage = result.usage
    console.print(
        f"cost: {usage.get('llm_calls', 0)} LLM calls, {usage.get('prompt_tokens', 0)} prompt + "
        f"{usage.get('completion_tokens', 0)} completion tokens, {usage.get('tool_calls', 0)} tool calls, "
        f"{result.wall_s:.1f}s, {result.rounds} refinement rounds"
    )
    console.print(f"trace: {runs.trace_location(result.run_id)}   resume/report id: {result.run_id}")


def solve_config(defaults: Any, flags: dict[str, Any], budget_flags: dict[str, Any]) -> Any:
    """The run's config: the ``[solve]`` settings with the flags the user gave (None keeps a setting)."""
    from pydantic import ValidationError

    from triloop.errors import validation_problems
    from triloop.graphs.state import STRATEGIES, SolveConfig, SolveInputError

    strategy = flags.get("strategy")
    if strategy is not None and strategy not in STRATEGIES:
        raise SolveInputError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    chosen = {key: value for key, value in flags.items() if value is not None}
    budgets = {key: value for key, value in budget_flags.items() if value is not None}
    merged = defaults.model_dump()
    merged.update(chosen)
    merged["budgets"] = {**merged["budgets"], **budgets}
    try:
        return SolveConfig.model_validate(merged)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise SolveInputError(f"invalid solve options: {problems}") from None
