"""The ``triloop`` command line (typer + rich).

Every command turns :class:`~triloop.errors.TriloopError` into one red line and a non-zero exit, so
users see what went wrong, not a traceback. Heavy imports happen inside commands to keep start-up fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from triloop.batch.cli import batch_command
from triloop.bench.cli import app as bench_app
from triloop.chat.cli import chat_command
from triloop.cli_options import ModelOption, settings_for
from triloop.errors import ConfigError, TriloopError
from triloop.graphs.cli import register as register_graph_commands
from triloop.kinds.coding.cli import code_command
from triloop.memory.cli import app as memory_app
from triloop.ml.cli import app as ml_app
from triloop.server.cli import serve_command
from triloop.tools.sandbox.cli import app as sandbox_app

app = typer.Typer(
    name="triloop",
    help="A team of LLM agents (Solver, Reviewer, Refiner) that solve problems with real tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox_app, name="sandbox", help="Run code in a hardened sandbox.")
app.add_typer(memory_app, name="memory", help="Inspect and maintain the vector memory.")
app.add_typer(
    bench_app,
    name="bench",
    help="Measure strategies against one plain call: coding problems (HumanEval) and questions (reasoning-gym, your own).",
)
app.add_typer(ml_app, name="ml", help="ML experiments: init a task, run and resume the experiment loop.")
register_graph_commands(app)
app.command("code")(code_command)
app.command("chat")(chat_command)
app.command("serve")(serve_command)
app.command("batch")(batch_command)

console = Console()
err_console = Console(stderr=True)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="what to ask the model")],
    model: ModelOption = None,
    max_tokens: Annotated[int, typer.Option(help="most tokens to generate")] = 512,
) -> None:
    """One call to the configured model, streamed to the terminal: proves the model path works."""
    from triloop.llm.client import LLMClient

    if not question.strip():
        raise ConfigError("the question is empty")
    with LLMClient(settings_for(model)) as llm:
        for piece in llm.stream([{"role": "user", "content": question}], max_tokens=max_tokens):
            console.out(piece, end="", highlight=False)
        console.out("")
        used = llm.usage.total()
        err_console.print(
            f"[dim]{used.prompt_tokens} prompt + {used.completion_tokens} completion tokens, "
            f"{used.latency_s:.1f}s[/]"
        )


@app.command()
def doctor(model: ModelOption = None) -> None:
    """Show which endpoint, model, sandbox and memory would be used, and whether each works."""
    from triloop.doctor import run_checks

    checks = run_checks(settings_for(model))
    table = Table(title="triloop doctor")
    for col in ("part", "setting", "status"):
        table.add_column(col)
    for check in checks:
        table.add_row(
            check.part,
            check.setting,
            f"[green]ok[/] {check.detail}" if check.ok else f"[red]{check.detail}[/]",
        )
    console.print(table)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except TriloopError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
