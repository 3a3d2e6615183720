"""``triloop code``: write a function or module meeting a spec, checked by executed tests.

The same solve graph as ``triloop solve``, entered as a coding task: the function to write comes from
``--signature`` or a ``def`` stub in the spec, so no model call is spent classifying the task. What is
printed is the code, the checks it was run on (the task's examples, generated tests, your tests) with
what each call returned, the agreement between candidates, and the cost.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from triloop.cli_options import ModelOption, settings_for

console = Console()

_MARK = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[dim]-[/]"}


def print_checks(checks: list[dict[str, Any]], agreement: float | None) -> None:
    """Which checks the chosen code was run on, and what each call returned."""
    if not checks:
        return
    console.print("[bold]Checks[/] (source: call -> returned, expected)")
    for check in checks:
        expected = check.get("expected")
        tail = f", expected {expected}" if expected is not None else ""
        console.print(
            f"  {_MARK[check.get('passed')]} {check.get('source')}: {check.get('call')} -> {check.get('got')}{tail}",
            highlight=False,
        )
    if agreement is not None:
        console.print(f"agreement (CodeT, 1 = the best-supported behaviour): {agreement:.2f}")


def code_command(
    spec: Annotated[str, typer.Argument(help="what the code must do (may include a `def` stub)")],
    signature: Annotated[
        str | None, typer.Option(help='the function to write, e.g. "def f(x: int) -> int"')
    ] = None,
    tests: Annotated[Path | None, typer.Option(help="a file of tests the code must pass (asserts)")] = None,
    out: Annotated[Path | None, typer.Option(help="write the final code to this file")] = None,
    strategy: Annotated[
        str | None, typer.Option(help="single | sc | bok | self-refine | triloop (default triloop)")
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(help="candidates drafted (default 3: two first, the third only if they disagree)"),
    ] = None,
    max_rounds: Annotated[
        int | None, typer.Option(help="refinement rounds (default 3; 2 with --workspace)")
    ] = None,
    memory: Annotated[bool, typer.Option(help="use the vector memory")] = True,
    workspace: Annotated[
        Path | None,
        typer.Option(help="fix or change this project: its failing tests (or the spec) say what; diff shown"),
    ] = None,
    apply: Annotated[
        bool, typer.Option(help="with --workspace: write the change into the workspace")
    ] = False,
    model: ModelOption = None,
) -> None:
    """Write code for a spec; prints the code, the checks it passed or failed, and the cost."""
    if workspace is not None:
        from triloop.repo.cli import workspace_command

        workspace_command(spec, workspace, model, max_rounds, apply)
        return
    from rich.live import Live

    from triloop.graphs.live import LiveView
    from triloop.graphs.runner import new_run_id
    from triloop.graphs.running import drive, print_result, runner_parts, solve_config
    from triloop.graphs.state import SolveInputError
    from triloop.kinds.coding.spec import signature_entry_point

    if not spec.strip():
        raise SolveInputError("the spec is empty")
    if signature is not None and signature_entry_point(signature) is None:
        raise SolveInputError(f"--signature must look like 'def name(args)', got {signature!r}")
    test_text = None
    if tests is not None:
        if not tests.is_file():
            raise SolveInputError(f"tests file {tests} does not exist")
        test_text = tests.read_text(encoding="utf-8")
    settings = settings_for(model)
    config = solve_config(
        settings.solve,
        {"strategy": strategy, "k": k, "interactive": False},
        {"max_rounds": max_rounds},
    )
    task = spec if signature is None else f"{spec.strip()}\n\nSignature: {signature.strip()}"
    rid = new_run_id()
    view = LiveView(rid)
    with ExitStack() as stack:
        runner, runs = runner_parts(
            stack, settings, use_tools=True, use_memory=memory, on_event=view.on_event
        )
        with Live(view, console=console, refresh_per_second=4, transient=True):
            outcome = drive(
                runner,
                lambda: runner.start(
                    task, config, tests=test_text, run_id=rid, signature=signature, kind="coding"
                ),
                False,
            )
        print_result(outcome, runs)
    result = outcome.result
    if result is not None:
        print_checks(result.checks, result.agreement)
        if out is not None and result.code:
            out.write_text(result.code, encoding="utf-8")
            console.print(f"code written to {out}")
    if result is None or not result.code:
        raise typer.Exit(1)
