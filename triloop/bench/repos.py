"""``triloop bench repos``: strategies side by side on real projects with injected bugs.

A task is a pinned PyPI project with one mutated line that a test of its own suite catches
(:mod:`triloop.bench.repo_tasks`). Per (task, strategy) the harness unpacks a fresh mutated copy,
hands the strategy the project and the task's words — the failing tests' names ("test" phrasing), or
a bug report with the failing tests hidden from every run the strategy makes ("issue" phrasing, as
SWE-bench hides its tests) — then judges the change on a fresh copy with the whole suite: resolved =
the task's failing tests pass and no test that passed on the original project fails. Changes to test
files never reach the judge. Records go to ``records.jsonl`` as they finish; a run resumes where it
stopped.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel

from triloop.agents.base import AgentContext
from triloop.bench.repo_tasks import RepoProject, RepoTask, prepare, unpack
from triloop.bench.report import wilson
from triloop.jsonl import appending
from triloop.repo.loop import RepoOptions, fix_repo
from triloop.repo.plain import plain_fix
from triloop.repo.repomap import is_test_path
from triloop.repo.result import RepoResult
from triloop.repo.testrun import SuiteRun, run_suite
from triloop.tools.sandbox.base import Sandbox

Strategy = Callable[[AgentContext, Sandbox, Path, str, RepoOptions], RepoResult]
STRATEGIES: dict[str, tuple[Strategy, Callable[[], RepoOptions]]] = {
    "plain": (plain_fix, RepoOptions),
    "agentless": (fix_repo, RepoOptions.agentless),
    "triloop": (fix_repo, RepoOptions),
}
RECORDS = "records.jsonl"
#: The projects' own addopts may name plugins the sandbox lacks (parse adds --cov).
NO_ADDOPTS = ["-o", "addopts="]
#: Seconds the judge lets the whole suite run (a change that makes a test hang is cut off here).
JUDGE_TIMEOUT_S = 300.0


class RepoRecord(BaseModel):
    task: str
    project: str
    phrasing: str
    strategy: str
    resolved: bool
    fixed: int  # of the task's failing tests, how many pass after the change
    broken: list[str]  # tests that passed on the original project and fail after the change
    label: str  # what the strategy claimed: verified / partial / unverified / no change
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    max_prompt_tokens: int = 0
    wall_s: float = 0.0
    diff: str = ""
    targets: list[str] = []  # the tests the strategy aimed at (a reproduction test's, for a report)
    reproduced: bool = False
    located: list[str] = []  # the functions shown to the model, with why
    tried: list[str] = []  # one line per attempt
    error: str = ""
    model: str = ""
    commit: str | None = None


def spec_of(task: RepoTask) -> str:
    """The task's words as a user would give them."""
    if task.phrasing == "issue":
        return task.issue
    tests = ", ".join(task.failing_tests)
    return (
        f"These tests fail: {tests}. Find the bug in the project's code and fix it; do not change the tests."
    )


def options_for(options: RepoOptions, task: RepoTask, project: RepoProject) -> RepoOptions:
    """The strategy's options with the project's test selection; an issue's tests are hidden."""
    hidden = task.failing_tests if task.phrasing == "issue" else []
    options.pytest_options = [*NO_ADDOPTS, *(w for w in project.tests if w.startswith("-"))]
    options.test_args = [w for w in project.tests if not w.startswith("-")]
    options.deselect = [*project.deselect, *hidden]
    return options


def project_suite(
    sandbox: Sandbox, project: RepoProject, root: Path, files: dict[str, str], timeout: float
) -> SuiteRun:
    """The project's whole suite, as its entry selects it, without its addopts (e.g. --cov)."""
    args = [*NO_ADDOPTS, *project.tests]
    return run_suite(sandbox, root, files, args=args, deselect=project.deselect, timeout=timeout)


def suite_after(
    sandbox: Sandbox,
    task: RepoTask,
    project: RepoProject,
    cache: Path,
    changed: dict[str, str],
    timeout: float = JUDGE_TIMEOUT_S,
) -> SuiteRun:
    """The whole suite on a fresh mutated copy with ``changed`` (its non-test files) written over it."""
    code_only = {p: t for p, t in changed.items() if not is_test_path(p)}
    with tempfile.TemporaryDirectory(prefix="triloop-judge-") as tmp:
        root = prepare(task, project, cache, Path(tmp))
        return project_suite(sandbox, project, root, code_only, timeout)


def judge(
    sandbox: Sandbox,
    task: RepoTask,
    project: RepoProject,
    cache: Path,
    changed: dict[str, str],
    reference: SuiteRun,
    timeout: float = JUDGE_TIMEOUT_S,
    mutant: SuiteRun | None = None,
) -> tuple[bool, int, list[str]]:
    """(resolved, failing tests fixed, tests the change broke). Resolved: the task's tests pass and every
    test that passed on the original passes. Broken: tests that passed on the mutant as it was and fail
    after the change (a mutant can fail more tests than the task lists; those are not the change's)."""
    after = suite_after(sandbox, task, project, cache, changed, timeout)
    fixed = sum(after.passes(t) for t in task.failing_tests)
    lost = [t for t in after.broken(reference) if t not in task.failing_tests]
    broken = after.broken(mutant) if mutant is not None else lost
    return fixed == len(task.failing_tests) and not lost, fixed, broken


def reference_run(
    sandbox: Sandbox, project: RepoProject, cache: Path, timeout: float = JUDGE_TIMEOUT_S
) -> SuiteRun:
    """The suite on the original (unmutated) project: what "passed before" means."""
    with tempfile.TemporaryDirectory(prefix="triloop-ref-") as tmp:
        root = unpack(project, cache, Path(tmp))
        return project_suite(sandbox, project, root, {}, timeout)


def run_one(
    llm: object,
    sandbox: Sandbox,
    task: RepoTask,
    project: RepoProject,
    cache: Path,
    strategy: str,
    reference: SuiteRun,
    registry: dict[str, tuple[Strategy, Callable[[], RepoOptions]]] = STRATEGIES,
    judge_timeout: float = JUDGE_TIMEOUT_S,
    mutant: SuiteRun | None = None,
) -> RepoRecord:
    """One (task, strategy) pair, judged; an exception becomes a record with ``error`` set."""
    started = time.monotonic()
    ctx = AgentContext(llm=llm)
    base = {"task": task.id, "project": project.name, "phrasing": task.phrasing, "strategy": strategy}
    work = Path(tempfile.mkdtemp(prefix="triloop-task-"))
    try:
        root = prepare(task, project, cache, work)
        fix, make_options = registry[strategy]
        result = fix(ctx, sandbox, root, spec_of(task), options_for(make_options(), task, project))
        resolved, fixed, broken = judge(
            sandbox, task, project, cache, result.changed, reference, judge_timeout, mutant
        )
        return RepoRecord(
            **base,
            resolved=resolved,
            fixed=fixed,
            broken=broken,
            label=result.label,
            calls=result.calls,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            max_prompt_tokens=result.max_prompt_tokens,
            wall_s=time.monotonic() - started,
            diff=result.diff[:4_000],
            targets=result.targets[:10],
            reproduced=result.reproduced,
            located=result.locations[:4],
            tried=result.tried(),
        )
    except Exception as exc:  # a failed pair is recorded and the run goes on
        calls = ctx.calls
        return RepoRecord(
            **base,
            resolved=False,
            fixed=0,
            broken=[],
            label="error",
            calls=len(calls),
            prompt_tokens=sum(c.prompt_tokens for c in calls),
            completion_tokens=sum(c.completion_tokens for c in calls),
            wall_s=time.monotonic() - started,
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def read_records(out: Path) -> list[RepoRecord]:
    path = out / RECORDS
    if not path.is_file():
        return []
    return [RepoRecord.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def run_repo_bench(
    llm: object,
    sandbox: Sandbox,
    tasks: Sequence[RepoTask],
    projects: dict[str, RepoProject],
    strategies: Sequence[str],
    out: Path,
    cache: Path,
    *,
    model: str = "",
    commit: str | None = None,
    retry_errors: bool = False,
    registry: dict[str, tuple[Strategy, Callable[[], RepoOptions]]] = STRATEGIES,
    judge_timeout: float = JUDGE_TIMEOUT_S,
) -> Iterator[RepoRecord]:
    """Run every pending (task, strategy) pair, task by task, appending each record as it finishes."""
    out.mkdir(parents=True, exist_ok=True)
    done = {(r.task, r.strategy) for r in read_records(out) if not (retry_errors and r.error)}
    references: dict[str, SuiteRun] = {}
    mutants: dict[str, SuiteRun] = {}
    for task in tasks:
        project = projects[task.project]
        for strategy in strategies:
            if (task.id, strategy) in done:
                continue
            if project.name not in references:
                references[project.name] = reference_run(sandbox, project, cache, judge_timeout)
            if task.id not in mutants:  # the suite on the mutant as it is: what the change could break
                mutants[task.id] = suite_after(sandbox, task, project, cache, {}, judge_timeout)
            reference = references[project.name]
            record = run_one(
                llm,
                sandbox,
                task,
                project,
                cache,
                strategy,
                reference,
                registry,
                judge_timeout,
                mutants[task.id],
            )
            record.model, record.commit = model, commit
            with appending(out / RECORDS) as fh:
                fh.write(record.model_dump_json() + "\n")
            yield record


class RepoSummary(BaseModel):
    strategy: str
    tasks: int
    resolved: int
    low: float
    high: float
    wins: int | None  # resolved where plain was not
    losses: int | None
    broken_tasks: int  # tasks that ended with a previously passing test broken
    tokens_per_task: float
    wall_per_task: float
    max_prompt_tokens: int
    labels: dict[str, tuple[int, int]]  # label -> (times given, times the task was resolved)
    errors: int


def summarize(records: Sequence[RepoRecord]) -> list[RepoSummary]:
    """Per strategy, on the tasks every listed strategy has a record for (a fair comparison)."""
    by: dict[str, dict[str, RepoRecord]] = {}
    for record in records:
        by.setdefault(record.strategy, {})[record.task] = record  # the last: a --retry-errors rerun
    shared = set.intersection(*(set(r) for r in by.values())) if by else set()
    plain = by.get("plain")
    rows = []
    for name, results in by.items():
        rs = [results[t] for t in sorted(shared)]
        n, ok = len(rs), sum(r.resolved for r in rs)
        labels: dict[str, tuple[int, int]] = {}
        for r in rs:
            given, right = labels.get(r.label, (0, 0))
            labels[r.label] = (given + 1, right + r.resolved)
        wins = losses = None
        if plain is not None and name != "plain":
            wins = sum(results[t].resolved and not plain[t].resolved for t in shared)
            losses = sum(plain[t].resolved and not results[t].resolved for t in shared)
        low, high = wilson(ok, n)
        rows.append(
            RepoSummary(
                strategy=name,
                tasks=n,
                resolved=ok,
                low=low,
                high=high,
                wins=wins,
                losses=losses,
                broken_tasks=sum(bool(r.broken) for r in rs),
                tokens_per_task=sum(r.prompt_tokens + r.completion_tokens for r in rs) / (n or 1),
                wall_per_task=sum(r.wall_s for r in rs) / (n or 1),
                max_prompt_tokens=max((r.max_prompt_tokens for r in rs), default=0),
                labels=labels,
                errors=sum(bool(r.error) for r in rs),
            )
        )
    return rows
