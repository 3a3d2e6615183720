"""CLI sub-commands (placeholder; filled in by its subsystem). Import heavy modules inside commands."""

import typer

app = typer.Typer(no_args_is_help=True)
