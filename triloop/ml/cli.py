"""``triloop ml``: ML experiment tasks. ``init`` writes a task directory; the experiment loop is next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()


@app.command("init")
def init_command(
    directory: Annotated[Path, typer.Argument(help="the task directory to create")],
    dataset: Annotated[
        str | None, typer.Option(help="a bundled dataset: digits | breast_cancer | wine | diabetes")
    ] = None,
    csv: Annotated[Path | None, typer.Option(help="your own CSV (numeric features) instead")] = None,
    target: Annotated[str | None, typer.Option(help="with --csv: the column to predict")] = None,
    metric: Annotated[
        str | None, typer.Option(help="accuracy | f1_macro | balanced_accuracy | r2 | rmse | mae")
    ] = None,
    problem: Annotated[str | None, typer.Option(help="with --csv: classification | regression")] = None,
    budget_minutes: Annotated[float, typer.Option(help="time budget of the whole run", min=0.1)] = 10.0,
    seed: Annotated[int, typer.Option(help="seed of the splits and of every experiment")] = 0,
    force: Annotated[bool, typer.Option(help="replace an existing task in DIRECTORY")] = False,
) -> None:
    """Write a ready ML task: goal and metric, fixed train/validation/test splits, hidden test labels."""
    from triloop.ml.datasets import init_bundled, init_csv
    from triloop.ml.task import MLTaskError

    options = {"budget_minutes": budget_minutes, "seed": seed, "force": force}
    if (dataset is None) == (csv is None):
        raise MLTaskError("give either --dataset NAME or --csv FILE --target COLUMN")
    if dataset is not None:
        task = init_bundled(directory, dataset, metric=metric, **options)
    else:
        if not target:
            raise MLTaskError("--csv needs --target COLUMN")
        if problem not in (None, "classification", "regression"):
            raise MLTaskError(f"unknown problem {problem!r}; classification or regression")
        task = init_csv(directory, csv, target, metric=metric, problem=problem, **options)  # type: ignore[arg-type]
    rows = ", ".join(f"{k} {v}" for k, v in task.rows.items())
    console.print(
        f"[green]task written[/] {directory}: {task.problem}, {task.metric} ({task.direction}); {rows} rows"
    )
    console.print(f"goal: {task.goal}", highlight=False)
    console.print(f"the test labels stay in {directory / '.triloop'} (never copied into a sandbox)")
