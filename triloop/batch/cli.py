"""``triloop batch FILE.jsonl``: solve every row with the agent team, results as JSONL, resumable.

Rows are checked before the model starts. Each finished row is appended to the results file at once,
by this process only, so a killed batch resumes where it stopped and no row is written twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from triloop.cli_options import ModelOption, RayOption, settings_for

if TYPE_CHECKING:
    from triloop.batch.rows import BatchResult

console = Console()
err_console = Console(stderr=True)


def batch_command(
    file: Annotated[Path, typer.Argument(help="JSONL file of {id, task, kind?, tests?, signature?} rows")],
    out: Annotated[
        Path | None,
        typer.Option(help="results JSONL; an existing one is resumed (default: FILE.results.jsonl)"),
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(help="single | sc | bok | self-refine | triloop (default: the solve settings)"),
    ] = None,
    k: Annotated[int | None, typer.Option(min=1, max=16, help="candidates per row")] = None,
    budget_tokens: Annotated[int | None, typer.Option(help="token budget per row")] = None,
    budget_seconds: Annotated[float | None, typer.Option(help="wall-time budget per row")] = None,
    tools: Annotated[bool, typer.Option(help="give the agents the sandbox tools")] = True,
    memory: Annotated[bool, typer.Option(help="use the vector memory")] = True,
    retry_errors: Annotated[bool, typer.Option(help="run again the rows whose result is an error")] = False,
    ray: RayOption = None,
    model: ModelOption = None,
) -> None:
    """Solve each row of a JSONL file with the agent team (here, or as Ray tasks with --ray); each
    result (answer, code, evidence, cost, status) is one line of the results file."""
    from triloop.batch.rows import BatchInputError, load_rows, read_results
    from triloop.batch.run import BatchSetup, solve_rows
    from triloop.cluster import RayOptions, on_ray
    from triloop.graphs.running import solve_config
    from triloop.jsonl import appending
    from triloop.progress import progress_bar

    rows = load_rows(file)
    settings = settings_for(model)
    config = solve_config(
        settings.solve,
        {"strategy": strategy, "k": k, "interactive": False},
        {"max_tokens": budget_tokens, "max_wall_s": budget_seconds},
    )
    out = out or file.with_name(file.stem + ".results.jsonl")
    setup = BatchSetup(settings=settings, config=config, tools=tools, memory=memory)
    done = read_results(out)
    key = setup.key()
    others = [r.id for r in rows if r.id in done and done[r.id].run_id != r.run_id(key)]
    if others:
        raise BatchInputError(
            f"{out} holds results of rows run with other settings (model, run config or data directory): "
            f"{', '.join(others[:5])}{' ...' if len(others) > 5 else ''}; choose another --out"
        )
    pending = [r for r in rows if r.id not in done or (retry_errors and done[r.id].error)]
    err_console.print(
        f"batch {file}: {len(rows)} rows, {len(rows) - len(pending)} done before; "
        f"{'ray ' + ray if ray else 'here'}; out {out}",
        highlight=False,
    )
    options = RayOptions(address=ray) if ray else None
    results = dict(done)
    with on_ray(options), appending(out) as fh, progress_bar(err_console) as progress:
        bar = progress.add_task("batch", total=len(rows), completed=len(rows) - len(pending), tally="")
        for result in solve_rows(pending, setup, options):
            fh.write(result.model_dump_json() + "\n")
            fh.flush()
            results[result.id] = result
            progress.update(bar, advance=1, description=escape(result.id), tally=_tally(results.values()))
            if not err_console.is_terminal:
                shown = result.answer if result.status == "done" else f"error: {result.error}"
                err_console.print(f"{result.id}: {(shown or '')[:120]!r}", highlight=False, markup=False)
    _summary([results[r.id] for r in rows if r.id in results], out)


def _tally(results: Iterable[BatchResult]) -> str:
    done = sum(r.status == "done" for r in results)
    return f"done {done}  errors {sum(r.status == 'error' for r in results)}"


def _summary(results: list[BatchResult], out: Path) -> None:
    table = Table(title=f"triloop batch: {len(results)} rows")
    for column in ("status / outcome", "rows", "tokens", "wall s"):
        table.add_column(column, justify="right" if column != "status / outcome" else "left")
    groups: dict[str, list[BatchResult]] = {}
    for result in results:
        label = result.outcome if result.status == "done" else "error"
        groups.setdefault(label or "done", []).append(result)
    for label, group in sorted(groups.items()):
        tokens = sum(r.usage.get("prompt_tokens", 0) + r.usage.get("completion_tokens", 0) for r in group)
        table.add_row(label, str(len(group)), str(tokens), f"{sum(r.wall_s for r in group):.1f}")
    console.print(table)
    console.print(f"results: {out}")
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)
