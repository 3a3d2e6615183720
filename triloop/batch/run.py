"""Solving the rows of a batch: one full solve run per row, here or as Ray tasks.

Each row has a fixed run id (:meth:`BatchRow.run_id`), so a row that is run again (Ray retrying it after
its worker died, or the batch resumed) continues from the run's last checkpoint when the checkpoint
store is shared (PostgreSQL, or one machine's sqlite file) instead of starting over.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from typing import Any

from pydantic import BaseModel, ConfigDict

from triloop.batch.rows import BatchResult, BatchRow
from triloop.cluster import RayOptions, WorkerParts, setup_key, spread
from triloop.graphs.runner import SolveRunner
from triloop.graphs.state import SolveConfig, UnknownRunError


class BatchSetup(BaseModel):
    """How every row is solved: the settings and run config of the calling process."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Any  # triloop.config.Settings (sent as is to workers: it may hold an API key)
    config: SolveConfig
    tools: bool = True
    memory: bool = True

    def key(self) -> str:
        return setup_key(self, self.settings)


class RowJob(BaseModel):
    row: BatchRow
    setup: BatchSetup


def open_runner(setup: BatchSetup, stack: ExitStack) -> SolveRunner:
    """Model client, tools, memory, run store and the solve graph for ``setup`` (closed by ``stack``)."""
    from triloop.graphs.factory import open_solve_parts

    parts = open_solve_parts(stack, setup.settings, use_tools=setup.tools, use_memory=setup.memory)
    return SolveRunner(parts.graph, parts.runs)


def solve_row(runner: SolveRunner, row: BatchRow, setup: BatchSetup) -> BatchResult:
    """The row's result; any failure of its run becomes an error result, so the batch goes on."""
    run_id = row.run_id(setup.key())
    config = setup.config
    started = time.perf_counter()
    try:
        try:  # run before (a retry, a resumed batch): go on from its checkpoint
            outcome = runner.resume(run_id)
        except UnknownRunError:
            outcome = runner.start(
                row.task, config, tests=row.tests, run_id=run_id, signature=row.signature, kind=row.kind
            )
    except Exception as exc:  # a row's failure is its own result, never the batch's end
        return error_result(row, run_id, f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
    result = outcome.result
    if result is None:
        return error_result(row, run_id, "the run stopped without a result", time.perf_counter() - started)
    return BatchResult(
        id=row.id,
        run_id=run_id,
        status="done",
        kind=result.kind,
        answer=result.answer,
        code=result.code,
        outcome=result.outcome,
        verified=result.verified,
        stopped_by=result.stopped_by,
        evidence=result.evidence,
        checks=result.checks,
        usage=result.usage,
        wall_s=round(time.perf_counter() - started, 3),
    )


def error_result(row: BatchRow, run_id: str, error: str, wall_s: float = 0.0) -> BatchResult:
    return BatchResult(id=row.id, run_id=run_id, status="error", error=error[:1000], wall_s=round(wall_s, 3))


#: This worker process's runner per setup (Ray runs each task in a long-lived worker process).
_PARTS = WorkerParts()


def run_job(job: RowJob) -> BatchResult:
    """The Ray task: one row, solved on this worker."""
    runner = _PARTS.get(job.setup.key(), lambda stack: open_runner(job.setup, stack))
    return solve_row(runner, job.row, job.setup)


def failed_result(job: RowJob, reason: str) -> BatchResult:
    return error_result(job.row, job.row.run_id(job.setup.key()), reason)


def solve_rows(rows: Sequence[BatchRow], setup: BatchSetup, ray: RayOptions | None) -> Iterator[BatchResult]:
    """Each row's result as it finishes: in order here, in any order on Ray."""
    if ray is None:
        with ExitStack() as stack:
            runner = open_runner(setup, stack)
            for row in rows:
                yield solve_row(runner, row, setup)
        return
    jobs = [RowJob(row=row, setup=setup) for row in rows]
    yield from spread(run_job, jobs, ray, failed_result)
