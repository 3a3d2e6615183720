"""Bench pairs on a Ray cluster (``triloop bench ... --ray``): each (problem, strategy) pair is one task.

A worker process builds its model client, sandbox and strategies once, from the settings the calling
process sent, and keeps them for every pair it runs (so the embedded model or a sandbox pool starts once
per worker, not once per pair). It returns the pair's record; the caller writes it (see
:mod:`triloop.cluster`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from typing import Any

from pydantic import BaseModel, ConfigDict

from triloop.bench.harness import BenchRecord, PairOptions, run_pair
from triloop.bench.problems import Problem
from triloop.bench.questions import ValueProblem
from triloop.cluster import RayOptions, WorkerParts, setup_key, spread
from triloop.graphs.state import SolveConfig


class WorkerSetup(BaseModel):
    """What a worker needs to run pairs like the calling process would."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Any  # triloop.config.Settings (pickled as is: it may hold an API key)
    names: list[str]
    config: SolveConfig
    options: PairOptions

    def key(self) -> str:
        return setup_key(self, self.settings)


class PairJob(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    problem: Any  # a Problem
    name: str
    setup: WorkerSetup


#: This worker process's strategies and sandbox (Ray runs each task in a long-lived worker process).
_PARTS = WorkerParts()


def _build(setup: WorkerSetup, stack: ExitStack) -> tuple[dict[str, Any], Any]:
    from triloop.bench.strategies import build_strategies
    from triloop.graphs.factory import open_llm, open_tools

    llm = open_llm(stack, setup.settings)
    tools, sandbox = open_tools(stack, setup.settings)
    strategies = build_strategies(setup.names, llm, tools=tools, config=setup.config)
    return {s.name: s for s in strategies}, sandbox


def run_job(job: PairJob) -> BenchRecord:
    """The Ray task: one pair, run and judged on this worker."""
    strategies, sandbox = _PARTS.get(job.setup.key(), lambda stack: _build(job.setup, stack))
    return run_pair(job.problem, strategies[job.name], sandbox, job.setup.options)


def failed_record(job: PairJob, reason: str) -> BenchRecord:
    """The record of a pair that failed on its worker (or whose worker died more often than Ray retries)."""
    return BenchRecord(
        task_id=job.problem.task_id,
        strategy=job.name,
        passed=False,
        detail="no answer: the pair failed on its worker",
        error=reason,
        commit=job.setup.options.commit,
        model=job.setup.options.model,
        expected=job.problem.answer if isinstance(job.problem, ValueProblem) else None,
    )


class RayPairs:
    """Pairs as Ray tasks, all submitted at once; records come back as they finish."""

    def __init__(self, setup: WorkerSetup, options: RayOptions) -> None:
        self.setup = setup
        self.options = options

    def run(self, pending: Sequence[tuple[Problem, str]]) -> Iterator[BenchRecord]:
        jobs = [PairJob(problem=problem, name=name, setup=self.setup) for problem, name in pending]
        yield from spread(run_job, jobs, self.options, failed_record)
