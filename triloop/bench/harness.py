"""Running strategies on problems and scoring what they return (see :mod:`triloop.bench.scoring`),
resumably, for coding problems and questions alike.

Problems and strategies are interleaved per problem (each problem runs every strategy before the next
problem), so a machine that slows down or a model server that hiccups hits every strategy alike.
Every (problem, strategy) pair becomes one JSON line in ``results.jsonl``, flushed at once, so a run
that is killed resumes where it stopped: pairs already in the file are skipped. A pair that does not
return within its time limit is recorded as an error and the run goes on: one stuck graph run must not
stall a night of benchmarks.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape

from triloop.bench import PAIR_TIMEOUT_S
from triloop.bench.errors import BenchInputError
from triloop.bench.problems import Problem
from triloop.bench.questions import ValueProblem
from triloop.bench.scoring import DETAIL_LIMIT, Verdict, judge, score_pool
from triloop.bench.strategies import Attempt, PoolMember, Strategy
from triloop.jsonl import appending
from triloop.progress import progress_bar

if TYPE_CHECKING:
    from triloop.tools.sandbox.base import Sandbox

RESULTS_FILE = "results.jsonl"


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
    # questions: the strategy's answer and the expected one; graph strategies: what the team told the
    # person (easy, verified, unsure). Absent in records written before questions: see outcome_label.
    answer: str | None = None
    expected: str | None = None
    outcome: str | None = None


def outcome_label(record: BenchRecord) -> str:
    """The outcome the record's strategy reported; for a record without one (plain, or written before
    outcomes were recorded) the one its ``stopped_by`` implies: ``easy``, ``verified``, else ``unsure``."""
    if record.outcome:
        return record.outcome
    return record.stopped_by if record.stopped_by in ("easy", "verified") else "unsure"


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


def _failed(started: float, error: str) -> Attempt:
    return Attempt(
        code=None,
        calls=0,
        prompt_tokens=0,
        completion_tokens=0,
        wall_s=time.perf_counter() - started,
        error=error,
    )


def attempt_of(strategy: Strategy, problem: Problem, *, timeout: float | None = None) -> Attempt:
    """``strategy.run(problem)``; an exception becomes a failed attempt with the error, so the run goes on.

    With ``timeout``, the run happens in a daemon thread that is abandoned (left to finish or not, its
    result unused) when it has not returned after ``timeout`` seconds: the attempt is then an error. A
    thread cannot be killed, but it no longer holds up the bench, and a daemon thread does not keep the
    process alive at exit; the graph's own wall budget usually ends it soon after.
    """
    started = time.perf_counter()

    def guarded() -> Attempt:
        try:
            return strategy.run(problem)
        except Exception as exc:
            return _failed(started, f"{type(exc).__name__}: {exc}")

    if timeout is None:
        return guarded()
    done: list[Attempt] = []
    worker = threading.Thread(
        target=lambda: done.append(guarded()), name=f"bench-{strategy.name}-{problem.task_id}", daemon=True
    )
    worker.start()
    worker.join(timeout)
    return done[0] if done else _failed(started, f"timed out after {timeout:g} s")


def record_of(
    problem: Problem,
    strategy: str,
    attempt: Attempt,
    verdict: Verdict,
    *,
    commit: str | None,
    model: str,
    pool: list[PoolMember] | None = None,
) -> BenchRecord:
    """The line ``results.jsonl`` gets for one pair; a missing answer's detail says why it is missing."""
    detail = verdict.detail
    reason = attempt.error or attempt.note
    if reason and detail in ("no code", "no answer"):
        detail = f"{detail}: {reason}"[:DETAIL_LIMIT]
    question = isinstance(problem, ValueProblem)
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
        answer=attempt.answer,
        expected=problem.answer if question else None,
        outcome=attempt.outcome or None,
    )


def check_same_questions(problems: Sequence[Problem], records: Iterable[BenchRecord]) -> None:
    """A resumed folder must hold the same questions: ``lcm/0`` of another ``--seed`` is another question
    under the same id, and skipping it as done would mix two benchmarks in one table. (Told apart by the
    expected answer the records keep; two questions with the same answer pass unnoticed.)"""
    expected = {p.task_id: p.answer for p in problems if isinstance(p, ValueProblem)}
    for record in records:
        task_id = record.task_id
        if record.expected is not None and expected.get(task_id, record.expected) != record.expected:
            raise BenchInputError(
                f"the results folder holds another question {task_id} (expected {record.expected!r}, not "
                f"{expected[task_id]!r}): another --seed or tasks file? choose another --out"
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


class PairOptions(BaseModel):
    """How every pair is run and judged."""

    timeout: float = 10.0  # seconds the hidden tests may run per solution
    pair_timeout: float | None = PAIR_TIMEOUT_S  # a pair that takes longer is recorded as an error
    pools: bool = False  # keep every candidate of graph strategies, each scored on the hidden tests
    commit: str | None = None
    model: str = ""


class LocalPairs:
    """Pairs run here, one after another, in the order given (interleaved per problem)."""

    def __init__(self, strategies: Sequence[Strategy], sandbox: Sandbox | None, options: PairOptions) -> None:
        self.strategies = {s.name: s for s in strategies}
        self.sandbox = sandbox
        self.options = options

    def run(self, pending: Sequence[tuple[Problem, str]]) -> Iterator[BenchRecord]:
        for problem, name in pending:
            yield run_pair(problem, self.strategies[name], self.sandbox, self.options)


class PairRunner(Protocol):
    """Runs pending (problem, strategy name) pairs and yields each pair's record as it finishes."""

    def run(self, pending: Sequence[tuple[Problem, str]]) -> Iterator[BenchRecord]: ...


def run_pair(
    problem: Problem, strategy: Strategy, sandbox: Sandbox | None, options: PairOptions
) -> BenchRecord:
    """One pair: the strategy's attempt, judged (with ``pools``, every candidate scored too)."""
    attempt = attempt_of(strategy, problem, timeout=options.pair_timeout)
    verdict = judge(sandbox, problem, attempt, timeout=options.timeout)
    pool = None
    if options.pools and isinstance(problem, ValueProblem):  # each answer, by the question's scorer
        pool = [m.model_copy(update={"hidden": problem.correct(m.answer)}) for m in attempt.pool]
    elif options.pools and sandbox is not None:
        pool = score_pool(sandbox, problem, attempt, verdict, timeout=options.timeout)
    return record_of(
        problem,
        strategy.name,
        attempt,
        verdict,
        commit=options.commit,
        model=options.model,
        pool=pool or None,
    )


def run_bench(
    problems: Sequence[Problem],
    strategies: Sequence[Strategy],
    sandbox: Sandbox | None,
    out_dir: Path,
    *,
    timeout: float = 10.0,
    pair_timeout: float | None = PAIR_TIMEOUT_S,
    model: str = "",
    commit: str | None = None,
    console: Console | None = None,
    retry_errors: bool = False,
    pools: bool = False,
) -> list[BenchRecord]:
    """Run every strategy on every problem here (interleaved per problem): :func:`run_pairs` with
    :class:`LocalPairs`. ``sandbox`` may be None when every problem is a question; a pair that takes
    longer than ``pair_timeout`` seconds is recorded as an error. With ``pools``, graph strategies'
    records keep every candidate, each scored on the hidden tests."""
    options = PairOptions(timeout=timeout, pair_timeout=pair_timeout, pools=pools, commit=commit, model=model)
    runner = LocalPairs(strategies, sandbox, options)
    names = [s.name for s in strategies]
    return run_pairs(problems, names, out_dir, runner, console=console, retry_errors=retry_errors)


def run_pairs(
    problems: Sequence[Problem],
    names: Sequence[str],
    out_dir: Path,
    runner: PairRunner,
    *,
    console: Console | None = None,
    retry_errors: bool = False,
) -> list[BenchRecord]:
    """Run the strategies ``names`` on every problem through ``runner`` and append each record to
    ``out_dir/results.jsonl`` as it arrives (this process is the only writer: one line per pair, even
    when a cluster retried it); pairs already there are skipped. Returns all records of this selection
    (old and new), in problem order. With ``retry_errors``, pairs whose record ended in an exception
    (a model server that timed out, say) run again and the new record supersedes it. A rich progress
    bar shows when ``console`` is a terminal; otherwise one plain line per finished problem is printed."""
    console = console or Console(stderr=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RESULTS_FILE
    existing = {(r.task_id, r.strategy): r for r in unique(read_records(path))}
    if retry_errors:
        existing = {key: r for key, r in existing.items() if not r.error}
    wanted = {(p.task_id, name) for p in problems for name in names}
    tally = _Tally(names, (r for key, r in existing.items() if key in wanted))
    records: dict[tuple[str, str], BenchRecord] = {k: v for k, v in existing.items() if k in wanted}
    check_same_questions(problems, records.values())
    pending = [(p, name) for p in problems for name in names if (p.task_id, name) not in records]
    left = Counter(p.task_id for p, _ in pending)
    index = {p.task_id: i for i, p in enumerate(problems, start=1)}
    ran: dict[str, list[BenchRecord]] = defaultdict(list)
    with appending(path) as fh, progress_bar(console) as progress:
        bar = progress.add_task("bench", total=len(problems), tally=tally.line())
        progress.update(bar, completed=len(problems) - len(left))
        for record in runner.run(pending):
            fh.write(record.model_dump_json() + "\n")
            fh.flush()
            records[(record.task_id, record.strategy)] = record
            tally.add(record)
            ran[record.task_id].append(record)
            left[record.task_id] -= 1
            where = escape(f"{record.task_id} · {record.strategy}")
            progress.update(bar, description=where, tally=tally.line())
            if left[record.task_id] == 0:
                progress.advance(bar)
                if not console.is_terminal:
                    _print_problem(console, f"{index[record.task_id]}/{len(problems)}", ran[record.task_id])
    order = {p.task_id: i for i, p in enumerate(problems)}
    position = {name: i for i, name in enumerate(names)}
    return sorted(records.values(), key=lambda r: (order[r.task_id], position[r.strategy]))


def _print_problem(console: Console, where: str, ran: Sequence[BenchRecord]) -> None:
    marks = ", ".join(f"{r.strategy} {'pass' if r.passed else 'FAIL (' + r.detail + ')'}" for r in ran)
    console.print(f"{where} {ran[0].task_id}: {marks}", highlight=False, markup=False, soft_wrap=True)


def existing_models(out_dir: Path) -> set[str]:
    """The models whose results ``out_dir`` already holds (a resume must not mix models)."""
    return {r.model for r in read_records(out_dir / RESULTS_FILE)}


def rescore(problems: Sequence[Problem], out_dir: Path) -> int:
    """Judge the stored answers of question records again with the problems' current scorers (no model
    call), rewriting ``results.jsonl`` in place; returns how many verdicts changed. For a scorer that
    was fixed after a run (e.g. to read ``78,000`` as 78000), so a run need not be repeated. Never while
    a run is appending to the same folder."""
    from triloop.bench.scoring import score_answer

    path = out_dir / RESULTS_FILE
    if not path.is_file():
        raise BenchInputError(f"no bench results in {out_dir} to judge again")
    by_id = {p.task_id: p for p in problems if isinstance(p, ValueProblem)}
    records = read_records(path)
    check_same_questions(problems, records)  # the same ids must be the same questions
    changed = 0
    for index, record in enumerate(records):
        problem = by_id.get(record.task_id)
        if problem is None or record.error or record.answer is None:
            continue
        verdict = score_answer(problem, record.answer)
        if verdict.passed != record.passed:
            changed += 1
        update = {"passed": verdict.passed, "detail": verdict.detail, "expected": problem.answer}
        records[index] = record.model_copy(update=update)
    fresh = path.with_suffix(".rescored")
    fresh.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    fresh.replace(path)
    return changed
