"""Running strategies on problems and scoring the final code against the hidden tests, resumably.

Problems and strategies are interleaved per problem (each problem runs every strategy before the next
problem), so a machine that slows down or a model server that hiccups hits every strategy alike.
Every (problem, strategy) pair becomes one JSON line in ``results.jsonl``, flushed at once, so a run
that is killed resumes where it stopped: pairs already in the file are skipped.

Only the final code is scored, in the sandbox, with a timeout: a solution that hangs, crashes or exits
early is a failure of that solution, never a hang or crash of the harness.
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from triloop.bench.problems import BenchProblem
from triloop.bench.strategies import Attempt, PoolMember, Strategy
from triloop.tools.sandbox.errors import SandboxInputError

if TYPE_CHECKING:
    from triloop.tools.sandbox.base import Sandbox

RESULTS_FILE = "results.jsonl"
DETAIL_LIMIT = 300


class Verdict(BaseModel):
    """The hidden tests' verdict on one piece of code."""

    passed: bool
    detail: str


class BenchRecord(BaseModel):
    """One line of ``results.jsonl``: a (problem, strategy) pair, its verdict, its cost and provenance."""

    task_id: str
    strategy: str
    passed: bool
    detail: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens: int = 0
    wall_s: float = 0.0
    rounds: int = 0
    stopped_by: str = ""
    error: str | None = None
    code: str | None = None
    commit: str | None = None
    model: str = ""
    pool: list[PoolMember] | None = None  # with --pools: every candidate, each scored on the hidden tests


def git_commit(root: Path | None = None) -> str | None:
    """``git rev-parse --short HEAD`` of the triloop checkout, ``+dirty`` when ``triloop/`` has changes
    (the code being measured; result files elsewhere in the tree do not count). None outside git."""
    root = root or Path(__file__).resolve().parents[2]
    git = ["git", "-C", str(root)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0 or not head.stdout.strip():
            return None
        status = subprocess.run(
            [*git, "status", "--porcelain", "--", "triloop"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


def _failure_line(text: str) -> str:
    """The error's last line; a bare ``AssertionError`` gets the failing statement before it."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip(" \t^~")]  # no caret lines
    if not lines:
        return ""
    last = lines[-1]
    if last == "AssertionError" and len(lines) >= 2 and not lines[-2].startswith("File "):
        last = f"AssertionError: {lines[-2]}"
    return last[:DETAIL_LIMIT]


def score(sandbox: Sandbox, problem: BenchProblem, code: str | None, *, timeout: float) -> Verdict:
    """Run ``code`` + the problem's ``check`` in the sandbox; pass only when ``check`` ran to its end.

    A random token printed after ``check`` returns tells a real pass from code that exits early with
    status 0 (``sys.exit()`` at import would otherwise skip the tests).
    """
    if code is None or not code.strip():
        return Verdict(passed=False, detail="no code")
    token = f"triloop-bench-done-{secrets.token_hex(8)}"
    program = f"{code}\n\n{problem.test}\n\ncheck({problem.entry_point})\nprint({token!r})\n"
    try:
        result = sandbox.execute(program, timeout=timeout)
    except SandboxInputError as exc:
        return Verdict(passed=False, detail=f"rejected by the sandbox: {exc}"[:DETAIL_LIMIT])
    if result.timed_out:
        return Verdict(passed=False, detail=f"timed out after {timeout:g}s")
    if result.oom_killed:
        return Verdict(passed=False, detail="out of memory")
    if result.ok and (token in result.stdout or result.stdout_truncated):
        return Verdict(passed=True, detail="passed")
    if result.ok:
        return Verdict(passed=False, detail="exited before the tests finished")
    line = _failure_line(result.stderr) or _failure_line(result.stdout)
    return Verdict(passed=False, detail=line or f"exit code {result.exit_code}")


def score_pool(
    sandbox: Sandbox, problem: BenchProblem, attempt: Attempt, verdict: Verdict, *, timeout: float
) -> list[PoolMember]:
    """The attempt's pool, each member scored on the hidden tests (same code, one run; the final code's
    verdict is reused). For analysis after the run, never fed back into it."""
    verdicts: dict[str | None, bool] = {attempt.code: verdict.passed} if attempt.code else {}
    scored = []
    for member in attempt.pool:
        if member.code not in verdicts:
            verdicts[member.code] = score(sandbox, problem, member.code, timeout=timeout).passed
        scored.append(member.model_copy(update={"hidden": verdicts[member.code]}))
    return scored


def unique(records: Sequence[BenchRecord]) -> list[BenchRecord]:
    """One record per (task_id, strategy): the first one written (what a resume keeps), unless it
    ended in an exception and a later run of the pair (``--retry-errors``) did not."""
    seen: dict[tuple[str, str], BenchRecord] = {}
    for record in records:
        key = (record.task_id, record.strategy)
        if key not in seen or (seen[key].error and not record.error):
            seen[key] = record
    return list(seen.values())


def read_records(path: Path) -> list[BenchRecord]:
    """The records in ``path`` (none when it does not exist); a line cut off by a kill is skipped."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            records.append(BenchRecord.model_validate_json(line))
        except ValidationError:
            continue
    return records


def attempt_of(strategy: Strategy, problem: BenchProblem) -> Attempt:
    """``strategy.run(problem)``; an exception becomes a failed attempt with the error, so the run goes on."""
    started = time.perf_counter()
    try:
        return strategy.run(problem)
    except Exception as exc:
        return Attempt(
            code=None,
            calls=0,
            prompt_tokens=0,
            completion_tokens=0,
            wall_s=time.perf_counter() - started,
            error=f"{type(exc).__name__}: {exc}",
        )


def record_of(
    problem: BenchProblem,
    strategy: str,
    attempt: Attempt,
    verdict: Verdict,
    *,
    commit: str | None,
    model: str,
    pool: list[PoolMember] | None = None,
) -> BenchRecord:
    detail = verdict.detail
    if attempt.error and detail == "no code":
        detail = f"no code: {attempt.error}"[:DETAIL_LIMIT]
    elif attempt.note and detail == "no code":
        detail = f"no code: {attempt.note}"[:DETAIL_LIMIT]
    return BenchRecord(
        task_id=problem.task_id,
        strategy=strategy,
        passed=verdict.passed,
        detail=detail,
        calls=attempt.calls,
        prompt_tokens=attempt.prompt_tokens,
        completion_tokens=attempt.completion_tokens,
        tokens=attempt.prompt_tokens + attempt.completion_tokens,
        wall_s=round(attempt.wall_s, 3),
        rounds=attempt.rounds,
        stopped_by=attempt.stopped_by,
        error=attempt.error,
        code=attempt.code,
        commit=commit,
        model=model,
        pool=pool,
    )


class _Tally:
    """Running pass counts per strategy, for the progress line."""

    def __init__(self, names: Sequence[str], records: Iterable[BenchRecord]) -> None:
        self.passed = dict.fromkeys(names, 0)
        self.ran = dict.fromkeys(names, 0)
        for record in records:
            self.add(record)

    def add(self, record: BenchRecord) -> None:
        if record.strategy in self.ran:
            self.ran[record.strategy] += 1
            self.passed[record.strategy] += int(record.passed)

    def line(self) -> str:
        return "  ".join(f"{name} {self.passed[name]}/{self.ran[name]}" for name in self.ran)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[tally]}"),
        console=console,
        disable=not console.is_terminal,
    )


def run_bench(
    problems: Sequence[BenchProblem],
    strategies: Sequence[Strategy],
    sandbox: Sandbox,
    out_dir: Path,
    *,
    timeout: float = 10.0,
    model: str = "",
    commit: str | None = None,
    console: Console | None = None,
    retry_errors: bool = False,
    pools: bool = False,
) -> list[BenchRecord]:
    """Run every strategy on every problem (interleaved per problem) and append the records to
    ``out_dir/results.jsonl``; pairs already there are skipped. Returns all records of this selection
    (old and new), in problem order. With ``retry_errors``, pairs whose record ended in an exception
    (a model server that timed out, say) run again and the new record supersedes it. With ``pools``,
    graph strategies' records keep every candidate, each scored on the hidden tests. A rich progress
    bar shows when ``console`` is a terminal; otherwise one plain line per problem is printed."""
    console = console or Console(stderr=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RESULTS_FILE
    existing = {(r.task_id, r.strategy): r for r in unique(read_records(path))}
    if retry_errors:
        existing = {key: r for key, r in existing.items() if not r.error}
    names = [s.name for s in strategies]
    wanted = {(p.task_id, name) for p in problems for name in names}
    tally = _Tally(names, (r for key, r in existing.items() if key in wanted))
    records: dict[tuple[str, str], BenchRecord] = {k: v for k, v in existing.items() if k in wanted}
    cut_off = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as fh, _progress(console) as progress:
        if cut_off:
            fh.write("\n")  # a line cut off by a kill must not swallow the next record
        bar = progress.add_task("bench", total=len(problems), tally=tally.line())
        for index, problem in enumerate(problems, start=1):
            ran: list[BenchRecord] = []
            for strategy in strategies:
                if (problem.task_id, strategy.name) in records:
                    continue
                progress.update(
                    bar, description=f"{index}/{len(problems)} {problem.task_id} · {strategy.name}"
                )
                attempt = attempt_of(strategy, problem)
                verdict = score(sandbox, problem, attempt.code, timeout=timeout)
                pool = score_pool(sandbox, problem, attempt, verdict, timeout=timeout) if pools else None
                record = record_of(
                    problem, strategy.name, attempt, verdict, commit=commit, model=model, pool=pool or None
                )
                fh.write(record.model_dump_json() + "\n")
                fh.flush()
                records[(problem.task_id, strategy.name)] = record
                tally.add(record)
                ran.append(record)
                progress.update(bar, tally=tally.line())
            progress.advance(bar)
            if ran and not console.is_terminal:
                marks = ", ".join(
                    f"{r.strategy} {'pass' if r.passed else 'FAIL (' + r.detail + ')'}" for r in ran
                )
                console.print(
                    f"{index}/{len(problems)} {problem.task_id}: {marks}",
                    highlight=False,
                    markup=False,
                    soft_wrap=True,
                )
    order = {p.task_id: i for i, p in enumerate(problems)}
    position = {name: i for i, name in enumerate(names)}
    return sorted(records.values(), key=lambda r: (order[r.task_id], position[r.strategy]))


def existing_models(out_dir: Path) -> set[str]:
    """The models whose results ``out_dir`` already holds (a resume must not mix models)."""
    return {r.model for r in read_records(out_dir / RESULTS_FILE)}
