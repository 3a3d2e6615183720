"""CLI commands of the solve graph (placeholder; filled in by the graph subsystem)."""

import typer


def register(app: typer.Typer) -> None:
    """Add the graph's top-level commands (solve, resume, report) to ``app``."""
