"""The progress bar of long batch-like commands (``triloop bench``, ``triloop batch``): shown only on a
terminal, so logs of background runs get plain lines instead."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def progress_bar(console: Console) -> Progress:
    """A bar with done/total, elapsed time and a ``tally`` field for running counts."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[tally]}"),
        console=console,
        disable=not console.is_terminal,
    )
