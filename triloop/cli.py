"""The ``triloop`` command line (typer + rich).

Every command turns :class:`~triloop.errors.TriloopError` into one red line and a non-zero exit, so
users see what went wrong, not a traceback. Heavy imports happen inside commands to keep start-up fast.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from triloop.errors import TriloopError
from triloop.graphs.cli import register as register_graph_commands
from triloop.memory.cli import app as memory_app
from triloop.tools.sandbox.cli import app as sandbox_app

app = typer.Typer(
    name="triloop",
    help="A team of LLM agents (Solver, Reviewer, Refiner) that solve problems with real tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox_app, name="sandbox", help="Run code in a hardened sandbox.")
app.add_typer(memory_app, name="memory", help="Inspect and maintain the vector memory.")
register_graph_commands(app)

console = Console()
err_console = Console(stderr=True)


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
